"""Visibility of credit applications, loans, post-loan checks and warnings (SPEC §1, §6): one scope
function per model family, used by every list, page and API route of the app.

- an application is seen by its applying RM, its investigators (whatever their roles) and, through
  `org_path` (the customer's unit), by the subtree managers and the read-only overseers (risk,
  compliance, assistants) — so the risk officers and branch managers who decide its chain see it;
- a loan and its checks by the managing RM, the customer's A/B-post RMs and the subtree;
- a warning by the customer's A/B-post RMs, its owner and the subtree.
Writes: the owners and the subtree managers (team lead, branch manager); the services add the
business rules (only investigators investigate, only the applying RM submits).
"""

from rmdesk.core.scope import ScopeSpec, get_or_404, visible

from .models import CreditApplication, CreditRating, Loan, PostLoanCheck, Warning

APPLICATION_SCOPE = ScopeSpec(owner_fields=("rm",), personal_fields=("investigators",), path_fields=("org_path",))
LOAN_SCOPE = ScopeSpec(owner_fields=("rm", "customer__a_rm", "customer__b_rm"), path_fields=("org_path",))
CHECK_SCOPE = ScopeSpec(
    owner_fields=("loan__rm", "loan__customer__a_rm", "loan__customer__b_rm"), path_fields=("loan__org_path",)
)
RATING_SCOPE = ScopeSpec(owner_fields=("customer__a_rm", "customer__b_rm"), path_fields=("org_path",))
WARNING_SCOPE = ScopeSpec(
    owner_fields=("customer__a_rm", "customer__b_rm"), personal_fields=("owner",), path_fields=("org_path",)
)


def visible_applications(user, *, write: bool = False):
    """Applications the user may see (or change); the investigators M2M is matched in a subquery, so a
    row appears once whatever the number of investigators."""
    ids = visible(CreditApplication.objects.all(), user, APPLICATION_SCOPE, write=write).values("pk")
    return CreditApplication.objects.filter(pk__in=ids)


def get_application_or_404(user, pk, *, write: bool = False):
    return get_or_404(visible_applications(user, write=write), pk)


def visible_loans(user, *, write: bool = False):
    return visible(Loan.objects.all(), user, LOAN_SCOPE, write=write)


def get_loan_or_404(user, pk, *, write: bool = False):
    return get_or_404(visible_loans(user, write=write), pk)


def visible_checks(user, *, write: bool = False):
    return visible(PostLoanCheck.objects.all(), user, CHECK_SCOPE, write=write)


def get_check_or_404(user, pk, *, write: bool = False):
    return get_or_404(visible_checks(user, write=write), pk)


def visible_warnings(user, *, write: bool = False):
    return visible(Warning.objects.all(), user, WARNING_SCOPE, write=write)


def get_warning_or_404(user, pk, *, write: bool = False):
    return get_or_404(visible_warnings(user, write=write), pk)


def visible_ratings(user, *, write: bool = False):
    return visible(CreditRating.objects.all(), user, RATING_SCOPE, write=write)
