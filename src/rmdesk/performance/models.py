"""Data of the performance app (SPEC §9)."""
