"""Business actions of the org app: qualification rule and API tokens (SPEC §1, §12). Approvals are the
kernel's (rmdesk.core.approvals).

Every action takes the acting user first and writes its audit event in the same transaction.
"""

import secrets
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

from rmdesk.core import audit
from rmdesk.core.actions import EVERYONE, business_action

from .models import ApiToken, RoleCode, StaffStatus

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
        raise ValidationError(_("%(name)s 没有有效的岗位资质认证，不能分配客户。") % {"name": user.display_name})


# --- API tokens --------------------------------------------------------------------------------


@business_action(roles=EVERYONE)
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


@business_action(roles=EVERYONE)
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


# --- RM level (SPEC §1, §9) ---------------------------------------------------------------------


@business_action(roles=(RoleCode.TEAM_LEAD, RoleCode.BRANCH_MANAGER))
def change_rm_level(actor, user_id: int, *, level: str, reason: str, approved_by=None):
    """Change an RM's level (三级 / 二级 / 一级, or none: removed from the RM grades) on an approved promotion
    or demotion (SPEC §9: the level changes only on approval; the performance app keeps the history and
    calls this from its approval handler, with the person who gave the last approval as the actor)."""
    from .models import RMLevel, User

    if level not in ("", *RMLevel.values):
        raise ValidationError({"level": [_("客户经理等级无效。")]})
    user = User.objects.select_for_update().filter(pk=user_id).first()
    if user is None:
        from django.http import Http404

        raise Http404
    before = user.rm_level
    user.rm_level = level
    user.save(update_fields=["rm_level"])
    audit.record(
        actor,
        "org.rm_level_changed",
        user,
        before={"rm_level": before},
        after={"rm_level": level, "reason": reason, "approved_by": getattr(approved_by, "pk", None)},
    )
    return user
