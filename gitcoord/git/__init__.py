"""The git layer: the only code that starts git processes (local commands and transport)."""
