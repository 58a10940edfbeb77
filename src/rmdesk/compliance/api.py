"""REST API of the compliance app (SPEC §8, §12)."""

from ninja import Router

router = Router(tags=["compliance"])
