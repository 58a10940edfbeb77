"""Data of the people app (SPEC §10)."""
