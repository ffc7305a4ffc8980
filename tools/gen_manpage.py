"""Write share/man/man1/git-claim.1 from gitcoord.cli.manpage (what `git claim -h` says).

    python tools/gen_manpage.py            # write the page
    python tools/gen_manpage.py --check    # exit 1 when the shipped page is out of date
    python tools/gen_manpage.py --install [PREFIX]   # copy it to PREFIX/share/man/man1

A wheel installs the page itself (pyproject.toml's data-files); an editable install
(`pip install -e .`) does not (setuptools skips data files there, pypa/setuptools#3399), so
`--install` puts it where man looks for the running Python's environment (default PREFIX:
sys.prefix; man searches PREFIX/share/man when PREFIX/bin is on PATH).
"""

from __future__ import annotations

import sys
from pathlib import Path

from gitcoord.cli.manpage import PAGE, render

ROOT = Path(__file__).resolve().parent.parent


def main(argv: list[str]) -> int:
    page = ROOT / PAGE
    text = render()
    if argv[:1] == ["--install"]:
        prefix = Path(argv[1]) if len(argv) > 1 else Path(sys.prefix)
        target = prefix / PAGE
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
        print(f"wrote {target}")
        return 0
    if "--check" in argv:
        current = page.read_text(encoding="utf-8") if page.exists() else ""
        if current != text:
            print(f"{PAGE} is out of date: run python tools/gen_manpage.py", file=sys.stderr)
            return 1
        return 0
    page.parent.mkdir(parents=True, exist_ok=True)
    page.write_text(text, encoding="utf-8")
    print(f"wrote {PAGE}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
