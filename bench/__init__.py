"""Benchmarks and load tests: they print figures; tests never assert timings."""
