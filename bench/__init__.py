"""`python -m bench`: build a synthetic institution in PostgreSQL and time the dashboards.

See bench/runner.py for what is measured and docs/programs.md for how to read the table.
"""
