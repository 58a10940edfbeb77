"""Organisation, people, roles, qualifications, approvals, API tokens and the audit trail (SPEC §1, §8, §12)."""
import hashlib
import json

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from treebeard.mp_tree import MP_Node


class UnitKind(models.TextChoices):
    HEAD_OFFICE = "head", _("总行")
    BRANCH = "branch", _("分行")
    SUB_BRANCH = "sub_branch", _("二级分行")
    SUPPORT = "support", _("支行")
    OUTLET = "outlet", _("网点")
    WEALTH_CENTRE = "wealth", _("理财中心")
    DEPARTMENT = "dept", _("部门")
    TEAM = "team", _("团队")


class OrgUnit(MP_Node):
    """A node of the org tree of any depth; teams are nodes of kind TEAM inside a unit (SPEC §1).

    The materialised path (`path`) lets scope queries take a whole subtree in one indexed range scan.
    """

    name = models.CharField(_("名称"), max_length=100)
    code = models.CharField(_("机构代码"), max_length=30, unique=True)
    kind = models.CharField(_("类型"), max_length=20, choices=UnitKind.choices)
    is_active = models.BooleanField(_("启用"), default=True)

    node_order_by = ["code"]

    class Meta:
        verbose_name = _("机构")
        verbose_name_plural = _("机构")

    def __str__(self):
        return self.name

    @property
    def is_team(self):
        return self.kind == UnitKind.TEAM

    def full_name(self):
        return " / ".join(a.name for a in [*self.get_ancestors(), self])


class RoleCode(models.TextChoices):
    RM = "rm", _("客户经理")
    TEAM_LEAD = "team_lead", _("团队长/网点负责人")
    BRANCH_MANAGER = "branch_manager", _("分管行长")
    RISK = "risk", _("风险经理")
    COMPLIANCE = "compliance", _("合规/审计")
    ASSISTANT = "assistant", _("产品经理/助理")
    REFERRER = "referrer", _("大堂经理/柜员")
    ADMIN = "admin", _("系统管理员")


class Role(models.Model):
    """A role a person may hold; a person may hold several (SPEC §1)."""

    code = models.CharField(_("代码"), max_length=30, choices=RoleCode.choices, unique=True)

    class Meta:
        verbose_name = _("角色")
        verbose_name_plural = _("角色")

    def __str__(self):
        return str(self.get_code_display())


class RMLevel(models.TextChoices):
    JUNIOR = "3", _("三级客户经理")
    INTERMEDIATE = "2", _("二级客户经理")
    SENIOR = "1", _("一级客户经理")


class StaffStatus(models.TextChoices):
    ACTIVE = "active", _("在岗")
    ON_LEAVE = "leave", _("休假")
    LEFT = "left", _("离职")


class User(AbstractUser):
    """A member of staff; the login account and the staff record are one (SPEC §1)."""

    full_name = models.CharField(_("姓名"), max_length=50, blank=True)
    employee_no = models.CharField(_("工号"), max_length=20, unique=True, null=True, blank=True)
    unit = models.ForeignKey(
        OrgUnit, verbose_name=_("所属机构"), null=True, blank=True, on_delete=models.PROTECT, related_name="staff"
    )
    team = models.ForeignKey(
        OrgUnit,
        verbose_name=_("所属团队"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="members",
        limit_choices_to={"kind": UnitKind.TEAM},
    )
    position = models.CharField(_("岗位"), max_length=50, blank=True)
    rm_level = models.CharField(_("客户经理等级"), max_length=1, choices=RMLevel.choices, blank=True)
    appointed_on = models.DateField(_("聘任日期"), null=True, blank=True)
    status = models.CharField(_("状态"), max_length=10, choices=StaffStatus.choices, default=StaffStatus.ACTIVE)
    supervisor = models.ForeignKey(
        "self", verbose_name=_("直接上级"), null=True, blank=True, on_delete=models.SET_NULL, related_name="reports"
    )
    roles = models.ManyToManyField(Role, verbose_name=_("角色"), blank=True, related_name="users")
    mobile = models.CharField(_("手机"), max_length=20, blank=True)

    class Meta:
        verbose_name = _("员工")
        verbose_name_plural = _("员工")

    def __str__(self):
        return self.full_name or self.username

    @property
    def display_name(self):
        return self.full_name or self.username

    def role_codes(self) -> frozenset:
        """The codes of the roles held, cached on the instance for the request."""
        cached = getattr(self, "_role_codes", None)
        if cached is None:
            cached = frozenset(self.roles.values_list("code", flat=True)) if self.pk else frozenset()
            self._role_codes = cached
        return cached

    def has_role(self, *codes) -> bool:
        return bool(self.role_codes().intersection(codes))


class Qualification(models.Model):
    """岗位资质认证: an RM without a valid one may not be assigned customers (SPEC §1)."""

    user = models.ForeignKey(User, verbose_name=_("员工"), on_delete=models.CASCADE, related_name="qualifications")
    name = models.CharField(_("证书名称"), max_length=100, default="客户经理岗位资格证书")
    number = models.CharField(_("证书编号"), max_length=50)
    issued_on = models.DateField(_("发证日期"))
    expires_on = models.DateField(_("有效期至"))
    revoked = models.BooleanField(_("已吊销"), default=False)

    class Meta:
        verbose_name = _("岗位资质")
        verbose_name_plural = _("岗位资质")
        indexes = [models.Index(fields=["user", "expires_on"])]

    def __str__(self):
        return f"{self.name} {self.number}"

    def is_valid_on(self, day) -> bool:
        return not self.revoked and self.issued_on <= day <= self.expires_on


class ApprovalStatus(models.TextChoices):
    PENDING = "pending", _("待审批")
    APPROVED = "approved", _("已批准")
    REJECTED = "rejected", _("已驳回")
    CANCELLED = "cancelled", _("已撤回")


class ApprovalRequest(models.Model):
    """A generic maker-checker request: the maker asks, a different person decides (SPEC §1).

    `kind` names the business action (e.g. "customers.assign"), `payload` carries its parameters
    and the owning app's service carries the action out when the request is approved.
    """

    kind = models.CharField(_("类型"), max_length=50, db_index=True)
    title = models.CharField(_("标题"), max_length=200)
    payload = models.JSONField(_("内容"), default=dict)
    unit = models.ForeignKey(OrgUnit, verbose_name=_("机构"), on_delete=models.PROTECT, null=True, blank=True)
    requested_by = models.ForeignKey(User, verbose_name=_("申请人"), on_delete=models.PROTECT, related_name="+")
    requested_at = models.DateTimeField(_("申请时间"), default=timezone.now)
    reason = models.TextField(_("申请理由"), blank=True)
    status = models.CharField(_("状态"), max_length=10, choices=ApprovalStatus.choices, default=ApprovalStatus.PENDING)
    decided_by = models.ForeignKey(
        User, verbose_name=_("审批人"), on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(_("审批时间"), null=True, blank=True)
    comment = models.TextField(_("审批意见"), blank=True)

    class Meta:
        verbose_name = _("审批申请")
        verbose_name_plural = _("审批申请")
        indexes = [models.Index(fields=["status", "unit"])]

    def __str__(self):
        return self.title


class ApiToken(models.Model):
    """A bearer token for the REST API; only its SHA-256 digest is stored (SPEC §12)."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    digest = models.CharField(max_length=64, unique=True)
    prefix = models.CharField(max_length=8)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("API 令牌")
        verbose_name_plural = _("API 令牌")

    @staticmethod
    def digest_of(raw: str) -> str:
        return hashlib.sha256(raw.encode()).hexdigest()


class AuditEvent(models.Model):
    """One business event in the append-only, hash-chained audit trail (SPEC §8).

    hash = SHA-256(prev_hash + canonical JSON of the row's content). Altering or deleting a row
    breaks the chain at that point; `manage.py verify_audit` finds the first broken link.
    """

    at = models.DateTimeField(default=timezone.now, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.DO_NOTHING, db_constraint=False, related_name="+"
    )
    actor_name = models.CharField(max_length=150, blank=True)
    action = models.CharField(max_length=60, db_index=True)
    object_type = models.CharField(max_length=60, blank=True)
    object_id = models.CharField(max_length=64, blank=True)
    summary = models.JSONField(default=dict, blank=True)
    ip = models.GenericIPAddressField(null=True, blank=True)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64, unique=True)

    class Meta:
        verbose_name = _("审计事件")
        verbose_name_plural = _("审计事件")
        indexes = [
            models.Index(fields=["object_type", "object_id"]),
            models.Index(fields=["actor", "at"]),
        ]

    def content(self) -> dict:
        return {
            "at": self.at.isoformat(),
            "actor": self.actor_id,
            "actor_name": self.actor_name,
            "action": self.action,
            "object_type": self.object_type,
            "object_id": self.object_id,
            "summary": self.summary,
            "ip": self.ip,
        }

    def compute_hash(self) -> str:
        body = json.dumps(self.content(), sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)
        return hashlib.sha256((self.prev_hash + body).encode()).hexdigest()

    def save(self, *args, **kwargs):
        if self.pk is not None and not kwargs.pop("_allow_update", False):
            raise PermissionError("audit events are append-only")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise PermissionError("audit events are append-only")
