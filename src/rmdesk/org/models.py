"""Organisation, people, roles, qualifications, approvals, API tokens and the audit trail (SPEC §1, §8, §12)."""

import hashlib

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from treebeard.mp_tree import MP_Node

from rmdesk.core.roles import RoleCode  # noqa: F401  (re-exported: staff roles are org data)


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


from .security_models import PasswordHistory, UserSession  # noqa: E402, F401  (login security, issue 17)
