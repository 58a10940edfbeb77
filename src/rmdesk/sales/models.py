"""Data of the sales app (SPEC §4): opportunities with configurable stages and their history, the daily
sales log (营销业绩登记) that assessment reads, saved segments, campaigns with quotas split down the org
tree and per-RM customer lists, marketing tasks, referrals, next-best-product rules, promotional
materials with hand-outs and sign-off, and nominations (the tobacco promotion flow).

Every row that scope decides on carries `org_path`: a copy of the owning unit's materialised path
(the customer's unit for customer records, the assignee's unit for tasks, the quota's unit).
"""

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from rmdesk.customers.models import ProductCategory, RiskTolerance

MONEY = {"max_digits": 18, "decimal_places": 2}


class SalesSettings(models.Model):
    """The sales department's configuration (one row, seeded; edited in the admin)."""

    referral_window_days = models.PositiveIntegerField(
        _("推介转化认定期（天）"), default=90, help_text=_("推介后在此期限内签约的商机计入推介人")
    )
    assessment_valid_days = models.PositiveIntegerField(_("风险测评有效期（天）"), default=365)
    nomination_min_tier_rank = models.PositiveSmallIntegerField(
        _("推选客户最低层级"), default=3, help_text=_("只能推选层级不低于此级别的客户（如三级以上）")
    )

    class Meta:
        verbose_name = _("营销参数")
        verbose_name_plural = _("营销参数")

    def __str__(self):
        return str(_("营销参数"))

    @classmethod
    def current(cls) -> "SalesSettings":
        return cls.objects.order_by("pk").first() or cls()


# --- opportunities ---------------------------------------------------------------------------------


class StageKind(models.TextChoices):
    OPEN = "open", _("进行中")
    WON = "won", _("签约")
    LOST = "lost", _("失败")


class OpportunityStage(models.Model):
    """A configurable stage of the pipeline (default 识别 → 接触 → 方案 → 促成 → 签约, plus 失败).

    `required_fields` names the opportunity fields that must be filled to enter the stage (e.g. a
    proposal needs an amount and an expected date): a stage skipped without them is refused."""

    code = models.CharField(_("代码"), max_length=20, unique=True)
    name = models.CharField(_("名称"), max_length=30)
    order = models.PositiveSmallIntegerField(_("顺序"))
    kind = models.CharField(_("类型"), max_length=6, choices=StageKind.choices, default=StageKind.OPEN)
    probability = models.PositiveSmallIntegerField(_("默认赢单概率（%）"), default=0)
    required_fields = models.JSONField(_("进入本阶段须填写"), default=list, blank=True)
    is_active = models.BooleanField(_("启用"), default=True)
    version = models.PositiveIntegerField(_("版本"), default=1, db_default=1)

    class Meta:
        verbose_name = _("商机阶段")
        verbose_name_plural = _("商机阶段")
        ordering = ["order"]

    def __str__(self):
        return self.name


class LostReason(models.Model):
    code = models.CharField(_("代码"), max_length=20, unique=True)
    name = models.CharField(_("名称"), max_length=50)
    order = models.PositiveSmallIntegerField(_("顺序"), default=0)
    is_active = models.BooleanField(_("启用"), default=True)
    version = models.PositiveIntegerField(_("版本"), default=1, db_default=1)

    class Meta:
        verbose_name = _("失败原因")
        verbose_name_plural = _("失败原因")
        ordering = ["order", "code"]

    def __str__(self):
        return self.name


class LeadSource(models.TextChoices):
    SELF = "self", _("自主营销")
    REFERRAL = "referral", _("员工推介")
    CAMPAIGN = "campaign", _("营销活动")
    SYSTEM = "system", _("系统挖掘")


class Opportunity(models.Model):
    """A sales opportunity (商机) on one customer and product, owned by an RM (SPEC §4)."""

    customer = models.ForeignKey(
        "customers.Customer", verbose_name=_("客户"), on_delete=models.CASCADE, related_name="opportunities"
    )
    product = models.ForeignKey(
        "customers.Product", verbose_name=_("产品"), on_delete=models.PROTECT, related_name="opportunities"
    )
    amount = models.DecimalField(_("金额（元）"), null=True, blank=True, **MONEY)
    stage = models.ForeignKey(OpportunityStage, verbose_name=_("阶段"), on_delete=models.PROTECT, related_name="+")
    probability = models.PositiveSmallIntegerField(_("赢单概率（%）"), default=0)
    expected_on = models.DateField(_("预计签约日"), null=True, blank=True)
    next_step = models.CharField(_("下一步"), max_length=200, blank=True, default="")
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("负责人"), on_delete=models.PROTECT, related_name="+"
    )
    source = models.CharField(_("来源"), max_length=10, choices=LeadSource.choices, default=LeadSource.SELF)
    campaign = models.ForeignKey(
        "Campaign", verbose_name=_("营销活动"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    lost_reason = models.ForeignKey(
        LostReason, verbose_name=_("失败原因"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    lost_note = models.CharField(_("失败说明"), max_length=200, blank=True, default="")
    created_at = models.DateTimeField(_("创建时间"), default=timezone.now)
    closed_on = models.DateField(_("结束日期"), null=True, blank=True)
    org_path = models.CharField(max_length=255, editable=False, db_index=True)
    version = models.PositiveIntegerField(_("版本"), default=1)

    class Meta:
        verbose_name = _("商机")
        verbose_name_plural = _("商机")
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return f"{self.customer} · {self.product.name}"

    @property
    def is_open(self):
        return self.stage.kind == StageKind.OPEN


class StageChange(models.Model):
    opportunity = models.ForeignKey(Opportunity, on_delete=models.CASCADE, related_name="history")
    from_stage = models.ForeignKey(OpportunityStage, null=True, on_delete=models.PROTECT, related_name="+")
    to_stage = models.ForeignKey(OpportunityStage, on_delete=models.PROTECT, related_name="+")
    by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    at = models.DateTimeField(default=timezone.now)
    note = models.CharField(max_length=200, blank=True, default="")

    class Meta:
        ordering = ["at", "id"]


class Sale(models.Model):
    """One entry of the daily sales log (营销业绩登记, seed 001:211): the source assessment reads.

    A sale of a risk product records the risk disclosure (揭示) and the customer's confirmation."""

    rm = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("客户经理"), on_delete=models.PROTECT, related_name="+"
    )
    customer = models.ForeignKey(
        "customers.Customer", verbose_name=_("客户"), on_delete=models.CASCADE, related_name="sales"
    )
    product = models.ForeignKey("customers.Product", verbose_name=_("产品"), on_delete=models.PROTECT, related_name="+")
    amount = models.DecimalField(_("金额（元）"), **MONEY)
    priced_amount = models.DecimalField(_("计价金额（元）"), default=Decimal("0"), **MONEY)
    sold_on = models.DateField(_("销售日期"))
    opportunity = models.OneToOneField(
        Opportunity, verbose_name=_("商机"), null=True, blank=True, on_delete=models.SET_NULL, related_name="sale"
    )
    campaign = models.ForeignKey(
        "Campaign", verbose_name=_("营销活动"), null=True, blank=True, on_delete=models.SET_NULL, related_name="sales"
    )
    risk_disclosed = models.BooleanField(_("已风险揭示"), default=False)
    customer_confirmed = models.BooleanField(_("客户已确认"), default=False)
    disclosure_note = models.CharField(_("揭示说明"), max_length=200, blank=True, default="")
    note = models.CharField(_("备注"), max_length=200, blank=True, default="")
    recorded_at = models.DateTimeField(_("登记时间"), default=timezone.now)
    org_path = models.CharField(max_length=255, editable=False, db_index=True)

    class Meta:
        verbose_name = _("营销业绩")
        verbose_name_plural = _("营销业绩")
        ordering = ["-sold_on", "-id"]
        indexes = [models.Index(fields=["rm", "sold_on"], name="sales_sale_rm_day_idx")]


# --- segments, campaigns, quotas, lists -------------------------------------------------------------


class Segment(models.Model):
    """A saved filter over the customer archive (目标客群), always evaluated in the viewer's scope."""

    name = models.CharField(_("客群名称"), max_length=60)
    criteria = models.JSONField(_("筛选条件"), default=dict)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("创建人"), on_delete=models.PROTECT, related_name="+"
    )
    org_path = models.CharField(max_length=255, editable=False, db_index=True)
    created_at = models.DateTimeField(_("创建时间"), default=timezone.now)

    class Meta:
        verbose_name = _("目标客群")
        verbose_name_plural = _("目标客群")
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return self.name


class CampaignStatus(models.TextChoices):
    DRAFT = "draft", _("草稿")
    ACTIVE = "active", _("进行中")
    CLOSED = "closed", _("已结束")
    CANCELLED = "cancelled", _("已取消")


class Campaign(models.Model):
    """A marketing campaign (营销方案/活动): segment, period, products, script, target, quotas."""

    name = models.CharField(_("活动名称"), max_length=100)
    segment = models.ForeignKey(Segment, verbose_name=_("目标客群"), on_delete=models.PROTECT, related_name="campaigns")
    products = models.ManyToManyField("customers.Product", verbose_name=_("营销产品"), related_name="+")
    starts_on = models.DateField(_("开始日期"))
    ends_on = models.DateField(_("结束日期"))
    script = models.TextField(_("营销话术"), blank=True, default="")
    target_count = models.PositiveIntegerField(_("目标户数"), default=0)
    target_amount = models.DecimalField(_("目标金额（元）"), default=Decimal("0"), **MONEY)
    status = models.CharField(_("状态"), max_length=10, choices=CampaignStatus.choices, default=CampaignStatus.DRAFT)
    unit = models.ForeignKey("org.OrgUnit", verbose_name=_("发起机构"), on_delete=models.PROTECT, related_name="+")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("发起人"), on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("创建时间"), default=timezone.now)
    org_path = models.CharField(max_length=255, editable=False, db_index=True)
    version = models.PositiveIntegerField(_("版本"), default=1)
    cancel_reason = models.CharField(_("取消原因"), max_length=200, blank=True, default="", db_default="")
    cancelled_at = models.DateTimeField(_("取消时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("营销活动")
        verbose_name_plural = _("营销活动")
        ordering = ["-starts_on", "-id"]

    def __str__(self):
        return self.name


class Quota(models.Model):
    """A share of a campaign's target held by one unit or one RM; a unit's share is split among its
    child units or its RMs by whoever manages it, and the children's shares must add up to it."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="quotas")
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.CASCADE, related_name="children")
    unit = models.ForeignKey("org.OrgUnit", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    rm = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    target_count = models.PositiveIntegerField(_("目标户数"), default=0)
    target_amount = models.DecimalField(_("目标金额（元）"), default=Decimal("0"), **MONEY)
    org_path = models.CharField(max_length=255, editable=False, db_index=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["org_path", "id"]

    def __str__(self):
        return str(self.rm or self.unit)

    @property
    def holder_name(self):
        return self.rm.display_name if self.rm_id else self.unit.name


class TargetStatus(models.TextChoices):
    PENDING = "pending", _("待联系")
    CONTACTED = "contacted", _("已联系")
    INTERESTED = "interested", _("有意向")
    SIGNED = "signed", _("已签约")
    REFUSED = "refused", _("已拒绝")


class CampaignTarget(models.Model):
    """One customer on a campaign's list (名单制营销), worked by the customer's RM; result tracking."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="targets")
    customer = models.ForeignKey("customers.Customer", on_delete=models.CASCADE, related_name="campaign_targets")
    rm = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    status = models.CharField(_("结果"), max_length=10, choices=TargetStatus.choices, default=TargetStatus.PENDING)
    refusal_reason = models.CharField(_("拒绝原因"), max_length=200, blank=True, default="")
    note = models.CharField(_("备注"), max_length=200, blank=True, default="")
    amount = models.DecimalField(_("签约金额（元）"), default=Decimal("0"), **MONEY)
    updated_at = models.DateTimeField(_("更新时间"), default=timezone.now)
    org_path = models.CharField(max_length=255, editable=False, db_index=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["campaign", "id"]
        constraints = [models.UniqueConstraint(fields=["campaign", "customer"], name="sales_target_once")]


# --- tasks -------------------------------------------------------------------------------------------


class TaskStatus(models.TextChoices):
    OPEN = "open", _("进行中")
    DONE = "done", _("已完成")
    CANCELLED = "cancelled", _("已取消")


class MarketingTask(models.Model):
    """A marketing task (营销任务) a supervisor assigns to an RM with a target and a deadline."""

    title = models.CharField(_("任务名称"), max_length=100)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("执行人"), on_delete=models.PROTECT, related_name="+"
    )
    assigned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("下达人"), on_delete=models.PROTECT, related_name="+"
    )
    campaign = models.ForeignKey(
        Campaign, verbose_name=_("营销活动"), null=True, blank=True, on_delete=models.SET_NULL, related_name="tasks"
    )
    target_count = models.PositiveIntegerField(_("目标户数"), default=0)
    target_amount = models.DecimalField(_("目标金额（元）"), default=Decimal("0"), **MONEY)
    done_count = models.PositiveIntegerField(_("完成户数"), default=0)
    done_amount = models.DecimalField(_("完成金额（元）"), default=Decimal("0"), **MONEY)
    due_on = models.DateField(_("截止日期"))
    status = models.CharField(_("状态"), max_length=10, choices=TaskStatus.choices, default=TaskStatus.OPEN)
    created_at = models.DateTimeField(_("下达时间"), default=timezone.now)
    org_path = models.CharField(max_length=255, editable=False, db_index=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        verbose_name = _("营销任务")
        verbose_name_plural = _("营销任务")
        ordering = ["due_on", "id"]

    @property
    def progress(self) -> int:
        """Completion in percent: the better of count and amount against their targets (capped at 100)."""
        rates = []
        if self.target_count:
            rates.append(Decimal(self.done_count) / self.target_count)
        if self.target_amount:
            rates.append(self.done_amount / self.target_amount)
        return int(min(max(rates, default=Decimal(0)), Decimal(1)) * 100)


# --- referrals ---------------------------------------------------------------------------------------


class ReferralStatus(models.TextChoices):
    PENDING = "pending", _("待受理")
    ACCEPTED = "accepted", _("已受理")
    DECLINED = "declined", _("已谢绝")
    CONVERTED = "converted", _("已转化")


class Referral(models.Model):
    """A customer referred by a lobby manager or teller (大堂经理/柜员) to an RM with the need (推介)."""

    referrer = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("推介人"), on_delete=models.PROTECT, related_name="+"
    )
    customer = models.ForeignKey(
        "customers.Customer", verbose_name=_("客户"), on_delete=models.CASCADE, related_name="referrals"
    )
    rm = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("客户经理"), on_delete=models.PROTECT, related_name="+"
    )
    need = models.CharField(_("客户需求"), max_length=200)
    category = models.CharField(_("需求类别"), max_length=12, choices=ProductCategory.choices, blank=True, default="")
    status = models.CharField(_("状态"), max_length=10, choices=ReferralStatus.choices, default=ReferralStatus.PENDING)
    decline_reason = models.CharField(_("谢绝原因"), max_length=200, blank=True, default="")
    opportunity = models.OneToOneField(
        Opportunity, null=True, blank=True, on_delete=models.SET_NULL, related_name="referral"
    )
    created_at = models.DateTimeField(_("推介时间"), default=timezone.now)
    decided_at = models.DateTimeField(_("受理时间"), null=True, blank=True)
    credited_on = models.DateField(_("计入推介人日期"), null=True, blank=True)
    outlet_path = models.CharField(max_length=255, editable=False, db_index=True)  # the referrer's unit
    org_path = models.CharField(max_length=255, editable=False, db_index=True)  # the customer's unit
    version = models.PositiveIntegerField(default=1)

    class Meta:
        verbose_name = _("客户推介")
        verbose_name_plural = _("客户推介")
        ordering = ["-created_at", "-id"]


# --- cross-sell hints ---------------------------------------------------------------------------------


class CrossSellRule(models.Model):
    """A next-best-product rule: "holds X, lacks Y, tolerance ≥ C3, AUM ≥ …" → suggest a product.
    A product above the customer's tolerance is never suggested, whatever the rule says."""

    name = models.CharField(_("规则名称"), max_length=60)
    holds_category = models.CharField(
        _("已持有类别"), max_length=12, choices=ProductCategory.choices, blank=True, default=""
    )
    lacks_category = models.CharField(_("未持有类别"), max_length=12, choices=ProductCategory.choices)
    min_tolerance = models.CharField(_("最低风险承受能力"), max_length=2, choices=RiskTolerance.choices, blank=True)
    min_aum = models.DecimalField(_("金融资产不低于（元）"), default=Decimal("0"), **MONEY)
    product = models.ForeignKey(
        "customers.Product", verbose_name=_("推荐产品"), on_delete=models.CASCADE, related_name="+"
    )
    reason = models.CharField(_("推荐理由"), max_length=200, blank=True, default="")
    order = models.PositiveSmallIntegerField(_("顺序"), default=100)
    is_active = models.BooleanField(_("启用"), default=True)
    version = models.PositiveIntegerField(_("版本"), default=1, db_default=1)

    class Meta:
        verbose_name = _("交叉销售规则")
        verbose_name_plural = _("交叉销售规则")
        ordering = ["order", "id"]

    def __str__(self):
        return self.name


# --- promotional materials and nominations -----------------------------------------------------------


class Material(models.Model):
    """A promotional material (宣传促销品) with its stock."""

    name = models.CharField(_("名称"), max_length=60)
    unit_name = models.CharField(_("单位"), max_length=10, default="件")
    stock = models.PositiveIntegerField(_("库存"), default=0)
    is_active = models.BooleanField(_("启用"), default=True)
    version = models.PositiveIntegerField(_("版本"), default=1, db_default=1)

    class Meta:
        verbose_name = _("宣传促销品")
        verbose_name_plural = _("宣传促销品")
        ordering = ["name"]

    def __str__(self):
        return self.name


class Handout(models.Model):
    """Materials handed to a customer; the customer's sign-off (签收单) is printable."""

    material = models.ForeignKey(
        Material, verbose_name=_("宣传促销品"), on_delete=models.PROTECT, related_name="handouts"
    )
    customer = models.ForeignKey(
        "customers.Customer", verbose_name=_("客户"), on_delete=models.CASCADE, related_name="+"
    )
    quantity = models.PositiveIntegerField(_("数量"))
    campaign = models.ForeignKey(Campaign, verbose_name=_("营销活动"), null=True, blank=True, on_delete=models.SET_NULL)
    handed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("发放人"), on_delete=models.PROTECT, related_name="+"
    )
    handed_at = models.DateTimeField(_("发放时间"), default=timezone.now)
    signed_by = models.CharField(_("签收人"), max_length=50, blank=True, default="")
    signed_at = models.DateTimeField(_("签收时间"), null=True, blank=True)
    nomination = models.ForeignKey("Nomination", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    org_path = models.CharField(max_length=255, editable=False, db_index=True)

    class Meta:
        verbose_name = _("促销品发放")
        verbose_name_plural = _("促销品发放")
        ordering = ["-handed_at", "-id"]


class MovementKind(models.TextChoices):
    OPENING = "opening", _("期初")
    RECEIPT = "receipt", _("入库")
    HANDOUT = "handout", _("发放")
    WRITEOFF = "writeoff", _("报损")


class MaterialMovement(models.Model):
    """One line of a material's stock ledger (宣传促销品台账): a signed quantity (期初/入库 +, 发放/报损 −)
    and the stock after it, written under the material's row lock by the action that moves the stock, so
    the balances of a material's lines, in order, are its running balance. Hand-out lines carry the
    customer's `org_path` (the sales scope decides who sees them); receipts and write-offs carry none."""

    material = models.ForeignKey(
        Material, verbose_name=_("宣传促销品"), on_delete=models.PROTECT, related_name="movements"
    )
    kind = models.CharField(_("类型"), max_length=10, choices=MovementKind.choices)
    quantity = models.IntegerField(_("数量"))
    balance = models.PositiveIntegerField(_("结存"))
    at = models.DateTimeField(_("时间"), default=timezone.now, db_index=True)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("经办人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    handout = models.OneToOneField(Handout, null=True, blank=True, on_delete=models.SET_NULL, related_name="movement")
    customer = models.ForeignKey(
        "customers.Customer",
        verbose_name=_("客户"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    campaign = models.ForeignKey(
        Campaign, verbose_name=_("营销活动"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    note = models.CharField(_("说明"), max_length=200, blank=True, default="")
    org_path = models.CharField(max_length=255, blank=True, default="", editable=False, db_index=True)

    class Meta:
        verbose_name = _("促销品出入库")
        verbose_name_plural = _("促销品台账")
        ordering = ["material", "at", "id"]
        indexes = [models.Index(fields=["material", "at", "id"], name="sales_movement_ledger")]

    def __str__(self):
        return f"{self.material} {self.get_kind_display()} {self.quantity:+d}"


def record_movement(material, kind, quantity, balance, **fields) -> MaterialMovement:
    """Write one ledger line; the caller holds the material's row lock and passes the stock after it."""
    return MaterialMovement.objects.create(material=material, kind=kind, quantity=quantity, balance=balance, **fields)


class NominationStatus(models.TextChoices):
    IN_REVIEW = "in_review", _("审批中")
    SELECTED = "selected", _("已选定")
    REJECTED = "rejected", _("未选定")
    HANDED_OUT = "handed_out", _("已发放")


class Nomination(models.Model):
    """The tobacco promotion flow (seed 001:1095–1099): the RM nominates a customer of tier ≥ the
    configured tier from the comprehensive assessment, a market manager reviews, a brand manager selects
    (the kernel chain "sales.nomination"), then materials are handed out and signed for."""

    customer = models.ForeignKey(
        "customers.Customer", verbose_name=_("客户"), on_delete=models.CASCADE, related_name="+"
    )
    rm = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("推选人"), on_delete=models.PROTECT, related_name="+"
    )
    material = models.ForeignKey(Material, verbose_name=_("宣传促销品"), on_delete=models.PROTECT, related_name="+")
    quantity = models.PositiveIntegerField(_("数量"), default=1)
    reason = models.CharField(_("推选理由（综合测评结果）"), max_length=200)
    status = models.CharField(
        _("状态"), max_length=12, choices=NominationStatus.choices, default=NominationStatus.IN_REVIEW
    )
    approval = models.OneToOneField(
        "core.ApprovalRequest", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("推选时间"), default=timezone.now)
    org_path = models.CharField(max_length=255, editable=False, db_index=True)

    class Meta:
        verbose_name = _("促销推选")
        verbose_name_plural = _("促销推选")
        ordering = ["-created_at", "-id"]


class Recommendation(models.Model):
    """A product recommended to a customer (产品推荐): only within the customer's risk tolerance."""

    customer = models.ForeignKey(
        "customers.Customer", verbose_name=_("客户"), on_delete=models.CASCADE, related_name="+"
    )
    product = models.ForeignKey("customers.Product", verbose_name=_("产品"), on_delete=models.PROTECT, related_name="+")
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("推荐人"), on_delete=models.PROTECT, related_name="+"
    )
    note = models.CharField(_("说明"), max_length=200, blank=True, default="")
    at = models.DateTimeField(_("推荐时间"), default=timezone.now)
    org_path = models.CharField(max_length=255, editable=False, db_index=True)

    class Meta:
        verbose_name = _("产品推荐")
        verbose_name_plural = _("产品推荐")
        ordering = ["-at", "-id"]
