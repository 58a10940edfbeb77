"""Visibility of the compliance records (SPEC §1, §8): one function per model family, used by every
list, page, export and API route of the app.

Reading follows the kernel rule (rmdesk.core.scope): the person a record is about sees it (their
own obligations, signatures, violations, gifts, requests, reviews), and the managers and read-only
overseers of the subtree see it through `org_path`. Compliance's own work (opening rounds, deciding
violations, reviewing gifts, closing findings) is written by the compliance officers of the subtree —
their read scope is the subtree they are responsible for — while anomaly findings and the access
audit are compliance's alone.
"""

from django.db.models import CharField, Q
from django.db.models.functions import Cast

from rmdesk.core.models import AuditEvent
from rmdesk.core.roles import RoleCode
from rmdesk.core.scope import ScopeSpec, get_or_404, paths_q, visible

from .models import (
    CrossReview,
    FeeGrant,
    Finding,
    GiftEntry,
    Obligation,
    Signature,
    SigningRound,
    SpecialService,
    Violation,
)

ROUND_SCOPE = ScopeSpec(personal_fields=("created_by",), path_fields=("org_path",))
OBLIGATION_SCOPE = ScopeSpec(personal_fields=("signer",), path_fields=("org_path",))
VIOLATION_SCOPE = ScopeSpec(personal_fields=("person", "reported_by"), path_fields=("org_path",))
GIFT_SCOPE = ScopeSpec(owner_fields=("staff",), path_fields=("org_path",))
SERVICE_SCOPE = ScopeSpec(owner_fields=("applicant",), personal_fields=("second_staff",), path_fields=("org_path",))
FEE_SCOPE = ScopeSpec(owner_fields=("granted_by", "customer__a_rm", "customer__b_rm"), path_fields=("org_path",))
REVIEW_SCOPE = ScopeSpec(personal_fields=("reviewer", "reviewee"), path_fields=("org_path",))

#: the audit actions the access audit lists: who saw, revealed, exported or downloaded customer data
ACCESS_ACTIONS = (
    "customers.view",
    "customers.reveal",
    "customers.export",
    "customers.personal_data_export",
    "customers.document_download",
)


def is_officer(user) -> bool:
    return bool(getattr(user, "is_authenticated", False) and user.is_active and user.has_role(RoleCode.COMPLIANCE))


def officer_q(user, field: str = "org_path") -> Q | None:
    """The subtree a compliance officer answers for (their own unit's), as a condition on `field`."""
    if not is_officer(user) or user.unit is None:
        return None
    return paths_q(field, [user.unit])


def _officer_only(qs, user, field: str = "org_path"):
    q = officer_q(user, field)
    return qs.filter(q) if q is not None else qs.none()


def visible_rounds(user, *, write: bool = False):
    """Signing rounds: read by the subtree's managers and overseers and their creator; run by compliance."""
    if write:
        return _officer_only(SigningRound.objects.all(), user)
    return visible(SigningRound.objects.all(), user, ROUND_SCOPE)


def visible_obligations(user, *, write: bool = False):
    """Who must sign: the signer and the subtree read them; only the signer signs (write)."""
    if write:
        if not getattr(user, "is_authenticated", False):
            return Obligation.objects.none()
        return Obligation.objects.filter(signer=user)
    return visible(Obligation.objects.all(), user, OBLIGATION_SCOPE)


def visible_signatures(user, *, write: bool = False):
    """Signed pledges: never written (insert-only), read like the obligations."""
    if write:
        return Signature.objects.none()
    return visible(Signature.objects.all(), user, ScopeSpec(personal_fields=("signer",), path_fields=("org_path",)))


def visible_violations(user, *, write: bool = False):
    """Violations: the person, the reporter and the subtree read; compliance of the subtree decides."""
    if write:
        return _officer_only(Violation.objects.all(), user)
    return visible(Violation.objects.all(), user, VIOLATION_SCOPE)


def visible_gifts(user, *, write: bool = False):
    """Gift entries: the staff member and the subtree read; the staff member and their supervisors write."""
    return visible(GiftEntry.objects.all(), user, GIFT_SCOPE, write=write)


def visible_services(user, *, write: bool = False):
    """Special-service requests: the two staff and the subtree read; the applicant and supervisors write."""
    return visible(SpecialService.objects.all(), user, SERVICE_SCOPE, write=write)


def visible_findings(user, *, write: bool = False):
    """Anomaly findings: compliance officers of the subtree only (they are about staff, not customers)."""
    return _officer_only(Finding.objects.all(), user)


def visible_reviews(user, *, write: bool = False):
    """A/B cross-reviews: the two RMs and the subtree read; only the reviewer (B-post) writes."""
    if write:
        if not getattr(user, "is_authenticated", False):
            return CrossReview.objects.none()
        return CrossReview.objects.filter(reviewer=user, done_at__isnull=True)
    return visible(CrossReview.objects.all(), user, REVIEW_SCOPE)


def visible_access_events(user, *, write: bool = False):
    """Audit events of customer access for compliance officers: events by staff of their subtree, and
    events about customers of their subtree (someone outside looking in)."""
    if write or not is_officer(user) or user.unit is None:
        return AuditEvent.objects.none()
    from rmdesk.customers.scope import visible_customers

    by_staff = paths_q("actor__unit__path", [user.unit.path]) | paths_q("actor__team__path", [user.unit.path])
    customers = visible_customers(user).annotate(sid=Cast("pk", CharField())).values("sid")
    about = Q(object_type="customers.customer", object_id__in=customers)
    return AuditEvent.objects.filter(action__in=ACCESS_ACTIONS).filter(by_staff | about)


def get_in(qs, pk):
    return get_or_404(qs, pk)


def visible_fee_grants(user, *, write: bool = False):
    """Fee waivers and discounts: the staff member who granted one, the customer's A/B-post RMs and the
    subtree of the customer's unit (managers, overseers, compliance)."""
    return visible(FeeGrant.objects.all(), user, FEE_SCOPE, write=write)
