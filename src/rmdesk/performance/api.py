"""REST API of the performance app (SPEC §9, §12)."""

from ninja import Router

router = Router(tags=["performance"])
