"""Benchmarks: one script per figure in docs/performance.md, and `run_all` to run them all.

Each script runs from the repository root as `.venv/bin/python -m bench.<name>` (or
`.venv/bin/python bench/<name>.py`), takes `--quick` (a fast check that the harness works; its
numbers mean nothing), prints one markdown table row per figure and writes the numbers to
`bench/results/<name>.json`.
"""
