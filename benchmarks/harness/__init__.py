"""The pieces of the benchmark driver (run.py): stdlib only, Linux only."""
