"""The customer list: filters, search and keyset pagination, shared by the page, the API and the
export so all three answer the same question inside the same scope (SPEC §2 list and search).

Pagination is keyset on (aum DESC, id ASC): the next page starts after the last row seen, which
uses the (org_path | a_rm | b_rm, -aum, id) indexes and stays fast at millions of rows.

Query shapes (bench/notes.md items 1-3):
- a page loads only the columns a list shows (`LIST_FIELDS` and the few columns of the joined tier /
  RMs / unit), never whole rows of the customer and both RMs (password hashes included);
- when the rows are one person's book (an RM whose scope is only their own customers, or the
  `owner` filter), a page is two ordered scans, one per owner index (a_rm, -aum, id) and
  (b_rm, -aum, id), each limited to the page + 1 row, merged here: `a_rm = x OR b_rm = x` would make
  PostgreSQL walk the whole table's AUM index and filter. On PostgreSQL the two scans are sent as one
  statement, `(… LIMIT n) UNION ALL (… LIMIT n)`; SQLite allows no LIMIT inside a compound select, so
  there they stay two queries;
- the keyset bound is sargable: `aum <= x AND NOT (aum = x AND id <= y)` is an index condition,
  `aum < x OR (aum = x AND id > y)` is not.
"""

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django.db import connection, connections
from django.db.models import Q
from django.db.models.sql.where import AND, OR, WhereNode

from rmdesk.core import hooks
from rmdesk.core.scope import scope_q

from .models import Customer, TierRuleSet
from .scope import visible_customers
from .search import classify

OWN_FILTER_KEYS = ("q", "tier", "stage", "kind", "owner", "tag", "min_completeness", "max_completeness", "pool")


def extra_filters():
    """Filters other apps offer on the customer list through the hook registry (e.g. the work app's
    contact status, SPEC §3): the archive does not know their models."""
    return hooks.list_filters("customers")


def filter_keys() -> tuple:
    return OWN_FILTER_KEYS + tuple(f.key for f in extra_filters())


def active_tier_groups() -> list[tuple[str, str, list[tuple[int, str]]]]:
    """(kind, set name, [(tier id, tier name)]) of the rule set in use for each kind (the first active set of
    the kind by id, its tiers highest rank first), as the list's tier filter groups them (SPEC §2: every kind
    its own tiers): what `services.active_rule_sets()` gives, in one query of the few columns shown instead
    of the sets and a prefetch of their tiers (issue 18)."""
    rows = (
        TierRuleSet.objects.filter(is_active=True)
        .order_by("id", "-tiers__rank", "tiers__id")
        .values_list("id", "kind", "name", "tiers__id", "tiers__name")
    )
    sets, first = {}, {}
    for rs_id, kind, name, tier_id, tier_name in rows:
        if first.setdefault(kind, rs_id) != rs_id:
            continue  # a second active set of the kind: not the one in use
        group = sets.setdefault(kind, (kind, name, []))
        if tier_id is not None:
            group[2].append((tier_id, tier_name))
    return list(sets.values())


MAX_PAGE = 100_000  # deeper pages go by cursor; a larger number would overflow the offset


@dataclass
class Page:
    items: list
    next_cursor: str | None
    limit: int
    page: int | None = None
    has_next: bool = False


MAX_FILTER_INT = 2**63 - 1


def _int(value):
    """An integer filter value, or None when it is not one or no column could hold it."""
    try:
        value = int(value)
    except (TypeError, ValueError):
        return None
    return value if abs(value) <= MAX_FILTER_INT else None


def _id(value):
    """A key given as digits (a tier or tag id), or None."""
    value = str(value)
    return _int(value) if value.isdigit() else None


def _prefix(field, value):
    """Index-friendly prefix match: LIKE 'x%' uses the varchar_pattern_ops index on PostgreSQL; SQLite's
    LIKE cannot use an index, so there the prefix becomes a range on the (binary-collated) index."""
    if connection.vendor == "sqlite":
        return Q(**{f"{field}__gte": value, f"{field}__lt": value + "\U0010ffff"})
    return Q(**{f"{field}__startswith": value})


def own_book_only(user) -> bool:
    """True when the user's whole read scope is their own book (A-post or B-post customers): an RM
    without team-lead, manager or subtree read roles."""
    pk = getattr(user, "pk", None)
    return pk is not None and scope_q(user, Customer.SCOPE) == (Q(a_rm=pk) | Q(b_rm=pk))


def filtered_customers(user, params):
    """The scoped queryset with every filter and the search applied (unordered)."""
    qs = visible_customers(user).filter(merged_into__isnull=True)
    if own_book_only(user):
        qs = qs.within_book_of(user.pk, filtered=True)
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
        if str(tier).isdigit():
            qs = qs.filter(tier_id=_id(tier)) if _id(tier) else qs.none()
        else:
            qs = qs.filter(tier__code=tier, tier__rule_set__is_active=True)
    if get("stage"):
        qs = qs.filter(stage=get("stage"))
    if get("kind"):
        qs = qs.filter(kind=get("kind"))
    owner = get("owner")
    if owner == "me":
        qs = qs.within_book_of(user.pk)
    elif owner == "none" or get("pool") in ("1", "true", True):
        qs = qs.filter(a_rm__isnull=True)
    elif _int(owner):
        qs = qs.within_book_of(_int(owner))
    elif str(owner).isdigit():
        qs = qs.none()  # no staff key is that large
    if get("tag"):
        tag = get("tag")
        if str(tag).isdigit():
            qs = qs.filter(tags__id=_id(tag)) if _id(tag) else qs.none()
        else:
            qs = qs.filter(tags__name=tag)
    for extra in extra_filters():
        value = get(extra.key)
        if value and value in {str(v) for v, _label in extra.choices}:
            qs = extra.apply(qs, value, user)
    lo, hi = _int(get("min_completeness")), _int(get("max_completeness"))
    if lo is not None:
        qs = qs.filter(completeness__gte=lo)
    if hi is not None:
        qs = qs.filter(completeness__lte=hi)
    return qs


# the columns a list row needs: the page, the API row (CustomerRow), the pool page and the cursor
LIST_FIELDS = (
    "id",
    "customer_no",
    "kind",
    "name",
    "name_initials",
    "stage",
    "aum",
    "deposits",
    "loans",
    "a_rm",
    "b_rm",
    "org_unit",
    "tier",
    "completeness",
    "mobile",
    "id_number",
    "credit_code",
)
RELATED_FIELDS = {
    "tier": ("id", "code", "name", "rank"),
    "a_rm": ("id", "username", "full_name"),
    "b_rm": ("id", "username", "full_name"),
    "org_unit": ("id", "code", "name"),
}
LIST_RELATED = ("tier", "a_rm", "b_rm")


def list_rows(qs, related=LIST_RELATED):
    """`qs` reduced to the listed columns, with `related` (keys of RELATED_FIELDS) joined."""
    fields = list(LIST_FIELDS)
    for rel in related:
        fields += [f"{rel}__{f}" for f in RELATED_FIELDS[rel]]
    return qs.select_related(None).select_related(*related).only(*fields)


def encode_cursor(customer) -> str:
    return f"{customer.aum}_{customer.pk}"


# a cursor's AUM fits the column (DecimalField(max_digits=18, decimal_places=2)) and its id a bigint key
MAX_CURSOR_AUM = Decimal("1e16")
MAX_CURSOR_ID = 2**63 - 1


def decode_cursor(cursor):
    """(aum, id) of a cursor made by encode_cursor, or None for anything else (malformed, NaN,
    infinite, or beyond what the columns hold)."""
    try:
        aum, pk = str(cursor).rsplit("_", 1)
        aum, pk = Decimal(aum), int(pk)
    except (ValueError, InvalidOperation):
        return None
    if not aum.is_finite() or abs(aum) >= MAX_CURSOR_AUM or not 0 < pk <= MAX_CURSOR_ID:
        return None
    return aum.quantize(Decimal("0.01")), pk


def after_key(qs, aum, pk):
    """Rows after (aum, pk) in (aum DESC, id) order, sargable: aum <= x AND NOT (aum = x AND id <= y)."""
    return qs.filter(aum__lte=aum).exclude(aum=aum, id__lte=pk)


def _is_book_condition(node, owner, alias) -> bool:
    """Is this WHERE node `a_rm_id = owner OR b_rm_id = owner` on the customer table?"""
    if not isinstance(node, WhereNode) or node.connector != OR or node.negated or len(node.children) != 2:
        return False
    cols = set()
    for child in node.children:
        lhs = getattr(child, "lhs", None)
        if getattr(child, "lookup_name", None) != "exact" or getattr(lhs, "alias", None) != alias or child.rhs != owner:
            return False
        cols.add(getattr(getattr(lhs, "target", None), "attname", None))
    return cols == {"a_rm_id", "b_rm_id"}


def _owner_part(qs, column, owner):
    """The rows of `qs` (all in `owner`'s book) where `column` (a_rm_id | b_rm_id) is the owner.

    The `a_rm = x OR b_rm = x` condition is implied by `column = x`, so it is dropped: left in, it
    makes PostgreSQL underestimate the rows ~100-fold and sort the whole book from the plain FK
    index instead of reading the first rows of the ordered (owner, -aum, id) index."""
    part = qs.filter(**{column: owner})
    where = part.query.where  # a clone of qs's: its children list is part's own
    if where.connector == AND and not where.negated:
        alias = part.query.get_initial_alias()
        where.children = [ch for ch in where.children if not _is_book_condition(ch, owner, alias)]
    return part


def _ordered_slice(qs, start, stop, related):
    owner = getattr(qs, "book_owner", None)
    if owner is None or qs.query.combinator:
        return list(list_rows(qs, related).order_by("-aum", "id")[start:stop])
    # one person's book: one ordered index scan per owner column, each up to `stop` rows, merged here
    parts = [
        list_rows(_owner_part(qs, column, owner), related).order_by("-aum", "id")[:stop]
        for column in ("a_rm_id", "b_rm_id")
    ]
    if connections[parts[0].db].features.supports_slicing_ordering_in_compound:
        # PostgreSQL: both limited scans in one round trip, `(… LIMIT n) UNION ALL (… LIMIT n)` (issue 18)
        parts = [parts[0].union(parts[1], all=True)]
    rows = {}
    for part in parts:
        for c in part:
            rows.setdefault(c.pk, c)
    return sorted(rows.values(), key=lambda c: (-c.aum, c.pk))[start:stop]


def page_of(qs, cursor=None, limit=50, page=None, *, related=LIST_RELATED) -> Page:
    """One page sorted by AUM descending (then id): after `cursor` (keyset, any depth) or, without a
    cursor, page number `page` (indexed offset, for shallow pages). Rows carry only the listed
    columns (`LIST_FIELDS`) and the `related` objects (tier, RMs, unit)."""
    try:
        limit = max(1, min(int(limit or 50), 200))
    except (TypeError, ValueError):
        limit = 50
    after = decode_cursor(cursor) if cursor else None
    offset = 0
    if after is not None:
        qs = after_key(qs, *after)
        page = None
    else:
        page = min(max(1, _int(page) or 1), MAX_PAGE)
        offset = (page - 1) * limit
    rows = _ordered_slice(qs, offset, offset + limit + 1, related)
    has_next = len(rows) > limit
    nxt = encode_cursor(rows[limit - 1]) if has_next else None
    return Page(items=rows[:limit], next_cursor=nxt, limit=limit, page=page, has_next=has_next)
