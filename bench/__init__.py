"""RM Desk benchmark harness (issue #4): data generator, measured items, raw-SQL floor, report.

Entry point: `python -m bench.run --size small|branch [--scale F] --db sqlite|postgres` (`make bench`).
"""
