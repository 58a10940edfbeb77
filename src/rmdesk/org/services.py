"""Business actions of the org app: qualification rule, maker-checker approvals, API tokens (SPEC §1, §12).

Every action takes the acting user first and writes its audit event in the same transaction.
"""
import secrets
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from . import audit
from .models import ApiToken, ApprovalRequest, ApprovalStatus, RoleCode, StaffStatus, User


class SelfApprovalError(PermissionDenied):
    """Maker-checker: nobody approves their own request (SPEC §1)."""


def ensure_not_self(maker, checker):
    """Refuse a decision by the person who made the request (maker-checker, SPEC §1)."""
    if maker is not None and checker is not None and maker.pk == checker.pk:
        raise SelfApprovalError(_("不能审批本人提交的申请。"))


# --- qualification ---------------------------------------------------------------------------

def has_valid_qualification(user, on=None) -> bool:
    """True when the RM holds a 岗位资质认证 valid on the given day (default today)."""
    day = on or timezone.localdate()
    return user.qualifications.filter(revoked=False, issued_on__lte=day, expires_on__gte=day).exists()


def ensure_can_be_assigned_customers(user, on=None):
    """An RM may be given customers only when active, holding the RM role and a valid qualification (SPEC §1)."""
    if user.status != StaffStatus.ACTIVE or not user.is_active:
        raise ValidationError(_("%(name)s 不在岗，不能分配客户。") % {"name": user.display_name})
    if not user.has_role(RoleCode.RM):
        raise ValidationError(_("%(name)s 不是客户经理，不能分配客户。") % {"name": user.display_name})
    if not has_valid_qualification(user, on):
        raise ValidationError(
            _("%(name)s 没有有效的岗位资质认证，不能分配客户。") % {"name": user.display_name}
        )


# --- maker-checker approvals -------------------------------------------------------------------

_APPROVAL_HANDLERS = {}


def register_approval_handler(kind: str, on_approved, may_decide=None):
    """Apps register what happens when a request of `kind` is approved, and who may decide it.

    on_approved(checker, request) carries the action out inside the approval's transaction;
    may_decide(checker, request) -> bool restricts deciders (default: a team lead or branch manager
    whose scope covers the request's unit).
    """
    _APPROVAL_HANDLERS[kind] = (on_approved, may_decide)


def default_may_decide(checker, request) -> bool:
    if not checker.has_role(RoleCode.TEAM_LEAD, RoleCode.BRANCH_MANAGER):
        return False
    if request.unit is None:
        return True
    from .scope import _subtree_paths

    return any(request.unit.path.startswith(p) for p in _subtree_paths(checker, write=True))


@transaction.atomic
def request_approval(maker, kind: str, title: str, payload: dict, *, unit=None, reason: str = ""):
    """Open a maker-checker request; nothing changes until a different person approves it."""
    req = ApprovalRequest.objects.create(
        kind=kind, title=title, payload=payload, unit=unit, requested_by=maker, reason=reason
    )
    audit.record(maker, "approval.request", req, after={"kind": kind, "title": title, "payload": payload})
    return req


@transaction.atomic
def decide_approval(checker, request_id: int, *, approve: bool, comment: str = ""):
    """Approve or reject a pending request. The maker can never decide their own request."""
    req = ApprovalRequest.objects.select_for_update().get(pk=request_id)
    if req.status != ApprovalStatus.PENDING:
        raise ValidationError(_("该申请已处理，不能重复审批。"))
    ensure_not_self(req.requested_by, checker)
    on_approved, may_decide = _APPROVAL_HANDLERS.get(req.kind, (None, None))
    if not (may_decide or default_may_decide)(checker, req):
        raise PermissionDenied(_("您无权审批该申请。"))
    req.status = ApprovalStatus.APPROVED if approve else ApprovalStatus.REJECTED
    req.decided_by = checker
    req.decided_at = timezone.now()
    req.comment = comment
    req.save()
    if approve and on_approved is not None:
        on_approved(checker, req)
    audit.record(checker, "approval.approve" if approve else "approval.reject", req, after={"comment": comment})
    return req


# --- API tokens --------------------------------------------------------------------------------

@transaction.atomic
def issue_api_token(user) -> tuple[ApiToken, str]:
    """Create a bearer token; the raw value is returned once and only its digest is stored (SPEC §12)."""
    raw = secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        user=user,
        digest=ApiToken.digest_of(raw),
        prefix=raw[:8],
        expires_at=timezone.now() + timedelta(days=settings.API_TOKEN_DAYS),
    )
    audit.record(user, "auth.token_issued", token, after={"prefix": token.prefix})
    return token, raw


def user_for_token(raw: str):
    """The active user a live (unrevoked, unexpired) token belongs to, or None."""
    now = timezone.now()
    token = (
        ApiToken.objects.select_related("user")
        .filter(digest=ApiToken.digest_of(raw), revoked_at__isnull=True, expires_at__gt=now)
        .first()
    )
    if token is None or not token.user.is_active:
        return None
    if token.last_used_at is None or now - token.last_used_at > timedelta(minutes=5):
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    token.user._api_token = token
    return token.user


@transaction.atomic
def revoke_api_token(actor, token_id: int):
    """Revoke one of the actor's tokens (administrators may revoke anyone's)."""
    qs = ApiToken.objects.filter(pk=token_id, revoked_at__isnull=True)
    if not (actor.is_superuser or actor.has_role(RoleCode.ADMIN)):
        qs = qs.filter(user=actor)
    token = qs.select_for_update().first()
    if token is None:
        from django.http import Http404

        raise Http404
    token.revoked_at = timezone.now()
    token.save(update_fields=["revoked_at"])
    audit.record(actor, "auth.token_revoked", token, after={"prefix": token.prefix, "owner": token.user_id})
    return token


def pending_approvals_for(checker):
    """Pending requests this person could decide (never their own), newest first (SPEC §1)."""
    from django.db.models import Q

    from .scope import _subtree_paths

    qs = ApprovalRequest.objects.filter(status=ApprovalStatus.PENDING).exclude(requested_by=checker)
    if not checker.has_role(RoleCode.TEAM_LEAD, RoleCode.BRANCH_MANAGER):
        return qs.none()
    paths = _subtree_paths(checker, write=True)
    if not paths:
        return qs.none()
    q = Q()
    for p in paths:
        q |= Q(unit__path__startswith=p)
    candidates = qs.filter(q).select_related("requested_by", "unit").order_by("-requested_at")
    # apps may narrow who decides their kinds further
    return [r for r in candidates if (_APPROVAL_HANDLERS.get(r.kind, (None, None))[1] or default_may_decide)(checker, r)]
