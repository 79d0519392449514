"""Benchmarks of parago beside the peers users would pick instead.

Each kernel runs in a fresh interpreter (runner.measure) so peers never
share a process, a GIL or an event loop with each other; report.py prints
the figures side by side as ratios. ``python -m parago bench`` and the
scripts in perf/ both use these kernels.
"""
