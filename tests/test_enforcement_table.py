"""docs/enforcement.md's table of rules and layers agrees with the tests: every "yes" names
a test below that shows the layer enforcing the rule, and every test listed here is a "yes"."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).parent.parent
LAYERS = ("edit-time guard", "pre-commit", "pre-push", "`gitcoord ci`", "server hooks")
GUARD = "test_guard_decisions.py::"

# (rule, layer) -> the test that shows it, as "file::function".
EVIDENCE = {
    ("claims: no change to a path another holder claims", "edit-time guard"): (
        GUARD + "test_shell_commands_reads_of_directories_and_undetermined_targets"
    ),
    ("claims: `[claims] require` paths need a claim of mine", "edit-time guard"): (
        GUARD + "test_roles_require_and_rules_at_the_tool_call"
    ),
    ("rules: acknowledged at the hash in force", "edit-time guard"): (
        GUARD + "test_roles_require_and_rules_at_the_tool_call"
    ),
    ("guards: `block` tier", "edit-time guard"): (
        GUARD + "test_a_warn_tier_path_is_allowed_with_a_note_and_a_block_tier_path_refused"
    ),
    ("guards: `approve` tier (gitcoord's own files by default)", "edit-time guard"): (
        GUARD + "test_an_approve_tier_path_asks_a_human_where_the_harness_can"
    ),
    ('guards: reads of paths with `read = "deny"` or `"ask"`', "edit-time guard"): (
        GUARD + "test_shell_commands_reads_of_directories_and_undetermined_targets"
    ),
    ("roles: write only within the role's patterns", "edit-time guard"): (
        GUARD + "test_roles_require_and_rules_at_the_tool_call"
    ),
    ("policy from committed history, not the working tree", "edit-time guard"): (
        GUARD + "test_an_uncommitted_policy_edit_changes_no_decision_at_the_tool_call"
    ),
    ("claims: no change to a path another holder claims", "pre-commit"): (
        "test_hooks_e2e.py::test_claimed_path_delete_and_rename_refused"
    ),
    ("claims: no change to a path another holder claims", "pre-push"): (
        "test_hooks_e2e.py::test_pre_push_refuses_commits_made_without_hooks_on_claimed_paths"
    ),
    ("claims: no change to a path another holder claims", "`gitcoord ci`"): (
        "test_ci.py::test_foreign_claims_deletion_and_rename_fail"
    ),
    ("claims: no change to a path another holder claims", "server hooks"): (
        "test_server_hooks.py::test_push_changing_a_path_someone_else_holds_is_refused_naming_the_holder"
    ),
    ("claims: `[claims] require` paths need a claim of mine", "pre-commit"): (
        "test_hooks_e2e.py::test_require_refused_without_my_claim_and_allowed_with_it"
    ),
    ("claims: `[claims] require` paths need a claim of mine", "pre-push"): (
        "test_pre_push_policy.py::test_require_needs_my_claim_at_push"
    ),
    ("claims: `[claims] require` paths need a claim of mine", "`gitcoord ci`"): (
        "test_ci.py::test_require_needs_a_claim_of_the_commits_agent"
    ),
    ("rules: acknowledged at the hash in force", "pre-commit"): (
        "test_hooks_e2e.py::test_unacknowledged_rules_change_refused_until_acked"
    ),
    ("rules: acknowledged at the hash in force", "`gitcoord ci`"): (
        "test_ci.py::test_missing_and_stale_rules_acknowledgement_fail"
    ),
    ("guards: `block` tier", "pre-commit"): (
        "test_hooks_e2e.py::test_block_path_refused_and_approve_path_needs_a_matching_approval"
    ),
    ("guards: `block` tier", "pre-push"): (
        "test_pre_push_policy.py::test_block_tier_path_committed_without_hooks_is_refused_at_push"
    ),
    ("guards: `block` tier", "`gitcoord ci`"): "test_ci.py::test_block_tier_path_always_fails",
    ("guards: `block` tier", "server hooks"): (
        "test_server_policy.py::"
        "test_block_tier_guard_is_refused_by_the_server_and_a_branch_cannot_switch_it_off"
    ),
    ("guards: `approve` tier (gitcoord's own files by default)", "pre-commit"): (
        "test_policy_source.py::test_switching_guards_off_in_the_same_commit_is_refused"
    ),
    ("guards: `approve` tier (gitcoord's own files by default)", "`gitcoord ci`"): (
        "test_ci.py::test_unapproved_guarded_change_fails_until_a_human_approves_that_change"
    ),
    ("roles: write only within the role's patterns", "pre-commit"): (
        "test_hooks_e2e.py::test_role_writing_outside_its_patterns_refused"
    ),
    ("roles: write only within the role's patterns", "pre-push"): (
        "test_pre_push_policy.py::test_role_limit_is_refused_at_push"
    ),
    ("roles: write only within the role's patterns", "`gitcoord ci`"): (
        "test_ci.py::test_role_writing_outside_its_patterns_fails"
    ),
    ("roles: write only within the role's patterns", "server hooks"): (
        "test_server_policy.py::test_role_limits_are_refused_by_the_server_whoever_the_trailer_names"
    ),
    ("sync: a protected branch never loses commits", "pre-push"): (
        "test_hooks_e2e.py::test_force_push_from_stale_clone_refused_remote_intact"
    ),
    ("sync: a protected branch never loses commits", "server hooks"): (
        "test_server_hooks.py::test_force_push_dropping_commits_from_main_is_refused"
    ),
    ("sync: a deploy branch moves only to a commit with the base tip", "pre-push"): (
        "test_deploy_branches.py::test_fast_forward_of_a_deploy_branch_to_a_stale_commit_is_refused"
    ),
    ("sync: a deploy branch moves only to a commit with the base tip", "`gitcoord ci`"): (
        "test_deploy_branches.py::test_ci_refuses_a_stale_deploy_target_whatever_max_behind_says"
    ),
    ("sync: a deploy branch moves only to a commit with the base tip", "server hooks"): (
        "test_server_policy.py::test_a_stale_push_to_a_deploy_branch_is_refused_by_the_server"
    ),
    ("sync: at most `[sync] max_behind` commits behind the base", "`gitcoord ci`"): (
        "test_ci.py::test_branch_behind_the_base_fails_until_rebased"
    ),
    ("policy from committed history, not the working tree", "pre-commit"): (
        "test_policy_source.py::test_an_uncommitted_policy_edit_changes_no_decision"
    ),
    ("policy from committed history, not the working tree", "pre-push"): (
        "test_pre_push_policy.py::test_a_branch_that_switches_guards_off_is_still_held_to_them_at_push"
    ),
    ("policy from committed history, not the working tree", "`gitcoord ci`"): (
        "test_ci.py::test_a_branch_cannot_switch_its_own_checks_off"
    ),
    ("policy from committed history, not the working tree", "server hooks"): (
        "test_server_policy.py::"
        "test_block_tier_guard_is_refused_by_the_server_and_a_branch_cannot_switch_it_off"
    ),
}


def _table() -> dict[tuple[str, str], str]:
    text = (ROOT / "docs" / "enforcement.md").read_text(encoding="utf-8")
    head = "| rule | " + " | ".join(LAYERS) + " |"
    assert head in text, "the table's header row changed"
    cells: dict[tuple[str, str], str] = {}
    for line in text[text.index(head) :].splitlines()[2:]:
        if not line.startswith("|"):
            break
        rule, *marks = [c.strip() for c in line.strip("|").split("|")]
        assert len(marks) == len(LAYERS), line
        for layer, mark in zip(LAYERS, marks, strict=True):
            assert mark in ("yes", "—"), line
            cells[(rule, layer)] = mark
    return cells


def test_every_yes_in_the_table_is_shown_by_its_test_and_only_those() -> None:
    yes = {cell for cell, mark in _table().items() if mark == "yes"}
    assert yes == set(EVIDENCE)
    for name in EVIDENCE.values():
        file, function = name.split("::")
        source = (ROOT / "tests" / file).read_text(encoding="utf-8")
        assert re.search(rf"^def {function}\(", source, re.M), name
