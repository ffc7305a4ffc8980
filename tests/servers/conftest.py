"""Make the server fixtures available to the tests in this directory."""

from .fixtures import *  # noqa: F403
