"""Benchmarks (not tests): `python -m bench --size small|full` — see docs/benchmarks.md."""
