"""The customer list: filters, search and keyset pagination, shared by the page, the API and the
export so all three answer the same question inside the same scope (SPEC §2 list and search).

Pagination is keyset on (aum DESC, id ASC): the next page starts after the last row seen, which
uses the (org_path | a_rm | b_rm, -aum, id) indexes and stays fast at millions of rows.
"""
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django.db import connection
from django.db.models import Q

from .scope import visible_customers
from .search import classify

FILTER_KEYS = ("q", "tier", "stage", "kind", "owner", "tag", "min_completeness", "max_completeness", "pool", "contact")
CONTACT_STATES = ("overdue", "due", "soon", "ok")


def has_contact_status() -> bool:
    """The work app keeps a per-customer cadence row (reverse relation `contact_status`), SPEC §3."""
    from .models import Customer

    return any(getattr(f, "name", "") == "contact_status" for f in Customer._meta.related_objects)


@dataclass
class Page:
    items: list
    next_cursor: str | None
    limit: int
    page: int | None = None
    has_next: bool = False


def _int(value):
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _prefix(field, value):
    """Index-friendly prefix match: LIKE 'x%' uses the varchar_pattern_ops index on PostgreSQL; SQLite's
    LIKE cannot use an index, so there the prefix becomes a range on the (binary-collated) index."""
    if connection.vendor == "sqlite":
        return Q(**{f"{field}__gte": value, f"{field}__lt": value + "\U0010ffff"})
    return Q(**{f"{field}__startswith": value})


def filtered_customers(user, params):
    """The scoped queryset with every filter and the search applied (unordered)."""
    qs = visible_customers(user).filter(merged_into__isnull=True)
    get = params.get
    q = (get("q") or "").strip()
    kind, value = classify(q)
    if kind == "credit_code":
        qs = qs.filter(credit_code=value)
    elif kind == "id_number":
        qs = qs.filter(id_number=value)
    elif kind == "mobile":
        qs = qs.filter(mobile=value)
    elif kind == "tail":
        qs = qs.filter(Q(mobile_tail=value) | Q(id_tail=value))
    elif kind == "initials":
        qs = qs.filter(_prefix("name_initials", value))
    elif kind == "name":
        qs = qs.filter(_prefix("name", value))
    if get("tier"):
        tier = get("tier")
        qs = qs.filter(tier_id=int(tier)) if str(tier).isdigit() else qs.filter(tier__code=tier, tier__rule_set__is_active=True)
    if get("stage"):
        qs = qs.filter(stage=get("stage"))
    if get("kind"):
        qs = qs.filter(kind=get("kind"))
    owner = get("owner")
    if owner == "me":
        qs = qs.filter(Q(a_rm=user) | Q(b_rm=user))
    elif owner == "none" or get("pool") in ("1", "true", True):
        qs = qs.filter(a_rm__isnull=True)
    elif _int(owner):
        qs = qs.filter(Q(a_rm_id=_int(owner)) | Q(b_rm_id=_int(owner)))
    if get("tag"):
        tag = get("tag")
        qs = qs.filter(tags__id=int(tag)) if str(tag).isdigit() else qs.filter(tags__name=tag)
    contact = get("contact")
    if contact in CONTACT_STATES and has_contact_status():
        qs = qs.filter(contact_status__status=contact)
    lo, hi = _int(get("min_completeness")), _int(get("max_completeness"))
    if lo is not None:
        qs = qs.filter(completeness__gte=lo)
    if hi is not None:
        qs = qs.filter(completeness__lte=hi)
    return qs


def encode_cursor(customer) -> str:
    return f"{customer.aum}_{customer.pk}"


def decode_cursor(cursor):
    try:
        aum, pk = str(cursor).rsplit("_", 1)
        return Decimal(aum), int(pk)
    except (ValueError, InvalidOperation):
        return None


def page_of(qs, cursor=None, limit=50, page=None) -> Page:
    """One page sorted by AUM descending (then id): after `cursor` (keyset, any depth) or, without a
    cursor, page number `page` (indexed offset, for shallow pages)."""
    try:
        limit = max(1, min(int(limit or 50), 200))
    except (TypeError, ValueError):
        limit = 50
    after = decode_cursor(cursor) if cursor else None
    offset = 0
    if after is not None:
        aum, pk = after
        qs = qs.filter(Q(aum__lt=aum) | Q(aum=aum, id__gt=pk))
        page = None
    else:
        page = max(1, _int(page) or 1)
        offset = (page - 1) * limit
    rows = list(qs.select_related("tier", "a_rm", "b_rm").order_by("-aum", "id")[offset: offset + limit + 1])
    has_next = len(rows) > limit
    nxt = encode_cursor(rows[limit - 1]) if has_next else None
    return Page(items=rows[:limit], next_cursor=nxt, limit=limit, page=page, has_next=has_next)
