"""Visibility of the people app's records (SPEC §1, §10): one scope function per model family, used by
every list, page, export and API route of the app.

- a person sees their own records (DISC profiles, attendance, inspections, career plans) and the
  sessions and meetings they attended;
- team leads and branch managers see (and change) their subtree's, through `org_path` (the person's
  team or unit path when the record was written, or the organising unit's for sessions and meetings);
- risk, compliance and back-office assistants read their subtree (the kernel's rule);
- referrers and administrators see nobody's records (administrators configure job models, courses and
  the points rule).
Staff one may pick (the people a supervisor records for) and certificates follow the same subtree rule
over the person's current team or unit.
"""

from django.db.models import Q

from rmdesk.core.scope import ScopeSpec, get_or_404, subtree_paths, visible
from rmdesk.org.models import Qualification, User

from .models import Attendance, CareerPlan, DiscProfile, Inspection, Meeting, TrainingSession

PERSON_SCOPE = ScopeSpec(personal_fields=("person",), path_fields=("org_path",))
SESSION_SCOPE = ScopeSpec(personal_fields=("attendances__person",), path_fields=("org_path",))
MEETING_SCOPE = ScopeSpec(personal_fields=("attendees",), path_fields=("org_path",))


def person_path(person) -> str:
    """The path a record about `person` is filed under: their team's, else their unit's."""
    unit = person.team or person.unit
    return unit.path if unit else ""


def _staff_q(user, prefix: str, write: bool) -> Q | None:
    q = None
    for path in subtree_paths(user, write):
        part = Q(**{f"{prefix}team__path__startswith": path}) | Q(
            **{f"{prefix}team__isnull": True, f"{prefix}unit__path__startswith": path}
        )
        q = part if q is None else q | part
    return q


def visible_people(user, *, write: bool = False):
    """Staff whose people records the user may see (write: record for): oneself, and the subtree's
    staff for managers (by the person's team, else unit)."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return User.objects.none()
    q = _staff_q(user, "", write)
    if not write:
        q = Q(pk=user.pk) if q is None else q | Q(pk=user.pk)
    return User.objects.filter(q) if q is not None else User.objects.none()


def visible_qualifications(user):
    """Certificates (org.Qualification) of the people the user may see."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return Qualification.objects.none()
    q = _staff_q(user, "user__", False)
    q = Q(user=user) if q is None else q | Q(user=user)
    return Qualification.objects.filter(q)


def visible_profiles(user, *, write: bool = False):
    return visible(DiscProfile.objects.all(), user, PERSON_SCOPE, write=write)


def visible_attendance(user, *, write: bool = False):
    return visible(Attendance.objects.all(), user, PERSON_SCOPE, write=write)


def visible_sessions(user, *, write: bool = False):
    """Sessions organised in the user's subtree, or attended by the user (one row per session)."""
    ids = visible(TrainingSession.objects.all(), user, SESSION_SCOPE, write=write).values("pk")
    return TrainingSession.objects.filter(pk__in=ids)


def visible_meetings(user, *, write: bool = False):
    ids = visible(Meeting.objects.all(), user, MEETING_SCOPE, write=write).values("pk")
    return Meeting.objects.filter(pk__in=ids)


def visible_inspections(user, *, write: bool = False):
    return visible(Inspection.objects.all(), user, PERSON_SCOPE, write=write)


def visible_plans(user, *, write: bool = False):
    return visible(CareerPlan.objects.all(), user, PERSON_SCOPE, write=write)


def get_profile_or_404(user, pk):
    return get_or_404(visible_profiles(user), pk)


def get_session_or_404(user, pk):
    return get_or_404(visible_sessions(user), pk)


def get_meeting_or_404(user, pk):
    return get_or_404(visible_meetings(user), pk)


def get_inspection_or_404(user, pk):
    return get_or_404(visible_inspections(user), pk)


def get_plan_or_404(user, pk):
    return get_or_404(visible_plans(user), pk)
