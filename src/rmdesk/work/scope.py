"""Visibility of the work app's records: one function per model family (SPEC §1, §3).

- cadence rows, interactions: whoever sees the customer (A/B-post RM, the team and managers above);
- appointments, schedules, tasks, journals: the owner and the team lead / managers whose subtree holds
  the owner's team (risk and compliance read-only); journals also their reviewer.
Anything outside answers 404.
"""
from django.db.models import Q

from rmdesk.org.models import RoleCode, User
from rmdesk.org.scope import ScopeSpec, scope_q, visible

from .models import Appointment, ContactStatus, Interaction, Journal, JournalStatus, Task, VisitSchedule


def _leaf_paths_exact(q: Q, field: str, leaves: set) -> Q:
    """Rewrite `field__startswith=p` as `field=p` where p is the path of a unit without children (a
    team): the same rows, but PostgreSQL can then read the (status, org_path, next_due_on) index in
    order instead of sorting the whole subtree (a team lead's overdue list at a million customers)."""
    out = Q()
    out.connector, out.negated = q.connector, q.negated
    for child in q.children:
        if isinstance(child, Q):
            child = _leaf_paths_exact(child, field, leaves)
        elif child[0] == f"{field}__startswith" and child[1] in leaves:
            child = (field, child[1])
        out.children.append(child)
    return out


def visible_statuses(user):
    """Cadence rows of the customers the user sees (same rule as visible_customers)."""
    q = scope_q(user, ContactStatus.SCOPE)
    if q is None:
        return ContactStatus.objects.none()
    paths = [c[1] for c in q.children if not isinstance(c, Q) and c[0] == "org_path__startswith"]
    if paths:
        from rmdesk.org.models import OrgUnit

        leaves = set(OrgUnit.objects.filter(path__in=paths, numchild=0).values_list("path", flat=True))
        q = _leaf_paths_exact(q, "org_path", leaves)
    return ContactStatus.objects.filter(q)


def visible_interactions(user, *, write=False):
    return visible(Interaction.objects.all(), user, Interaction.SCOPE, write=write)


def visible_appointments(user, *, write=False):
    return visible(Appointment.objects.all(), user, Appointment.SCOPE, write=write)


def visible_schedules(user, *, write=False):
    return visible(VisitSchedule.objects.all(), user, VisitSchedule.SCOPE, write=write)


def visible_tasks(user, *, write=False):
    return visible(Task.objects.all(), user, Task.SCOPE, write=write)


def visible_journals(user):
    """Own journals, those the user reviews, those of staff they supervise, and the subtree of a
    team lead / manager (read-only for risk and compliance)."""
    if not getattr(user, "is_authenticated", False):
        return Journal.objects.none()
    q = Q(owner=user) | Q(reviewer=user) | Q(owner__supervisor=user)
    sub = scope_q(user, ScopeSpec(path_field="org_path"))
    if sub is not None:
        q |= sub
    return Journal.objects.filter(q)


def supervised_journals(user):
    """Journals the user supervises (may review): not their own."""
    q = Q(reviewer=user) | Q(owner__supervisor=user)
    sub = scope_q(user, ScopeSpec(path_field="org_path"), write=True)
    if sub is not None:
        q |= sub
    return Journal.objects.filter(q).exclude(owner=user)


def may_review(user, journal) -> bool:
    return journal.owner_id != user.pk and supervised_journals(user).filter(pk=journal.pk).exists()


def get_or_404(qs, pk):
    """One object of an already scoped queryset, else 404 (missing and foreign look the same)."""
    from django.http import Http404

    obj = qs.filter(pk=pk).first()
    if obj is None:
        raise Http404
    return obj


def supervisor_of(user):
    """The person who reviews `user`'s journals and plans: the direct supervisor (user.supervisor),
    else the team lead of the user's team (SPEC §1)."""
    if user.supervisor_id:
        sup = user.supervisor
        if sup.is_active:
            return sup
    if user.team_id:
        lead = (User.objects.filter(team_id=user.team_id, roles__code=RoleCode.TEAM_LEAD, is_active=True)
                .exclude(pk=user.pk).order_by("id").first())
        if lead is not None:
            return lead
    return None


def team_members(user):
    """RMs whose schedules and journals a team lead / manager looks at: active RMs in their subtree."""
    from rmdesk.org.scope import _subtree_paths

    paths = _subtree_paths(user, write=False)
    if not paths:
        return User.objects.filter(Q(supervisor=user)).distinct()
    q = Q(supervisor=user)
    for p in paths:
        q |= Q(team__path__startswith=p) | Q(unit__path__startswith=p)
    return User.objects.filter(q, roles__code=RoleCode.RM, is_active=True).distinct().order_by("employee_no", "id")


PENDING_JOURNAL = (JournalStatus.DRAFT, JournalStatus.RETURNED)
