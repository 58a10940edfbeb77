"""Visibility of service cases, surveys and churn records: one scope function per model family (SPEC §1, §5).

A case is visible to
- the customer's A-post and B-post RMs and the case's responsible person (责任人);
- the subtree managers (team lead, branch manager) of the responsible unit and of the customer's unit;
- risk, compliance and back-office assistants read-only in their subtree (either path).
Writes (the flow's steps) are open to the same people except the read-only roles.
"""

from django.db.models import Q

from rmdesk.core.scope import ScopeSpec, get_in_scope_or_404, get_or_404, scope_q, visible

from .models import Case, ChurnEvent, SurveyResponse, SurveyRound, WatchEntry

#: the customer's A/B-post RMs, the responsible person whatever their roles, and the subtrees holding
#: either the responsible unit (org_path) or the customer's unit (customer_path)
CASE_SCOPE = ScopeSpec(
    owner_fields=("customer__a_rm", "customer__b_rm"),
    personal_fields=("owner",),
    path_fields=("org_path", "customer_path"),
)
RESPONSE_SCOPE = ScopeSpec(owner_fields=("rm", "customer__a_rm", "customer__b_rm"), path_fields=("org_path",))
WATCH_SCOPE = ScopeSpec(owner_fields=("assigned_to", "customer__a_rm", "customer__b_rm"), path_fields=("org_path",))
CHURN_SCOPE = ScopeSpec(owner_fields=("rm", "customer__a_rm", "customer__b_rm"), path_fields=("org_path",))
ROUND_SCOPE = ScopeSpec(path_fields=("org_path",))


def get_response_or_404(user, pk):
    return get_in_scope_or_404(SurveyResponse.objects.all(), user, RESPONSE_SCOPE, pk=pk)


def get_round_or_404(user, pk):
    return get_or_404(visible_rounds(user), pk)


def get_watch_or_404(user, pk):
    return get_in_scope_or_404(WatchEntry.objects.all(), user, WATCH_SCOPE, pk=pk)


def get_retention_action_or_404(user, pk):
    from .models import RetentionAction

    return get_or_404(RetentionAction.objects.filter(entry__in=visible_watch(user)), pk)


def visible_cases(user, *, write: bool = False):
    """Cases the user may see (or act on, write=True); the one scope rule for every case list/API/report."""
    return visible(Case.objects.all(), user, CASE_SCOPE, write=write)


def get_case_or_404(user, pk, *, write: bool = False):
    return get_in_scope_or_404(Case.objects.all(), user, CASE_SCOPE, write=write, pk=pk)


def visible_responses(user, *, write: bool = False):
    return visible(SurveyResponse.objects.all(), user, RESPONSE_SCOPE, write=write)


def visible_rounds(user):
    """Rounds started in the user's subtree, or with at least one response the user may see."""
    q = scope_q(user, ROUND_SCOPE)
    base = Q(pk__in=visible_responses(user).values("round_id"))
    if q is not None:
        base |= q
    return SurveyRound.objects.filter(base)


def visible_watch(user, *, write: bool = False):
    return visible(WatchEntry.objects.all(), user, WATCH_SCOPE, write=write)


def visible_churn(user):
    return visible(ChurnEvent.objects.all(), user, CHURN_SCOPE)
