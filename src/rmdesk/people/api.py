"""REST API of the people app (SPEC §10, §12)."""

from ninja import Router

router = Router(tags=["people"])
