"""The data-scope rule, the one API every app plugs its models into (SPEC §1).

- an RM sees the objects where they are an owner (A-post or B-post for customers);
- a team lead sees their team's subtree; a branch manager their unit's subtree;
- risk, compliance and back-office assistants see their unit's subtree read-only;
- referrers and administrators see no customer data by default.
A person holding several roles sees the union. Out-of-scope objects answer 404: views fetch through
`get_in_scope_or_404`, never through an unscoped manager.

An app describes a model family with a `ScopeSpec`:
- `owner_fields`: FKs to the staff who own the row (seen by an RM named there);
- `personal_fields`: FKs to a person who always sees the row they are named on, whatever their
  roles (the claimant of a conflict, the responsible person of a case);
- `path_fields`: fields holding a copy of an owning unit's materialised path; a row is in a
  manager's subtree when any of them is.

Public functions: `scope_q`, `visible`, `get_in_scope_or_404`, `annotate_writable`,
`subtree_paths(user, write)` and `covers(user, org_path, write)`. Nothing else in the project
re-derives "is this unit in my subtree".
"""

from dataclasses import dataclass

from django.db.models import BooleanField, ExpressionWrapper, Q, Value
from django.http import Http404

from .roles import READ_ONLY_OVERSEERS, RoleCode


@dataclass(frozen=True)
class ScopeSpec:
    owner_fields: tuple = ()
    path_fields: tuple = ()
    personal_fields: tuple = ()


def _active(user) -> bool:
    return bool(getattr(user, "is_authenticated", False) and user.is_active)


def subtree_units(user, write: bool) -> list:
    """Org units whose whole subtree the user may see (or change, write=True), none nested in another."""
    if not _active(user):
        return []
    units = []
    if user.has_role(RoleCode.TEAM_LEAD):
        lead_unit = user.team or user.unit
        if lead_unit:
            units.append(lead_unit)
    if user.has_role(RoleCode.BRANCH_MANAGER) and user.unit:
        units.append(user.unit)
    if not write and user.has_role(*READ_ONLY_OVERSEERS) and user.unit:
        units.append(user.unit)
    kept = []
    for unit in sorted(units, key=lambda u: len(u.path)):
        if not any(unit.path.startswith(k.path) for k in kept):
            kept.append(unit)
    return kept


def subtree_paths(user, write: bool = False) -> list[str]:
    """Org paths whose whole subtree the user may see (or change, when write=True)."""
    return [u.path for u in subtree_units(user, write)]


def covers(user, org_path: str | None, write: bool = False) -> bool:
    """True when the unit at `org_path` lies in a subtree the user sees (or may change)."""
    if not org_path:
        return False
    return any(org_path.startswith(p) for p in subtree_paths(user, write))


def paths_q(field: str, units_or_paths) -> Q | None:
    """`field` inside any of the given subtrees. A leaf unit (a team) has no subtree below it, so it
    is matched by equality, which lets the planner read an ordered index instead of sorting."""
    q, matched = Q(), False
    for unit in units_or_paths:
        path = getattr(unit, "path", unit)
        leaf = getattr(unit, "numchild", None) == 0
        q |= Q(**{field if leaf else f"{field}__startswith": path})
        matched = True
    return q if matched else None


def scope_q(user, spec: ScopeSpec, *, write: bool = False) -> Q | None:
    """The filter for what `user` may see (write=False) or change (write=True); None means nothing."""
    if not _active(user):
        return None
    q = Q()
    matched = False
    if user.has_role(RoleCode.RM):
        for field in spec.owner_fields:
            q |= Q(**{field: user.pk})
            matched = True
    for field in spec.personal_fields:
        q |= Q(**{field: user.pk})
        matched = True
    if spec.path_fields:
        units = subtree_units(user, write)
        for field in spec.path_fields:
            sub = paths_q(field, units)
            if sub is not None:
                q |= sub
                matched = True
    return q if matched else None


def visible(queryset, user, spec: ScopeSpec, *, write: bool = False):
    """Restrict `queryset` to the user's scope (empty queryset when the user sees nothing)."""
    q = scope_q(user, spec, write=write)
    if q is None:
        return queryset.none()
    return queryset.filter(q)


def annotate_writable(queryset, user, spec: ScopeSpec, *, name: str = "writable"):
    """Annotate each row with whether `user` may change it, in the same query as the read."""
    q = scope_q(user, spec, write=True)
    expression = Value(False) if q is None else q
    return queryset.annotate(**{name: ExpressionWrapper(expression, output_field=BooleanField())})


def get_in_scope_or_404(queryset, user, spec: ScopeSpec, *, write: bool = False, **lookup):
    """Fetch one object inside the scope; anything else (missing or out of scope) is a 404."""
    obj = visible(queryset, user, spec, write=write).filter(**lookup).first()
    if obj is None:
        raise Http404
    return obj


def get_or_404(queryset, pk):
    """One object of an already scoped queryset, else 404 (missing and foreign look the same)."""
    obj = queryset.filter(pk=pk).first()
    if obj is None:
        raise Http404
    return obj
