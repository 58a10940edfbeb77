"""Customer archive (客户档案), SPEC §2: the core models other apps build on.

Scope: a customer is visible to its A-post and B-post RMs and to the subtree of `org_path`, a copy of
the materialised path of the owning unit/team (the A-post RM's team, else unit), so a manager's whole
subtree is one indexed prefix scan.
"""
from decimal import Decimal

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from rmdesk.org.scope import ScopeSpec

MONEY = {"max_digits": 18, "decimal_places": 2, "default": Decimal("0.00")}


class CustomerKind(models.TextChoices):
    INDIVIDUAL = "individual", _("个人")
    CORPORATE = "corporate", _("对公/集团")
    OUTLET = "outlet", _("零售户")


class Stage(models.TextChoices):
    POTENTIAL = "potential", _("潜在")
    INTENT = "intent", _("意向")
    NEW = "new", _("新签约")
    ACTIVE = "active", _("活跃")
    DORMANT = "dormant", _("沉睡")
    AT_RISK = "at_risk", _("流失预警")
    LOST = "lost", _("流失")


class Source(models.TextChoices):
    SELF = "self", _("自主营销")
    REFERRAL = "referral", _("员工推介")
    CAMPAIGN = "campaign", _("营销活动")
    WALK_IN = "walk_in", _("临柜客户")
    IMPORT = "import", _("系统导入")


class RiskTolerance(models.TextChoices):
    C1 = "C1", _("C1 保守型")
    C2 = "C2", _("C2 稳健型")
    C3 = "C3", _("C3 平衡型")
    C4 = "C4", _("C4 成长型")
    C5 = "C5", _("C5 进取型")


class TierRuleSet(models.Model):
    """A configurable set of tiers (bank AUM bands, telecom card tiers, tobacco sales bands), SPEC §2."""

    code = models.CharField(_("代码"), max_length=30, unique=True)
    name = models.CharField(_("名称"), max_length=100)
    metric = models.CharField(
        _("分层指标"), max_length=30, default="aum",
        help_text=_("按哪个客户数值分层，例如 aum（金融资产）、monthly_spend、sales"),
    )
    is_active = models.BooleanField(_("当前使用"), default=False)

    class Meta:
        verbose_name = _("客户分层规则")
        verbose_name_plural = _("客户分层规则")

    def __str__(self):
        return self.name


class Tier(models.Model):
    """One tier of a rule set: a customer whose metric ≥ threshold (and below higher tiers) belongs here."""

    rule_set = models.ForeignKey(TierRuleSet, on_delete=models.CASCADE, related_name="tiers", verbose_name=_("规则"))
    code = models.CharField(_("代码"), max_length=30)
    name = models.CharField(_("名称"), max_length=50)
    rank = models.PositiveSmallIntegerField(_("级别"), help_text=_("数字越大层级越高"))
    threshold = models.DecimalField(_("下限"), max_digits=18, decimal_places=2, default=Decimal("0"))

    class Meta:
        verbose_name = _("客户层级")
        verbose_name_plural = _("客户层级")
        unique_together = [("rule_set", "code")]
        ordering = ["rule_set", "-rank"]

    def __str__(self):
        return self.name


class Customer(models.Model):
    """A customer archive of any kind (individual, corporate, retail outlet), SPEC §2."""

    SCOPE = ScopeSpec(owner_fields=("a_rm", "b_rm"), path_field="org_path")

    kind = models.CharField(_("客户类型"), max_length=12, choices=CustomerKind.choices, default=CustomerKind.INDIVIDUAL)
    customer_no = models.CharField(_("客户号"), max_length=32, unique=True)
    name = models.CharField(_("客户名称"), max_length=120, db_index=True)
    name_initials = models.CharField(_("拼音首字母"), max_length=60, blank=True, db_index=True)
    # individual
    gender = models.CharField(_("性别"), max_length=1, choices=[("M", _("男")), ("F", _("女"))], blank=True)
    birth_date = models.DateField(_("出生日期"), null=True, blank=True)
    id_type = models.CharField(_("证件类型"), max_length=20, default="resident_id", blank=True)
    id_number = models.CharField(_("证件号码"), max_length=40, blank=True, db_index=True)
    mobile = models.CharField(_("手机号码"), max_length=20, blank=True, db_index=True)
    mobile_tail = models.CharField(_("手机尾号"), max_length=4, blank=True, db_index=True)
    id_tail = models.CharField(_("证件尾号"), max_length=4, blank=True, db_index=True)
    address = models.CharField(_("地址"), max_length=200, blank=True)
    occupation = models.CharField(_("职业"), max_length=60, blank=True)
    employer = models.CharField(_("工作单位"), max_length=120, blank=True)
    annual_income = models.DecimalField(_("年收入"), max_digits=18, decimal_places=2, null=True, blank=True)
    risk_tolerance = models.CharField(_("风险承受能力"), max_length=2, choices=RiskTolerance.choices, blank=True)
    # corporate / outlet
    credit_code = models.CharField(_("统一社会信用代码"), max_length=18, blank=True, db_index=True)
    industry = models.CharField(_("行业"), max_length=60, blank=True)
    legal_rep = models.CharField(_("法定代表人"), max_length=50, blank=True)
    registered_capital = models.DecimalField(_("注册资本"), max_digits=18, decimal_places=2, null=True, blank=True)
    # business data (recomputed from holdings)
    aum = models.DecimalField(_("金融资产"), **MONEY)
    deposits = models.DecimalField(_("存款"), **MONEY)
    loans = models.DecimalField(_("贷款"), **MONEY)
    contribution = models.DecimalField(_("模拟利润"), **MONEY)
    # lifecycle
    source = models.CharField(_("来源"), max_length=12, choices=Source.choices, default=Source.SELF)
    stage = models.CharField(_("生命周期阶段"), max_length=12, choices=Stage.choices, default=Stage.POTENTIAL)
    tier = models.ForeignKey(Tier, verbose_name=_("层级"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    # ownership and scope
    a_rm = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("主办客户经理(A岗)"), null=True, blank=True,
        on_delete=models.PROTECT, related_name="a_customers",
    )
    b_rm = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("协办客户经理(B岗)"), null=True, blank=True,
        on_delete=models.PROTECT, related_name="b_customers",
    )
    org_unit = models.ForeignKey(
        "org.OrgUnit", verbose_name=_("归属机构"), on_delete=models.PROTECT, related_name="customers"
    )
    org_path = models.CharField(max_length=255, editable=False)
    completeness = models.PositiveSmallIntegerField(_("档案完整度"), default=0)
    is_anonymised = models.BooleanField(_("已匿名化"), default=False)
    version = models.PositiveIntegerField(_("版本"), default=1)
    created_at = models.DateTimeField(_("建档时间"), default=timezone.now)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("客户")
        verbose_name_plural = _("客户")
        indexes = [
            models.Index(fields=["org_path"], name="cust_org_path_idx", opclasses=["varchar_pattern_ops"]),
            models.Index(fields=["a_rm", "-aum", "id"], name="cust_arm_aum_idx"),
            models.Index(fields=["b_rm", "-aum", "id"], name="cust_brm_aum_idx"),
            models.Index(fields=["org_path", "-aum", "id"], name="cust_path_aum_idx"),
            models.Index(fields=["tier", "-aum"], name="cust_tier_aum_idx"),
        ]

    def __str__(self):
        return self.name

    def save(self, *args, **kwargs):
        if self.org_unit_id and not self.org_path:
            self.org_path = self.org_unit.path
        if self.mobile:
            self.mobile_tail = self.mobile[-4:]
        if self.id_number:
            self.id_tail = self.id_number[-4:]
        super().save(*args, **kwargs)
