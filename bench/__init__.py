"""`make bench`: gitcoord measured against raw git on the same remote (docs/benchmarks.md)."""
