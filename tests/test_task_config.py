"""`[tasks]` and `[pools.NAME]` mistakes are named where they are written, at load, not at the
first take (new-user trial): a task lease over [claims] max_ttl, a pool name no ref can hold,
a slot count that is not a whole number from 1 to 1000."""

from __future__ import annotations

import pytest

from gitcoord.core.config import parse_config
from gitcoord.core.errors import ConfigError
from tests.gitenv import Agent
from tests.taskenv import share_policy


@pytest.mark.parametrize(
    ("text", "said"),
    [
        ('[claims]\nmax_ttl = "3d"\n[tasks]\nttl = "5d"\n',
         "gitcoord.toml:4: tasks.ttl: must be at most [claims] max_ttl (3d)"),
        ('[pools."Bad Name"]\nslots = 2\n', "'Bad Name' is not a pool name"),
        ("[pools.gpu]\nslots = -1\n", "expected a whole number from 1 to 1000, got -1"),
        ("[pools.gpu]\nslots = 0\n", "expected a whole number from 1 to 1000, got 0"),
        ('[pools.gpu]\nslots = "2"\n', "expected a whole number from 1 to 1000, got '2'"),
    ],
)  # fmt: skip
def test_task_and_pool_mistakes_are_named_at_load(text: str, said: str) -> None:
    with pytest.raises(ConfigError) as raised:
        parse_config(text)
    assert said in raised.value.message


def test_a_task_lease_within_max_ttl_and_a_good_pool_load() -> None:
    config = parse_config('[claims]\nmax_ttl = "3d"\n[tasks]\nttl = "2d"\n[pools.gpu]\nslots = 2\n')
    assert config.tasks.ttl == 2 * 86400 and dict(config.pools) == {"gpu": 2}


@pytest.mark.transports("file")
def test_an_undeclared_pool_is_refused_naming_the_declared(alice: Agent) -> None:
    share_policy("[pools.gpu]\nslots = 2\n[pools.cpu]\nslots = 8\n", alice)
    res = alice.gitcoord("task", "add", "x", "--pool", "tpu")
    assert res.rc == 2 and "no pool 'tpu' in gitcoord.toml (declared: cpu, gpu)" in res.err
