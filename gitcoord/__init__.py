"""gitcoord: a shared git remote as the coordination service."""

__version__ = "0.8.0"
