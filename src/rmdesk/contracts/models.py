"""Data of the contracts app (SPEC §7)."""
