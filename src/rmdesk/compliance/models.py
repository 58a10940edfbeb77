"""Data of the compliance app (SPEC §8)."""
