"""Data of the sales app (SPEC §4)."""
