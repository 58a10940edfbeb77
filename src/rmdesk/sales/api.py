"""REST API of the sales app (SPEC §4, §12)."""

from ninja import Router

router = Router(tags=["sales"])
