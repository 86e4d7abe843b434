"""Load benchmarks of the line's webhooks: `make bench` (see bench/README.md)."""
