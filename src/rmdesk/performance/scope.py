"""Visibility of assessment data (SPEC §1, §9): one function per model family, used by every page, API
route and export of the app.

- results: an RM sees only their own, and only once the run is published; a team lead their team's; a
  branch manager their subtree's. Risk, compliance and assistants do not read assessments (people data,
  not customer work), so the subtree here is the *managing* subtree (`write=True` of the kernel);
- runs, manual values, pay lines and level advice: the managing subtree of the run's unit / the RM;
- target letters: the RM (once proposed for signing) and the managing subtree;
- scorecards: read by the managing subtree and by every supervisor below the unit that made it (a
  bank-wide scorecard, with no unit, is read by every supervisor); changed only in the managing subtree
  (bank-wide ones by administrators).
"""

from django.db.models import Q

from rmdesk.core.roles import SUPERVISORS, is_admin
from rmdesk.core.scope import ScopeSpec, get_or_404, scope_q, subtree_units

from .models import (
    AssessmentResult,
    AssessmentRun,
    GroupResult,
    LetterStatus,
    LevelAdvice,
    ManualValue,
    RunStatus,
    Scorecard,
    TargetLetter,
)

MANAGED = ScopeSpec(path_fields=("org_path",))
FROZEN = (RunStatus.PUBLISHED, RunStatus.CLOSED)


def _managed_q(user) -> Q | None:
    """The managing subtree (team lead, branch manager) of `org_path`."""
    return scope_q(user, MANAGED, write=True)


def _or(*parts) -> Q | None:
    q = None
    for p in parts:
        if p is not None:
            q = p if q is None else q | p
    return q


def _filter(qs, q):
    return qs.none() if q is None else qs.filter(q)


def visible_results(user, *, write: bool = False):
    """Results in the user's scope; write=True: those the user may score or revise (never their own)."""
    managed = _managed_q(user)
    if write:
        return _filter(AssessmentResult.objects.all(), managed).exclude(rm=user)
    own = Q(rm=user.pk, run__status__in=FROZEN) if getattr(user, "is_authenticated", False) else None
    return _filter(AssessmentResult.objects.all(), _or(own, managed))


def get_result_or_404(user, pk, *, write: bool = False):
    return get_or_404(visible_results(user, write=write), pk)


def visible_runs(user, *, write: bool = False):
    return _filter(AssessmentRun.objects.all(), _managed_q(user))


def get_run_or_404(user, pk, *, write: bool = False):
    return get_or_404(visible_runs(user, write=write), pk)


def visible_groups(user, *, write: bool = False):
    """Team and unit results: the managing subtree of the group's own unit (a team lead their team's; a
    branch manager every team and unit below them). RMs do not read their team's result."""
    return _filter(GroupResult.objects.all(), _managed_q(user))


def get_group_or_404(user, pk, *, write: bool = False):
    return get_or_404(visible_groups(user, write=write), pk)


def _ancestor_paths(user) -> list[str]:
    out = set()
    for unit in subtree_units(user, True):
        step = type(unit).steplen
        out.update(unit.path[:i] for i in range(step, len(unit.path), step))
    return sorted(out)


def visible_scorecards(user, *, write: bool = False):
    qs = Scorecard.objects.all()
    if not getattr(user, "is_authenticated", False):
        return qs.none()
    admin = is_admin(user)
    if write:
        return _filter(qs, _or(_managed_q(user), Q(unit__isnull=True) if admin else None))
    shared = Q(unit__isnull=True) if (admin or user.has_role(*SUPERVISORS)) else None
    above = Q(org_path__in=_ancestor_paths(user)) if user.has_role(*SUPERVISORS) else None
    return _filter(qs, _or(_managed_q(user), shared, above))


def get_scorecard_or_404(user, pk, *, write: bool = False):
    return get_or_404(visible_scorecards(user, write=write), pk)


def visible_letters(user, *, write: bool = False):
    managed = _managed_q(user)
    if write:
        return _filter(TargetLetter.objects.all(), managed)
    own = Q(rm=user.pk) & ~Q(status=LetterStatus.DRAFT) if getattr(user, "is_authenticated", False) else None
    return _filter(TargetLetter.objects.all(), _or(own, managed))


def get_letter_or_404(user, pk, *, write: bool = False):
    return get_or_404(visible_letters(user, write=write), pk)


def visible_manual_values(user, *, write: bool = False):
    """Manual indicator values (and their history): the managing subtree of the RM's team or unit."""
    return _filter(ManualValue.objects.all(), _managed_q(user))


def get_manual_value_or_404(user, pk, *, write: bool = False):
    return get_or_404(visible_manual_values(user, write=write), pk)


def visible_advice(user, *, write: bool = False):
    return _filter(LevelAdvice.objects.all(), _managed_q(user))


def get_advice_or_404(user, pk, *, write: bool = False):
    return get_or_404(visible_advice(user, write=write), pk)


def managed_rms(user):
    """Active RMs in the user's managing subtree (whose team, else unit, lies in it)."""
    from rmdesk.org.models import RoleCode, StaffStatus, User

    units = subtree_units(user, True)
    if not units:
        return User.objects.none()
    q = Q()
    for unit in units:
        q |= Q(team__path__startswith=unit.path) | Q(team__isnull=True, unit__path__startswith=unit.path)
    return User.objects.filter(q, roles__code=RoleCode.RM, is_active=True, status=StaffStatus.ACTIVE).distinct()
