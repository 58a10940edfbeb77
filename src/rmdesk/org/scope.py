"""The data-scope rule, one reusable piece every app plugs its models into (SPEC §1).

- an RM sees the objects where they are an owner (A-post or B-post for customers);
- a team lead sees their team's subtree; a branch manager their unit's subtree;
- risk, compliance and back-office assistants see their unit's subtree read-only;
- referrers and administrators see no customer data by default.
A person holding several roles sees the union. Out-of-scope objects must answer 404: views fetch
through `get_in_scope_or_404`, never through an unscoped manager.

An app describes a model family with a `ScopeSpec` (which fields name the owners, which field holds
the materialised org path of the owning unit) and calls `visible(queryset, user, spec)`.
"""
from dataclasses import dataclass

from django.db.models import Q
from django.http import Http404

from .models import OrgUnit, RoleCode


@dataclass(frozen=True)
class ScopeSpec:
    owner_fields: tuple = ()  # e.g. ("a_rm", "b_rm"): FKs to User
    path_field: str = ""  # e.g. "org_path": copy of OrgUnit.path of the owning unit/team


READ_SUBTREE_ROLES = (RoleCode.RISK, RoleCode.COMPLIANCE, RoleCode.ASSISTANT)


def _subtree_units(user, write: bool) -> list:
    """Org units whose whole subtree the user may see (or edit, when write=True), none nested in another."""
    units = []
    if user.has_role(RoleCode.TEAM_LEAD):
        lead_unit = user.team or user.unit
        if lead_unit:
            units.append(lead_unit)
    if user.has_role(RoleCode.BRANCH_MANAGER) and user.unit:
        units.append(user.unit)
    if not write and user.has_role(*READ_SUBTREE_ROLES) and user.unit:
        units.append(user.unit)
    kept = []
    for unit in sorted(units, key=lambda u: len(u.path)):
        if not any(unit.path.startswith(k.path) for k in kept):
            kept.append(unit)
    return kept


def _subtree_paths(user, write: bool) -> list[str]:
    """Org paths whose whole subtree the user may see (or edit, when write=True)."""
    return [u.path for u in _subtree_units(user, write)]


def scope_q(user, spec: ScopeSpec, *, write: bool = False) -> Q | None:
    """The filter for what `user` may see (write=False) or change (write=True); None means nothing."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return None
    q = Q()
    matched = False
    if user.has_role(RoleCode.RM):
        for field in spec.owner_fields:
            q |= Q(**{field: user.pk})
            matched = True
    if spec.path_field:
        for unit in _subtree_units(user, write):
            # a leaf unit (a team) has no subtree: equality lets the planner use an ordered index scan
            lookup = "" if unit.numchild == 0 else "__startswith"
            q |= Q(**{f"{spec.path_field}{lookup}": unit.path})
            matched = True
    return q if matched else None


def visible(queryset, user, spec: ScopeSpec, *, write: bool = False):
    """Restrict `queryset` to the user's scope (empty queryset when the user sees nothing)."""
    q = scope_q(user, spec, write=write)
    if q is None:
        return queryset.none()
    return queryset.filter(q)


def get_in_scope_or_404(queryset, user, spec: ScopeSpec, *, write: bool = False, **lookup):
    """Fetch one object inside the scope; anything else (missing or out of scope) is a 404."""
    obj = visible(queryset, user, spec, write=write).filter(**lookup).first()
    if obj is None:
        raise Http404
    return obj


# --- org units and staff themselves -----------------------------------------------------------

def home_unit(user):
    """The unit whose subtree frames what the user sees of the organisation."""
    return user.unit or user.team


def visible_units(user):
    """Org units a user may look at: administrators all, others their home unit's subtree."""
    if not getattr(user, "is_authenticated", False):
        return OrgUnit.objects.none()
    if user.is_superuser or user.has_role(RoleCode.ADMIN):
        return OrgUnit.objects.all()
    unit = home_unit(user)
    if unit is None:
        return OrgUnit.objects.none()
    return OrgUnit.objects.filter(path__startswith=unit.path)


def visible_staff(user):
    """Staff a user may look at: those whose unit lies in the user's visible units."""
    from .models import User

    if not getattr(user, "is_authenticated", False):
        return User.objects.none()
    if user.is_superuser or user.has_role(RoleCode.ADMIN):
        return User.objects.all()
    unit = home_unit(user)
    if unit is None:
        return User.objects.filter(pk=user.pk)
    return User.objects.filter(Q(unit__path__startswith=unit.path) | Q(pk=user.pk))
