"""Slots on the customer's 360° page that other apps fill (interactions, opportunities, complaints,
credit...) without editing the page (SPEC §2 "360° view").

An app registers in its AppConfig.ready():

    from rmdesk.customers.slots import register_slot, Slot
    register_slot(Slot(key="interactions", title=_("服务记录"), template="work/slot_interactions.html",
                       context=lambda request, customer: {"items": ...}, order=20))

The 360° page renders each slot's template with `slot` (its context dict) and `customer` in scope.
The customer passed in has already been checked against the viewer's scope.
"""
from dataclasses import dataclass
from typing import Callable


@dataclass(frozen=True)
class Slot:
    key: str
    title: object
    template: str
    context: Callable  # (request, customer) -> dict | None (None hides the slot)
    order: int = 100
    roles: tuple | None = None  # None: everyone who may see the customer


_SLOTS: dict[str, Slot] = {}


def register_slot(slot: Slot):
    _SLOTS[slot.key] = slot


def slots_for(request, customer) -> list[dict]:
    out = []
    for slot in sorted(_SLOTS.values(), key=lambda s: (s.order, s.key)):
        if slot.roles is not None and not request.user.has_role(*slot.roles):
            continue
        ctx = slot.context(request, customer)
        if ctx is None:
            continue
        out.append({"key": slot.key, "title": slot.title, "template": slot.template, "context": ctx})
    return out
