"""Slots on the customer's 360° page that other apps fill (interactions, opportunities, complaints,
credit...) without editing the page (SPEC §2 "360° view").

An app registers a `Slot` through the kernel's hook registry in its AppConfig.ready():

    from rmdesk.core import hooks
    hooks.register(hooks.Slot(key="interactions", title=_("服务记录"), template="work/slot_interactions.html",
                              context=lambda request, customer: {"items": ...}, order=20))

The 360° page renders each slot's template with `slot` (its context dict) and `customer` in scope.
The customer passed in has already been checked against the viewer's scope.
"""

from rmdesk.core import hooks
from rmdesk.core.hooks import Slot

from .picker import CustomerPickerField, picker_queryset, suggest  # the customer picker other apps' forms use

__all__ = ["CustomerPickerField", "Row", "Slot", "picker_queryset", "slots_for", "suggest"]


class Row(dict):
    """One row of a slot's list, prepared in Python (issue 18, decision 87): its values are read in the template
    as `{{ row.key }}` (a plain dict lookup, no model, no per-row `{% url %}` or `get_FOO_display`) and in
    Python as `row.key` too, as a model instance's would be."""

    __slots__ = ()

    def __getattr__(self, name):
        try:
            return self[name]
        except KeyError:
            raise AttributeError(name) from None


def slots_for(request, customer) -> list[dict]:
    out = []
    for slot in hooks.registered(Slot):
        if slot.roles is not None and not request.user.has_role(*slot.roles):
            continue
        ctx = slot.context(request, customer)
        if ctx is None:
            continue
        out.append({"key": slot.key, "title": slot.title, "template": slot.template, "context": ctx})
    return out
