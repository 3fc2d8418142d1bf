"""Benchmarks of issue 8, run with ``python -m benchmarks`` (see benchmarks/README.md)."""
