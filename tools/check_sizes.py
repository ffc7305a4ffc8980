"""Keep modules and functions small enough to hold in one's head.

A module over MODULE_LINES lines, or a function whose body is over FUNCTION_LINES, fails
`make lint` unless its docstring says why it is long, in a sentence that starts with
"Long because".
Run: python tools/check_sizes.py [PATH...]  (default: gitcoord/)
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

MODULE_LINES = 300
FUNCTION_LINES = 50
REASON = "Long because"


def _excused(node: ast.AST) -> bool:
    doc = ast.get_docstring(node)  # type: ignore[arg-type]
    return doc is not None and REASON in doc


def problems(path: Path) -> list[str]:
    text = path.read_text(encoding="utf-8")
    tree = ast.parse(text, str(path))
    found = []
    lines = len(text.splitlines())
    if lines > MODULE_LINES and not _excused(tree):
        found.append(f"{path}: {lines} lines (limit {MODULE_LINES})")
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            # The body only: a typer command declares its options in its signature.
            length = (node.end_lineno or node.lineno) - node.body[0].lineno + 1
            if length > FUNCTION_LINES and not _excused(node):
                found.append(
                    f"{path}:{node.lineno}: {node.name}() is {length} lines"
                    f" (limit {FUNCTION_LINES})"
                )
    return found


def main(argv: list[str]) -> int:
    roots = [Path(a) for a in argv] or [Path("gitcoord")]
    files = sorted(p for r in roots for p in ([r] if r.is_file() else r.rglob("*.py")))
    found = [line for f in files for line in problems(f)]
    for line in found:
        print(line)
    if found:
        print(
            f"{len(found)} over the size limits; split them, or say why at their top "
            f'("{REASON} ...").',
            file=sys.stderr,
        )
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
