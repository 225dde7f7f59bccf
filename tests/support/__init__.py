"""Synthetic-input builders shared by the tests and the benchmarks (``bench/`` imports them).

Built in code only: no real patient data. Importable as ``tests.support`` from the
repository root (pytest's ``pythonpath`` and ``python -m bench...`` both put it there).
"""
