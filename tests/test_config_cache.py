"""The hooks' cache of the parsed gitcoord.toml: same Config, same errors, never stale."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from gitcoord.core.config import CONFIG_CACHE, CONFIG_FILE, Config, load_config
from gitcoord.core.errors import ConfigError

TEXT = '[claims]\nmax_age = "1h"\n[checks]\nguards = "warn"\n[[guard]]\npaths = ["ci/"]\n'


def _both(top: Path, cache: Path) -> tuple[Config, Config]:
    return load_config(top), load_config(top, cache)


def test_cached_config_equals_parsed_and_follows_edits(tmp_path: Path) -> None:
    cache = tmp_path / "state"
    (tmp_path / CONFIG_FILE).write_text(TEXT)
    plain, first = _both(tmp_path, cache)
    assert (cache / CONFIG_CACHE).exists()
    assert first == plain
    assert load_config(tmp_path, cache) == plain  # from the cache

    (tmp_path / CONFIG_FILE).write_text(TEXT.replace('"1h"', '"2h"'))
    plain, cached = _both(tmp_path, cache)
    assert cached == plain
    assert cached.claims.max_age == 7200


def test_unreadable_cache_is_ignored(tmp_path: Path) -> None:
    cache = tmp_path / "state"
    cache.mkdir()
    (tmp_path / CONFIG_FILE).write_text(TEXT)
    for junk in ("not json", "[1, 2]", '{"text": 3}', '{"text": "other", "doc": {}}'):
        (cache / CONFIG_CACHE).write_text(junk)
        assert load_config(tmp_path, cache) == load_config(tmp_path)


@pytest.mark.parametrize(
    "text",
    [
        "[claims\n",  # not TOML: never cached
        "[claims]\nttl = 1979-05-27\n",  # a TOML date: JSON cannot hold it, so not cached
        '[claims]\nttl = "soon"\n',  # valid TOML, invalid config: cached, still refused
    ],
)
def test_errors_are_the_same_with_the_cache(tmp_path: Path, text: str) -> None:
    cache = tmp_path / "state"
    (tmp_path / CONFIG_FILE).write_text(text)
    with pytest.raises(ConfigError) as plain:
        load_config(tmp_path)
    for _ in range(2):  # the second run reads whatever the first one cached
        with pytest.raises(ConfigError) as cached:
            load_config(tmp_path, cache)
        assert cached.value.render() == plain.value.render()


def test_a_cached_config_does_not_import_tomllib(tmp_path: Path) -> None:
    (tmp_path / CONFIG_FILE).write_text(TEXT)
    root = Path(__file__).resolve().parent.parent
    code = (
        f"import sys; sys.path.insert(0, {str(root)!r}); from pathlib import Path; "
        "from gitcoord.core.config import load_config; "
        f"load_config(Path({str(tmp_path)!r}), Path({str(tmp_path / 'state')!r})); "
        "print('tomllib' in sys.modules)"
    )
    runs = [
        subprocess.run([sys.executable, "-S", "-c", code], capture_output=True, text=True)
        for _ in range(2)
    ]
    assert [r.stdout.strip() for r in runs] == ["True", "False"], [r.stderr for r in runs]
