"""Performance benchmarks: scripts that print figures (`make bench-bus`), never timed assertions."""
