"""Command-line adapters: parse input, call inward, print; errors map to exit codes in main."""
