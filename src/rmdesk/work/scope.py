"""Visibility of the work app's records: one function per model family (SPEC §1, §3).

- cadence rows, interactions: whoever sees the customer (A/B-post RM, the team and managers above);
- appointments, schedules, tasks, journals: the owner and the team lead / managers whose subtree holds
  the owner's team (risk and compliance read-only); journals also their reviewer.
Anything outside answers 404 (rmdesk.core.scope.get_or_404 over these querysets).
"""

from django.db.models import Q

from rmdesk.core.scope import paths_q, subtree_units, visible
from rmdesk.org.models import RoleCode, User

from .models import Appointment, ContactStatus, Interaction, Journal, JournalStatus, Task, VisitSchedule


def visible_statuses(user):
    """Cadence rows of the customers the user sees (same rule as visible_customers)."""
    return visible(ContactStatus.objects.all(), user, ContactStatus.SCOPE)


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
    return visible(Journal.objects.all(), user, Journal.SCOPE)


def supervised_journals(user):
    """Journals the user supervises (may review): not their own."""
    return visible(Journal.objects.all(), user, Journal.REVIEW_SCOPE, write=True).exclude(owner=user)


def may_review(user, journal) -> bool:
    return journal.owner_id != user.pk and supervised_journals(user).filter(pk=journal.pk).exists()


def supervisor_of(user):
    """The person who reviews `user`'s journals and plans: the direct supervisor (user.supervisor),
    else the team lead of the user's team (SPEC §1)."""
    if user.supervisor_id:
        sup = user.supervisor
        if sup.is_active:
            return sup
    if user.team_id:
        lead = (
            User.objects.filter(team_id=user.team_id, roles__code=RoleCode.TEAM_LEAD, is_active=True)
            .exclude(pk=user.pk)
            .order_by("id")
            .first()
        )
        if lead is not None:
            return lead
    return None


def team_members(user):
    """RMs whose schedules and journals a team lead / manager looks at: active RMs in their subtree."""
    units = subtree_units(user, write=False)
    if not units:
        return User.objects.filter(Q(supervisor=user)).distinct()
    q = Q(supervisor=user) | paths_q("team__path", units) | paths_q("unit__path", units)
    return User.objects.filter(q, roles__code=RoleCode.RM, is_active=True).distinct().order_by("employee_no", "id")


PENDING_JOURNAL = (JournalStatus.DRAFT, JournalStatus.RETURNED)
