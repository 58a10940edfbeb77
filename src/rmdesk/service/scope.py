"""Visibility of service cases, surveys and churn records: one scope function per model family (SPEC §1, §5).

A case is visible to
- the customer's A-post and B-post RMs and the case's responsible person (责任人);
- the subtree managers (team lead, branch manager) of the responsible unit and of the customer's unit;
- risk, compliance and back-office assistants read-only in their subtree (either path).
Writes (the flow's steps) are open to the same people except the read-only roles.
"""
from django.db.models import Q
from django.http import Http404

from rmdesk.org.scope import ScopeSpec, scope_q

from .models import Case, ChurnEvent, SurveyResponse, SurveyRound, WatchEntry

CASE_RESPONSIBLE = ScopeSpec(owner_fields=("customer__a_rm", "customer__b_rm"), path_field="org_path")
CASE_CUSTOMER_SIDE = ScopeSpec(path_field="customer_path")
RESPONSE_SCOPE = ScopeSpec(owner_fields=("rm", "customer__a_rm", "customer__b_rm"), path_field="org_path")
WATCH_SCOPE = ScopeSpec(owner_fields=("assigned_to", "customer__a_rm", "customer__b_rm"), path_field="org_path")
CHURN_SCOPE = ScopeSpec(owner_fields=("rm", "customer__a_rm", "customer__b_rm"), path_field="org_path")


def _combine(user, specs, write, extra=None):
    qs = [q for q in (scope_q(user, s, write=write) for s in specs) if q is not None]
    if extra is not None and getattr(user, "is_authenticated", False) and user.is_active:
        qs.append(extra)
    if not qs:
        return None
    out = qs[0]
    for q in qs[1:]:
        out |= q
    return out


def case_q(user, *, write=False):
    return _combine(user, (CASE_RESPONSIBLE, CASE_CUSTOMER_SIDE), write, Q(owner=user.pk) if user.pk else None)


def visible_cases(user, *, write: bool = False):
    """Cases the user may see (or act on, write=True); the one scope rule for every case list/API/report."""
    q = case_q(user, write=write)
    if q is None:
        return Case.objects.none()
    return Case.objects.filter(q)


def get_case_or_404(user, pk, *, write: bool = False):
    case = visible_cases(user, write=write).filter(pk=pk).first()
    if case is None:
        raise Http404
    return case


def visible_responses(user, *, write: bool = False):
    q = scope_q(user, RESPONSE_SCOPE, write=write)
    return SurveyResponse.objects.none() if q is None else SurveyResponse.objects.filter(q)


def visible_rounds(user):
    """Rounds started in the user's subtree, or with at least one response the user may see."""
    q = scope_q(user, ScopeSpec(path_field="org_path"))
    ids = visible_responses(user).values("round_id")
    base = Q(pk__in=ids)
    if q is not None:
        base |= q
    return SurveyRound.objects.filter(base)


def visible_watch(user, *, write: bool = False):
    q = scope_q(user, WATCH_SCOPE, write=write)
    return WatchEntry.objects.none() if q is None else WatchEntry.objects.filter(q)


def visible_churn(user):
    q = scope_q(user, CHURN_SCOPE)
    return ChurnEvent.objects.none() if q is None else ChurnEvent.objects.filter(q)
