"""Typed contracts: `[tasks.kinds.NAME] input = "schemas/x.json"` and `result = ...` are JSON
Schemas a task of that kind must satisfy when it is added (its input) and completed (its
result), validated with the `jsonschema` package.

The schema files are read from the commit the policy in force was read from (the base tip,
or HEAD: store/policy_source.py), as gitcoord.toml itself is: an uncommitted edit of a
schema changes no decision.
"""

from __future__ import annotations

import json
from typing import Any

from gitcoord.core.config import CONFIG_FILE, MAX_POLICY_BYTES, Config
from gitcoord.core.errors import ConfigError, UsageError
from gitcoord.git.history import files_at

MAX_SHOWN = 200  # characters of a value quoted in a message


class Contracts:
    """The kinds' schemas of one policy, loaded on first use (jsonschema costs ~0.1 s)."""

    def __init__(self, cwd: str, config: Config) -> None:
        self.cwd = cwd
        self.config = config
        self._schemas: dict[str, Any] = {}

    def check(self, kind: str | None, which: str, value: Any) -> None:
        """Raise UsageError (exit 2) naming the field when `value`, the `which` ("input" or
        "result") of a task of `kind`, does not match its kind's schema."""
        spec = self.config.tasks.kinds.get(kind) if kind is not None else None
        path = getattr(spec, which) if spec is not None else ""
        if not path:
            return
        from jsonschema import exceptions, validators  # only where a kind has a contract

        schema = self._schema(path)
        cls = validators.validator_for(schema)
        try:
            cls.check_schema(schema)
        except exceptions.SchemaError as exc:
            raise ConfigError(
                f"{path} (the {which} schema of task kind {kind!r}) is not a valid JSON "
                f"Schema: {exc.message}"[:500],
                fix=f"fix {path} in a commit and land it on {self.config.source}",
            ) from None
        error = exceptions.best_match(cls(schema).iter_errors(value))
        if error is not None:
            field = which + "".join(
                f"[{p}]" if isinstance(p, int) else f".{p}" for p in error.absolute_path
            )
            raise UsageError(
                f"the {which} of a {kind!r} task does not match {path}: at {field}: "
                f"{error.message[:MAX_SHOWN]}",
                fix=f"give a {which} that {path} accepts",
            )

    def _schema(self, path: str) -> Any:
        if path not in self._schemas:
            self._schemas[path] = self._load(path)
        return self._schemas[path]

    def _load(self, path: str) -> Any:
        rev = self.config.source
        if not rev or rev == CONFIG_FILE:
            raise ConfigError(f"task kind schemas need a committed {CONFIG_FILE} ({path})")
        name = f"{rev}:{path.removeprefix('./')}"
        text = files_at(self.cwd, [name], MAX_POLICY_BYTES).get(name)
        if text is None:
            raise ConfigError(
                f"the task schema {path} is not a file of at most {MAX_POLICY_BYTES} bytes "
                f"at {rev} (where the policy in force, {CONFIG_FILE}, was read)",
                fix=f"commit {path} beside {CONFIG_FILE} and land it on {rev}",
            )
        try:
            return json.loads(text.decode("utf-8"))
        except (UnicodeDecodeError, ValueError, RecursionError) as exc:
            raise ConfigError(
                f"the task schema {path} at {rev} is not JSON: {exc}"[:500],
                fix=f"fix {path} in a commit and land it on {rev}",
            ) from None
