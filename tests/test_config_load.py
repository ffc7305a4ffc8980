"""load_config reads gitcoord.toml as it is on disk each time: an edit is seen at once."""

from __future__ import annotations

from pathlib import Path

import pytest

from gitcoord.core.config import CONFIG_FILE, Config, load_config, parse_config
from gitcoord.core.errors import ConfigError

TEXT = '[claims]\nmax_age = "1h"\n[checks]\nguards = "warn"\n[[guard]]\npaths = ["ci/"]\n'


def test_no_file_is_all_defaults(tmp_path: Path) -> None:
    assert load_config(tmp_path) == Config()


def test_an_edit_is_seen_by_the_next_load(tmp_path: Path) -> None:
    (tmp_path / CONFIG_FILE).write_text(TEXT)
    first = load_config(tmp_path)
    assert first.claims.max_age == 3600
    assert first.checks["guards"] == "warn"
    assert first.source == CONFIG_FILE
    (tmp_path / CONFIG_FILE).write_text(TEXT.replace('"1h"', '"2h"'))
    assert load_config(tmp_path).claims.max_age == 7200


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[claims\n", "gitcoord.toml: not valid TOML"),
        ("[claims]\nttl = 1979-05-27\n", "gitcoord.toml:2: claims.ttl: expected a duration"),
        ('[claims]\nttl = "soon"\n', "gitcoord.toml:2: claims.ttl: "),
        ('[sync]\n[claims2]\nttl = "1h"\n', "gitcoord.toml:2: claims2: unknown table or key"),
        ('[remote]\ntimeout = "99999d"\n', "gitcoord.toml:2: remote.timeout: must be at most 1d"),
    ],
)
def test_a_bad_file_is_refused_every_time(tmp_path: Path, text: str, message: str) -> None:
    (tmp_path / CONFIG_FILE).write_text(text)
    for _ in range(2):  # nothing from the first load is kept to change the second
        with pytest.raises(ConfigError) as refused:
            load_config(tmp_path)
        assert refused.value.message.startswith(message), refused.value.message


def test_the_readme_configuration_is_a_valid_config() -> None:
    """README's "Configuration" block lists every table and key; it must parse as it reads."""
    readme = (Path(__file__).parent.parent / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("## Configuration") :]
    start = section.index("```toml\n") + 8
    block = section[start : section.index("\n```", start)]
    config = parse_config(block)
    assert config.claims.max_ttl == 3 * 86400 and config.remote.timeout == 30
    assert config.agent_emails == {"alice@example.com": "alice-bot"}
