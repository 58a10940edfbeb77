"""Searchable customer picker (SPEC §2 search, §3 forms that name a customer): a form field, its
widget and the htmx suggest view, replacing `<select>`s that listed every writable customer.

The widget is a search box plus a group of radio buttons: typing asks the suggest view (htmx) for
up to `LIMIT` customers of the user's *writable* scope matching a name prefix, pinyin initials or a
customer-number prefix; picking one checks its radio, which posts the customer's id under the
field's name. No JavaScript of our own is needed. Without htmx, typing an exact customer number (or
a unique exact name) and submitting also works. The field validates the posted value against the
same scoped queryset the suggestions come from (`picker_queryset`), so an unknown or out-of-scope
id is a field error and `cleaned_data[name]` is a `Customer`.
"""

import re

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from .models import Customer
from .queries import _prefix
from .scope import visible_customers

LIMIT = 20
MAX_PK = 2**63 - 1
_FIELD_NAME = re.compile(r"[\w-]{1,60}")
_INITIALS = re.compile(r"[A-Za-z]{1,20}")
_NUMBER = re.compile(r"[A-Za-z0-9-]{1,32}")


def picker_queryset(user):
    """The customers a user may pick: their writable scope, merged-away records excluded."""
    return visible_customers(user, write=True).filter(merged_into__isnull=True)


def suggest(user, q: str, limit: int = LIMIT) -> list[Customer]:
    """Up to `limit` customers in `user`'s writable scope whose name starts with `q`, whose pinyin
    initials start with `q` (letters) or whose customer number starts with `q`, by name.

    Each criterion is its own query on its indexed column (prefix match, `queries._prefix`), limited
    and ordered by name; the first `limit` of their union by name is then exact (each part holds its
    own first `limit`), and no query scans the table for a substring."""
    q = (q or "").strip()[:60]
    if not q:
        return []
    qs = picker_queryset(user).only("id", "name", "customer_no")
    conditions = [_prefix("name", q)]
    if _INITIALS.fullmatch(q):
        conditions.append(_prefix("name_initials", q.lower()))
    if _NUMBER.fullmatch(q):
        conditions += [_prefix("customer_no", v) for v in {q, q.upper()}]
    found = {}
    for cond in conditions:
        for c in qs.filter(cond).order_by("name", "id")[:limit]:
            found[c.pk] = c
    return sorted(found.values(), key=lambda c: (c.name, c.pk))[:limit]


def _as_pk(value):
    text = str(value).strip()
    if not text.isdigit() or len(text) > 19 or int(text) > MAX_PK:
        return None
    return int(text)


def label_of(customer) -> str:
    return f"{customer.name}（{customer.customer_no}）"


class TypedQuery(str):
    """What the user typed in the search box when no suggestion was picked."""


class CustomerPicker(forms.Widget):
    """Search box + radio group; `choices` is set by ModelChoiceField (the field's iterator) and is
    only used to reach the field's queryset, never iterated."""

    template_name = "customers/picker/widget.html"
    choices = ()

    def value_from_datadict(self, data, files, name):
        picked = data.get(name)
        if picked:
            return picked
        typed = (data.get(f"{name}_q") or "").strip()
        return TypedQuery(typed) if typed else None

    def value_omitted_from_data(self, data, files, name):
        return name not in data and f"{name}_q" not in data

    def _selected(self, value):
        if value in (None, "") or isinstance(value, TypedQuery):
            return None
        if isinstance(value, Customer):
            value = value.pk
        pk = _as_pk(value)
        field = getattr(self.choices, "field", None)
        if pk is None or field is None or field.queryset is None:
            return None
        return field.queryset.only("id", "name", "customer_no").filter(pk=pk).first()

    def get_context(self, name, value, attrs):
        ctx = super().get_context(name, value, attrs)
        selected = self._selected(value)
        ctx["widget"].update(
            selected=selected,
            selected_label=label_of(selected) if selected else "",
            query=value if isinstance(value, TypedQuery) else "",
            suggest_url=f"{reverse('customers:picker_suggest')}?field={name}",
            options_id=f"{ctx['widget']['attrs'].get('id') or name}-options",
        )
        return ctx


class CustomerPickerField(forms.ModelChoiceField):
    """A customer chosen with `CustomerPicker`; call `for_user(user)` in the form's __init__.
    Cleans to a `Customer` of `picker_queryset(user)`, else a field error (never a 5xx)."""

    widget = CustomerPicker
    default_error_messages = {
        "invalid_choice": _("请从搜索结果中选择一位您可以维护的客户。"),
        "ambiguous": _("有多位客户名为“%(name)s”，请从搜索结果中选择。"),
    }

    def __init__(self, queryset=None, **kwargs):
        kwargs.setdefault("empty_label", None)
        super().__init__(queryset, **kwargs)

    def for_user(self, user):
        self.queryset = picker_queryset(user)
        return self

    def label_from_instance(self, obj):
        return label_of(obj)

    def to_python(self, value):
        if value in self.empty_values:
            return None
        qs = self.queryset.none() if self.queryset is None else self.queryset
        if isinstance(value, TypedQuery):
            found = list(qs.filter(customer_no=value)[:1]) or list(qs.filter(name=value)[:2])
            if len(found) > 1:
                raise ValidationError(self.error_messages["ambiguous"], code="ambiguous", params={"name": value})
            if not found:
                raise ValidationError(self.error_messages["invalid_choice"], code="invalid_choice")
            return found[0]
        if isinstance(value, Customer):
            value = value.pk
        pk = _as_pk(value)
        customer = qs.filter(pk=pk).first() if pk is not None else None
        if customer is None:
            raise ValidationError(self.error_messages["invalid_choice"], code="invalid_choice")
        return customer


@login_required
def picker_suggest(request):
    """htmx: the picker's options for what was typed (SPEC §2 search), only in the writable scope.
    The currently picked customer (if still pickable) stays first and checked."""
    field = request.GET.get("field") or "customer"
    if not _FIELD_NAME.fullmatch(field):
        field = "customer"
    q = request.GET.get(f"{field}_q") or request.GET.get("q") or ""
    selected = None
    pk = _as_pk(request.GET.get(field) or "")
    if pk is not None:
        selected = picker_queryset(request.user).only("id", "name", "customer_no").filter(pk=pk).first()
    items = [c for c in suggest(request.user, q) if selected is None or c.pk != selected.pk]
    return render(
        request,
        "customers/picker/options.html",
        {"name": field, "selected": selected, "items": items, "q": q.strip()},
    )
