"""REST API of the contracts app (SPEC §7, §12)."""

from ninja import Router

router = Router(tags=["contracts"])
