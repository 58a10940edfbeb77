"""API of the org app: tokens, the current user, org units and staff, scoped (SPEC §1, §12)."""

from datetime import date, datetime
from decimal import Decimal
from typing import Literal

from axes.exceptions import AxesBackendPermissionDenied
from django.contrib.auth import authenticate
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from ninja import Field, Router, Schema

from rmdesk.core import approvals
from rmdesk.core.bounds import Id
from rmdesk.core.models import ApprovalRequest
from rmdesk.core.schemas import ErrorOut, may_answer

from . import services, twofactor
from .models import ApiToken
from .scope import visible_staff, visible_units

auth_router = Router(tags=["auth"])
me_router = Router(tags=["me"])
org_router = Router(tags=["org"])


class TokenIn(Schema):
    username: str
    password: str
    otp: str | None = Field(
        None, max_length=20, description="two-factor code (TOTP or a recovery code) of a user who has a device"
    )


class TokenOut(Schema):
    token: str
    token_id: int
    expires_at: datetime


class TokenInfo(Schema):
    id: int
    prefix: str
    created_at: datetime
    expires_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None


class UnitOut(Schema):
    id: int
    name: str
    code: str
    kind: str
    kind_display: str
    path: str
    depth: int
    parent_id: int | None

    @staticmethod
    def resolve_kind_display(obj):
        return str(obj.get_kind_display())

    @staticmethod
    def resolve_parent_id(obj):
        parent = obj.get_parent()
        return parent.pk if parent else None


class StaffOut(Schema):
    id: int
    username: str
    full_name: str
    employee_no: str | None
    unit_id: int | None
    team_id: int | None
    position: str
    rm_level: str
    status: str
    appointed_on: date | None
    roles: list[str]

    @staticmethod
    def resolve_roles(obj):
        return sorted(r.code for r in obj.roles.all())


class MeOut(StaffOut):
    unit: UnitOut | None = None
    team: UnitOut | None = None
    role_names: list[str]

    @staticmethod
    def resolve_role_names(obj):
        return [str(r.get_code_display()) for r in obj.roles.all()]


@auth_router.post("/token", auth=None, response={200: TokenOut, 401: ErrorOut, 403: ErrorOut, 429: ErrorOut})
def obtain_token(request, data: TokenIn):
    """Exchange a username and password for a bearer token (failures count toward lock-out). A user
    with two-factor login also sends `otp`; a role that must use it and has no device yet gets 403
    until it enrols in the browser (issue 17, SPEC §12)."""
    try:
        user = authenticate(request, username=data.username, password=data.password)
    except AxesBackendPermissionDenied:
        return 429, {"detail": _("登录失败次数过多，账户已被临时锁定。")}
    if user is None:
        if getattr(request, "axes_locked_out", False):
            return 429, {"detail": _("登录失败次数过多，账户已被临时锁定。")}
        return 401, {"detail": _("用户名或密码错误。")}
    refusal = twofactor.token_refusal(user, data.otp)
    if refusal is not None:
        return refusal[0], {"detail": refusal[1]}
    token, raw = services.issue_api_token(user)
    return {"token": raw, "token_id": token.pk, "expires_at": token.expires_at}


@auth_router.get("/tokens", response=list[TokenInfo])
def list_tokens(request):
    return list(ApiToken.objects.filter(user=request.user).order_by("-created_at"))


@auth_router.delete("/tokens/{token_id}", response={204: None})
def revoke_token(request, token_id: Id):
    services.revoke_api_token(request.user, token_id)
    return 204, None


@auth_router.delete("/token", response={204: None}, openapi_extra=may_answer(404))
def revoke_current_token(request):
    """Revoke the token this request was made with."""
    token = getattr(request.user, "_api_token", None)
    if token is None:
        from django.http import Http404

        raise Http404
    services.revoke_api_token(request.user, token.pk)
    return 204, None


@me_router.get("/me", response=MeOut)
def me(request):
    return request.user


class PingOut(Schema):
    id: int


@me_router.get("/ping", response=PingOut)
def ping(request):
    """The framework floor (issue 18): authentication through the whole middleware stack and nothing
    else; answers the caller's own id. The benchmark's item 9 measures every API call against it."""
    return {"id": request.user.pk}


@org_router.get("/units", response=list[UnitOut])
def list_units(request):
    return list(visible_units(request.user).order_by("path"))


@org_router.get("/units/{unit_id}", response=UnitOut)
def get_unit(request, unit_id: Id):
    return get_object_or_404(visible_units(request.user), pk=unit_id)


@org_router.get("/staff", response=list[StaffOut])
def list_staff(request, unit_id: Id | None = None, role: str | None = None):
    qs = visible_staff(request.user).prefetch_related("roles").order_by("employee_no", "id")
    if unit_id is not None:
        qs = qs.filter(unit_id=unit_id)
    if role:
        qs = qs.filter(roles__code=role)
    return list(qs[:1000])


@org_router.get("/staff/{staff_id}", response=StaffOut)
def get_staff(request, staff_id: Id):
    return get_object_or_404(visible_staff(request.user).prefetch_related("roles"), pk=staff_id)


class DecisionOut(Schema):
    step_order: int
    step_name: str
    round: int
    decided_by_id: int
    decision: str
    opinion: str
    decided_at: datetime


class OrgApprovalOut(Schema):
    id: int
    kind: str
    title: str
    payload: dict
    unit_id: int | None
    requested_by_id: int
    requested_at: datetime
    reason: str
    status: str
    chain_id: int | None
    amount: Decimal | None
    step_order: int
    step_due_at: datetime | None
    round: int
    version: int
    decided_by_id: int | None
    decided_at: datetime | None
    comment: str
    decisions: list[DecisionOut]


class DecisionIn(Schema):
    decision: Literal["approve", "reject", "return"]
    version: int
    opinion: str = Field("", max_length=2000)


class MakerActionIn(Schema):
    version: int


@org_router.get("/approvals", response=list[OrgApprovalOut])
def list_pending_approvals(request, kind: str | None = None):
    """The inbox: every pending approval step the caller may decide (never their own requests)."""
    return approvals.pending_for(request.user, kind=kind)


@org_router.get("/approvals/mine", response=list[OrgApprovalOut])
def list_my_requests(request):
    """The caller's own requests, newest first."""
    return list(
        ApprovalRequest.objects.filter(requested_by=request.user)
        .prefetch_related("decisions")
        .order_by("-requested_at")[:200]
    )


@org_router.post("/approvals/{request_id}/decision", response=OrgApprovalOut)
def decide(request, request_id: Id, data: DecisionIn):
    """Approve, reject or return the pending step (409 when another decider moved it on meanwhile)."""
    if request_id not in {r.pk for r in approvals.pending_for(request.user)}:
        raise Http404
    return approvals.decide(request.user, request_id, data.decision, opinion=data.opinion, version=data.version)


@org_router.post("/approvals/{request_id}/resubmit", response=OrgApprovalOut)
def resubmit(request, request_id: Id, data: MakerActionIn):
    """The maker sends a returned request again (a new round from the first step); kinds whose
    business record must change first are resubmitted from their own page (404 here)."""
    return approvals.act_in_inbox(request.user, request_id, "resubmit", version=data.version)


@org_router.post("/approvals/{request_id}/cancel", response=OrgApprovalOut)
def cancel(request, request_id: Id, data: MakerActionIn):
    """The maker withdraws a pending or returned request (kinds withdrawn on their own page: 404)."""
    return approvals.act_in_inbox(request.user, request_id, "cancel", version=data.version)
