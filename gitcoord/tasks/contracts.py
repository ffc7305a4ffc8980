"""Typed contracts: `[tasks.kinds.NAME] input = "schemas/x.json"` and `result = ...` are JSON
Schemas a task of that kind must satisfy when it is added (its input) and completed (its
result), validated with the `jsonschema` package.

The schema files are read from the commit the policy in force was read from (the base tip,
or HEAD: store/policy_source.py), as gitcoord.toml itself is: an uncommitted edit of a
schema changes no decision.
"""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING, Any

from gitcoord.core.config import CONFIG_FILE, MAX_POLICY_BYTES, Config
from gitcoord.core.errors import ConfigError, UsageError
from gitcoord.core.textsafe import printable
from gitcoord.git.history import files_at

if TYPE_CHECKING:
    from jsonschema.exceptions import ValidationError

MAX_SHOWN = 200  # characters of a value quoted in a message
ARTICLES = {"input": "an", "result": "a"}
BARE_KEY = re.compile(r"[A-Za-z0-9_-]+")  # a TOML key that needs no quotes


def _in_json(error: ValidationError) -> str:
    """jsonschema's message with the values it quotes in Python's words (None, True,
    {'a': None}) said in JSON's (null, true, {"a": null}): the user wrote JSON."""
    message = error.message
    words = [error.instance]
    if error.validator in ("enum", "const"):
        words.append(error.validator_value)
    for value in words:
        if isinstance(value, str):
            continue  # 'yes' reads as well as "yes"
        try:
            said = json.dumps(value, ensure_ascii=False)
        except (TypeError, ValueError):
            continue
        message = message.replace(repr(value), said, 1)
    return message


class Contracts:
    """The kinds' schemas of one policy, loaded on first use (jsonschema costs ~0.1 s)."""

    def __init__(self, cwd: str, config: Config) -> None:
        self.cwd = cwd
        self.config = config
        self._schemas: dict[str, Any] = {}

    def check(self, kind: str | None, which: str, value: Any) -> None:
        """Raise UsageError (exit 2) naming the field when `value`, the `which` ("input" or
        "result") of a task of `kind`, does not match its kind's schema."""
        if kind is None:
            return
        spec = self.config.tasks.kinds.get(kind)
        if spec is None:
            if which == "input":  # (a kind dropped from the policy later ends no task)
                raise self._undeclared(kind)
            return
        path = getattr(spec, which)
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
        try:
            error = exceptions.best_match(cls(schema).iter_errors(value))
        except Exception as exc:  # a $ref that resolves nowhere, or beyond the file
            said = printable(f"{type(exc).__name__}: {exc}")[:MAX_SHOWN]
            raise ConfigError(
                f"{path} (the {which} schema of task kind {kind!r}) cannot be applied: {said}",
                fix=f'a $ref in {path} may point only inside that file (e.g. "#/$defs/name"); '
                f"fix it in a commit and land it on {self.config.source}",
            ) from None
        if error is not None:
            where = "".join(
                f"[{p}]" if isinstance(p, int) else f".{p}" for p in error.absolute_path
            )
            raise UsageError(
                printable(
                    f"the {which} of a task of kind {kind!r} does not match {path}: at "
                    f"{which + where if where else f'the root of the {which}'}: "
                    f"{_in_json(error)[:MAX_SHOWN]}"
                ),
                fix=f"give {ARTICLES[which]} {which} that {path} accepts",
            )

    def _undeclared(self, kind: str) -> UsageError:
        """An unknown --kind is refused, as an unknown --pool is: a typo must not add a task
        whose contract is silently skipped (and that no worker of the kind would take)."""
        declared = sorted(self.config.tasks.kinds)
        known = f"declared: {', '.join(declared)}" if declared else f"{CONFIG_FILE} declares none"
        name = kind if BARE_KEY.fullmatch(kind) else json.dumps(kind)
        return UsageError(
            printable(f"no task kind {kind!r} in {CONFIG_FILE} ({known})"),
            fix=printable(
                f"declare it where the policy is committed: [tasks.kinds.{name}] (input and "
                "result, JSON Schema files, are optional); or leave --kind out"
            ),
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
