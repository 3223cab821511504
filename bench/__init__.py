"""Benchmarks: every pipeline step timed against a baseline measured in the same run."""
