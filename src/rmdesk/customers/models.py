"""Customer archive (客户档案), SPEC §2: the core models other apps build on.

Scope: a customer is visible to its A-post and B-post RMs and to the subtree of `org_path`, a copy of
the materialised path of the owning unit/team (the A-post RM's team, else unit), so a manager's whole
subtree is one indexed prefix scan.
"""

from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from rmdesk.core.scope import ScopeSpec

from .search import initials_of

MONEY = {"max_digits": 18, "decimal_places": 2, "default": Decimal("0.00")}
SNAPSHOT_METRICS = ("aum", "deposits", "loans", "contribution")  # tier metrics a daily balance snapshot can read


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


class IdType(models.TextChoices):
    """证件类型 of an archive (SPEC §2: ID type + number; only 居民身份证 numbers are check-digit validated)."""

    RESIDENT_ID = "resident_id", _("居民身份证")
    PASSPORT = "passport", _("护照")
    HK_MACAO = "hk_macao_permit", _("港澳居民来往内地通行证")
    TAIWAN = "taiwan_permit", _("台湾居民来往大陆通行证")
    FOREIGN_PR = "foreign_pr", _("外国人永久居留身份证")
    HK_MACAO_RESIDENCE = "hk_macao_residence", _("港澳台居民居住证")
    MILITARY = "military", _("军官证/士兵证")
    CREDIT_CODE = "credit_code", _("统一社会信用代码")
    OTHER = "other", _("其他证件")


class TierIndustry(models.TextChoices):
    """The industry a tier rule set is written for (SPEC §2 examples: bank, telecom, tobacco)."""

    BANK = "bank", _("银行")
    TELECOM = "telecom", _("电信")
    TOBACCO = "tobacco", _("烟草")
    INSURANCE = "insurance", _("保险（银保渠道）")
    KEY_ACCOUNT = "key_account", _("大客户（B2B）")


class TierRuleSet(models.Model):
    """A configurable set of tiers (bank AUM bands, telecom card tiers, tobacco sales bands), SPEC §2.

    Each set tiers one customer kind; at most one set per kind is in use (`is_active`), so personal,
    corporate and outlet archives are each tiered by their own basis."""

    code = models.CharField(_("代码"), max_length=30, unique=True)
    name = models.CharField(_("名称"), max_length=100)
    kind = models.CharField(
        _("适用客户类型"), max_length=12, choices=CustomerKind.choices, default=CustomerKind.INDIVIDUAL
    )
    industry = models.CharField(_("行业方案"), max_length=12, choices=TierIndustry.choices, default=TierIndustry.BANK)
    metric = models.CharField(
        _("分层指标"),
        max_length=30,
        default="aum",
        help_text=_(
            "按哪个客户数值分层：aum（金融资产）、deposits（存款）、loans（贷款）、contribution（模拟利润），"
            "或分层指标值中的代码，例如 monthly_spend、sales"
        ),
    )
    is_active = models.BooleanField(_("当前使用"), default=False)
    # how the tier is measured and when it moves (issue 19: the bank's OCRM rule); the defaults keep
    # the current-value tiering of every set written before it
    measure = models.CharField(
        _("分层口径"),
        max_length=12,
        choices=[("current", _("时点值")), ("monthly_avg", _("月日均"))],
        default="current",
        db_default="current",
    )
    upgrade_rule = models.CharField(
        _("升级规则"),
        max_length=12,
        choices=[("month_end", _("月末按月日均达标即升")), ("immediate", _("时点值达标即时升级"))],
        default="month_end",
        db_default="month_end",
        help_text=_("仅用于按月日均分层的规则"),
    )
    downgrade_months = models.PositiveSmallIntegerField(
        _("降级观察月数"),
        default=3,
        db_default=3,
        validators=[MinValueValidator(1), MaxValueValidator(12)],
        help_text=_("月日均连续低于门槛满该月数才降级，此前为关注状态；1 表示立即降级。仅用于按月日均分层的规则"),
    )

    class Meta:
        verbose_name = _("客户分层规则")
        verbose_name_plural = _("客户分层规则")
        ordering = ["kind", "id"]

    def __str__(self):
        return self.name

    def clean(self):
        # the daily snapshots read a column of the archive (issue 19), not a key of `metrics`
        if self.measure == "monthly_avg" and self.metric not in SNAPSHOT_METRICS:
            raise ValidationError({"metric": _("按月日均分层只支持 aum、deposits、loans、contribution 指标。")})


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


class CustomerQuerySet(models.QuerySet):
    """Customers, plus one planning hint for `queries.page_of`: `book_owner`.

    `within_book_of(user_id)` filters to the customers the user holds as A-post or B-post and records
    the user id; every further filter keeps the rows a subset, so the hint stays true (combinations
    with other querysets drop it). `page_of` then reads a page as one ordered scan per owner index
    (`cust_arm_aum_idx`, `cust_brm_aum_idx`) instead of `a_rm = x OR b_rm = x` over the AUM index.
    """

    book_owner = None

    def _clone(self):
        clone = super()._clone()
        clone.book_owner = self.book_owner
        return clone

    def within_book_of(self, user_id, *, filtered: bool = False):
        """Restrict to user_id's book (A- or B-post); `filtered=True`: the restriction is already in
        the query (the scope of an RM without subtree roles), only record the hint."""
        qs = self._chain() if filtered else self.filter(models.Q(a_rm_id=user_id) | models.Q(b_rm_id=user_id))
        qs.book_owner = user_id
        return qs

    def _without_hint(self, other, op):
        combined = op(other)
        combined.book_owner = None
        return combined

    def __or__(self, other):
        return self._without_hint(other, super().__or__)

    def __xor__(self, other):
        return self._without_hint(other, super().__xor__)

    def __and__(self, other):
        combined = super().__and__(other)
        combined.book_owner = self.book_owner or getattr(other, "book_owner", None)
        return combined

    def _combinator_query(self, *args, **kwargs):
        combined = super()._combinator_query(*args, **kwargs)
        combined.book_owner = None
        return combined


class Customer(models.Model):
    """A customer archive of any kind (individual, corporate, retail outlet), SPEC §2."""

    SCOPE = ScopeSpec(owner_fields=("a_rm", "b_rm"), path_fields=("org_path",))
    #: columns computed from others (SPEC §2 search keys), never written by hand: refresh_derived()
    DERIVED_FIELDS = ("name_initials", "mobile_tail", "id_tail")

    kind = models.CharField(_("客户类型"), max_length=12, choices=CustomerKind.choices, default=CustomerKind.INDIVIDUAL)
    customer_no = models.CharField(_("客户号"), max_length=32, unique=True)
    name = models.CharField(_("客户名称"), max_length=120, db_index=True)
    name_initials = models.CharField(_("拼音首字母"), max_length=60, blank=True)
    # individual
    gender = models.CharField(_("性别"), max_length=1, choices=[("M", _("男")), ("F", _("女"))], blank=True)
    birth_date = models.DateField(_("出生日期"), null=True, blank=True)
    id_type = models.CharField(
        _("证件类型"), max_length=20, choices=IdType.choices, default=IdType.RESIDENT_ID, blank=True
    )
    id_number = models.CharField(_("证件号码"), max_length=40, blank=True)
    mobile = models.CharField(_("手机号码"), max_length=20, blank=True)
    mobile_tail = models.CharField(_("手机尾号"), max_length=4, blank=True)
    id_tail = models.CharField(_("证件尾号"), max_length=4, blank=True)
    address = models.CharField(_("地址"), max_length=200, blank=True)
    occupation = models.CharField(_("职业"), max_length=60, blank=True)
    employer = models.CharField(_("工作单位"), max_length=120, blank=True)
    annual_income = models.DecimalField(_("年收入"), max_digits=18, decimal_places=2, null=True, blank=True)
    risk_tolerance = models.CharField(_("风险承受能力"), max_length=2, choices=RiskTolerance.choices, blank=True)
    risk_assessed_on = models.DateField(_("风险测评日期"), null=True, blank=True)
    # corporate / outlet
    credit_code = models.CharField(_("统一社会信用代码"), max_length=18, blank=True)
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
    # tier, a_rm, b_rm: no index of their own, the (…, -aum, id) indexes below lead with them
    tier = models.ForeignKey(
        Tier,
        verbose_name=_("层级"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_index=False,
    )
    # ownership and scope
    a_rm = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("主办客户经理(A岗)"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="a_customers",
        db_index=False,
    )
    b_rm = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("协办客户经理(B岗)"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="b_customers",
        db_index=False,
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
    # --- added after 0002 (all with defaults: the benchmark generator bulk-inserts customers) ---
    family = models.CharField(_("家庭情况"), max_length=200, blank=True, default="")
    hobbies = models.CharField(_("兴趣爱好"), max_length=200, blank=True, default="")
    preferences = models.CharField(_("服务偏好"), max_length=200, blank=True, default="")
    email = models.EmailField(_("电子邮箱"), blank=True, default="")
    founded_on = models.DateField(_("成立日期"), null=True, blank=True)
    # other tier metrics (telecom monthly spend, tobacco sales...) by metric code, as decimal strings
    metrics = models.JSONField(_("分层指标值"), default=dict, blank=True)
    # key-account qualification (seed 002: volume, margin, growth, share of wallet, credit, payment cycle)
    is_key_account = models.BooleanField(_("重点客户"), default=False)
    ka_volume = models.DecimalField(_("年业务量"), max_digits=18, decimal_places=2, null=True, blank=True)
    ka_margin = models.DecimalField(_("毛利率(%)"), max_digits=6, decimal_places=2, null=True, blank=True)
    ka_growth = models.DecimalField(_("增长率(%)"), max_digits=7, decimal_places=2, null=True, blank=True)
    ka_wallet_share = models.DecimalField(_("业务份额(%)"), max_digits=6, decimal_places=2, null=True, blank=True)
    ka_credit_standing = models.CharField(
        _("资信状况"),
        max_length=3,
        blank=True,
        default="",
        choices=[("AAA", "AAA"), ("AA", "AA"), ("A", "A"), ("BBB", "BBB"), ("BB", "BB"), ("B", "B"), ("C", "C")],
    )
    ka_payment_days = models.PositiveIntegerField(_("回款周期(天)"), null=True, blank=True)
    tags = models.ManyToManyField("customers.Tag", verbose_name=_("标签"), blank=True, related_name="customers")
    # no index: nearly every row is NULL, and an index on it lures SQLite's planner away from the scope indexes
    merged_into = models.ForeignKey(
        "self",
        verbose_name=_("已合并至"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_index=False,
    )

    objects = CustomerQuerySet.as_manager()

    class Meta:
        verbose_name = _("客户")
        verbose_name_plural = _("客户")
        indexes = [
            models.Index(fields=["org_path"], name="cust_org_path_idx", opclasses=["varchar_pattern_ops"]),
            models.Index(fields=["a_rm", "-aum", "id"], name="cust_arm_aum_idx"),
            models.Index(fields=["b_rm", "-aum", "id"], name="cust_brm_aum_idx"),
            models.Index(fields=["org_path", "-aum", "id"], name="cust_path_aum_idx"),
            models.Index(fields=["tier", "-aum"], name="cust_tier_aum_idx"),
            models.Index(fields=["-aum", "id"], name="cust_aum_idx"),
            # the search keys: equality and prefix (LIKE 'x%') look-ups only, so one pattern-ops index
            # each on PostgreSQL (it serves both) instead of Django's plain + _like pair (decision 88)
            *(
                models.Index(fields=[f], name=f"cust_{f}_pat_idx", opclasses=["varchar_pattern_ops"])
                for f in ("name_initials", "id_number", "mobile", "mobile_tail", "id_tail", "credit_code")
            ),
        ]

    def __str__(self):
        return self.name

    def save(self, *args, **kwargs):
        if self.org_unit_id and not self.org_path:
            self.org_path = self.org_unit.path
        changed = self.refresh_derived()
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and changed:
            kwargs["update_fields"] = [*update_fields, *(f for f in changed if f not in update_fields)]
        super().save(*args, **kwargs)

    @property
    def is_individual(self):
        return self.kind == CustomerKind.INDIVIDUAL

    def refresh_derived(self) -> list[str]:
        """Recompute the derived columns from their sources: the pinyin initials of the name, the last
        four characters of the mobile and of the ID number; blank when the source is blank, and no
        initials on an anonymised archive. The one place they are computed: `save()`, the importer's
        bulk inserts and the demo data all call it. Returns the names of the columns that changed."""
        values = {
            "name_initials": "" if self.is_anonymised else initials_of(self.name or ""),
            "mobile_tail": (self.mobile or "")[-4:],
            "id_tail": (self.id_number or "")[-4:],
        }
        changed = [f for f, v in values.items() if getattr(self, f) != v]
        for f in changed:
            setattr(self, f, values[f])
        return changed


# --- products and holdings -----------------------------------------------------------------------


class ProductCategory(models.TextChoices):
    DEPOSIT = "deposit", _("存款")
    WEALTH = "wealth", _("理财")
    FUND = "fund", _("基金")
    INSURANCE = "insurance", _("保险")
    LOAN = "loan", _("贷款")
    CARD = "card", _("银行卡")
    SETTLEMENT = "settlement", _("结算")
    PAYROLL = "payroll", _("代发")
    # other industries' packs (issue 19): a telecom plan, a carton of cigarettes, a B2B product line
    GOODS = "goods", _("商品")
    SERVICE = "service", _("服务")


# categories whose balances are financial assets (AUM, 金融资产)
AUM_CATEGORIES = (ProductCategory.DEPOSIT, ProductCategory.WEALTH, ProductCategory.FUND, ProductCategory.INSURANCE)


class RiskLevel(models.TextChoices):
    R1 = "R1", _("R1 低风险")
    R2 = "R2", _("R2 中低风险")
    R3 = "R3", _("R3 中风险")
    R4 = "R4", _("R4 中高风险")
    R5 = "R5", _("R5 高风险")


class Product(models.Model):
    """A product customers hold (minimal; the sales app grows the catalogue), SPEC §2, §4."""

    code = models.CharField(_("产品代码"), max_length=30, unique=True)
    name = models.CharField(_("产品名称"), max_length=100)
    category = models.CharField(_("产品类别"), max_length=12, choices=ProductCategory.choices)
    risk_level = models.CharField(_("风险等级"), max_length=2, choices=RiskLevel.choices, default=RiskLevel.R1)
    is_active = models.BooleanField(_("在售"), default=True)
    # the sales catalogue (SPEC §4): sale window, maturity and the price of a sale for incentives (产品计价)
    sale_starts_on = models.DateField(_("销售起始日"), null=True, blank=True)
    sale_ends_on = models.DateField(_("销售截止日"), null=True, blank=True)
    term_days = models.PositiveIntegerField(_("产品期限（天）"), null=True, blank=True)
    price_per_sale = models.DecimalField(
        _("计价（元/笔）"), max_digits=12, decimal_places=2, default=Decimal("0"), help_text=_("每笔销售折算的计价金额")
    )
    price_rate = models.DecimalField(
        _("计价系数（‰）"), max_digits=8, decimal_places=4, default=Decimal("0"), help_text=_("按销售金额的千分比折算")
    )
    description = models.CharField(_("产品说明"), max_length=300, blank=True, default="")

    #: categories that are risk products whatever their level: no sale without a valid risk assessment
    RISK_CATEGORIES = ("wealth", "fund", "insurance")

    class Meta:
        verbose_name = _("产品")
        verbose_name_plural = _("产品")
        ordering = ["category", "code"]

    def __str__(self):
        return f"{self.name}（{self.code}）"

    @property
    def is_risk_product(self) -> bool:
        """Wealth, funds and insurance, and anything above R1, need a valid risk assessment (SPEC §4)."""
        return self.category in self.RISK_CATEGORIES or self.risk_level != RiskLevel.R1

    def on_sale(self, day) -> bool:
        return (
            self.is_active
            and (self.sale_starts_on is None or self.sale_starts_on <= day)
            and (self.sale_ends_on is None or day <= self.sale_ends_on)
        )

    def priced(self, amount) -> Decimal:
        """The sale's value at the product's price (产品计价): per sale plus the rate on the amount."""
        return (self.price_per_sale + (amount or Decimal("0")) * self.price_rate / Decimal("1000")).quantize(
            Decimal("0.01")
        )


class Holding(models.Model):
    """A customer's account/position in one product with its balance (SPEC §2 business data)."""

    customer = models.ForeignKey(Customer, verbose_name=_("客户"), on_delete=models.CASCADE, related_name="holdings")
    product = models.ForeignKey(Product, verbose_name=_("产品"), on_delete=models.PROTECT, related_name="holdings")
    account_no = models.CharField(_("账号"), max_length=40, blank=True, default="")
    balance = models.DecimalField(_("余额"), **MONEY)
    opened_on = models.DateField(_("开户日期"), null=True, blank=True)
    closed_on = models.DateField(_("销户日期"), null=True, blank=True)
    # maturity of a time deposit, wealth product, insurance policy or loan (SPEC §3 product-maturity reminders)
    matures_on = models.DateField(_("到期日"), null=True, blank=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("持仓")
        verbose_name_plural = _("持仓")
        indexes = [
            models.Index(fields=["customer", "product"], name="holding_cust_prod_idx"),
            # "open holdings maturing between d1 and d2" (the daily maturity reminders): partial, so only
            # open holdings that have a maturity date are in it
            models.Index(
                fields=["matures_on"],
                name="holding_matures_open_idx",
                condition=models.Q(closed_on__isnull=True, matures_on__isnull=False),
            ),
        ]

    def __str__(self):
        return f"{self.customer} {self.product} {self.balance}"

    @property
    def is_open(self):
        return self.closed_on is None


# --- corporate details ----------------------------------------------------------------------------


class ContactRole(models.TextChoices):
    DECISION_MAKER = "decision_maker", _("决策者")
    INFLUENCER = "influencer", _("影响者")
    BLOCKER = "blocker", _("阻碍者")
    USER = "user", _("使用者")
    FINANCE = "finance", _("财务负责人")
    CONTACT = "contact", _("日常联系人")


class ContactAttitude(models.TextChoices):
    """Where a contact stands toward us (seed 002: 有些人会很乐意,有些人会不高兴,有的将保持中立)."""

    SUPPORTER = "supporter", _("支持")
    NEUTRAL = "neutral", _("中立")
    OPPONENT = "opponent", _("反对")


class ContactInfluence(models.TextChoices):
    """How much a contact weighs in the customer's buying decision (seed 002: 最有决断能力的人)."""

    HIGH = "high", _("高")
    MEDIUM = "medium", _("中")
    LOW = "low", _("低")


class Contact(models.Model):
    """A person at a corporate customer, with a role in the stakeholder map (SPEC §2, seed 002)."""

    customer = models.ForeignKey(Customer, verbose_name=_("客户"), on_delete=models.CASCADE, related_name="contacts")
    name = models.CharField(_("姓名"), max_length=50)
    title = models.CharField(_("职务"), max_length=50, blank=True, default="")
    role = models.CharField(_("角色"), max_length=20, choices=ContactRole.choices, default=ContactRole.CONTACT)
    mobile = models.CharField(_("手机号码"), max_length=20, blank=True, default="")
    email = models.EmailField(_("电子邮箱"), blank=True, default="")
    is_primary = models.BooleanField(_("主要联系人"), default=False)
    note = models.CharField(_("备注"), max_length=200, blank=True, default="")
    # the stakeholder map of a key account (seed 002): attitude toward us and weight in the decision
    attitude = models.CharField(
        _("态度"),
        max_length=10,
        choices=ContactAttitude.choices,
        default=ContactAttitude.NEUTRAL,
        db_default=ContactAttitude.NEUTRAL,
    )
    influence = models.CharField(
        _("影响力"),
        max_length=10,
        choices=ContactInfluence.choices,
        default=ContactInfluence.MEDIUM,
        db_default=ContactInfluence.MEDIUM,
    )

    class Meta:
        verbose_name = _("联系人")
        verbose_name_plural = _("联系人")
        ordering = ["-is_primary", "id"]

    def __str__(self):
        return self.name


class RelationKind(models.TextChoices):
    PARENT = "parent", _("母公司")
    SUBSIDIARY = "subsidiary", _("子公司")
    GROUP_MEMBER = "group", _("同一集团")
    SHAREHOLDER = "shareholder", _("股东")
    GUARANTOR = "guarantor", _("担保人")
    LEGAL_REP = "legal_rep", _("法定代表人")
    FAMILY = "family", _("家庭成员")
    OTHER = "other", _("其他关联")


class RelatedParty(models.Model):
    """A related-party / group link between two customers (关联客户), SPEC §2."""

    customer = models.ForeignKey(Customer, verbose_name=_("客户"), on_delete=models.CASCADE, related_name="relations")
    related = models.ForeignKey(Customer, verbose_name=_("关联客户"), on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(_("关联关系"), max_length=12, choices=RelationKind.choices)
    note = models.CharField(_("说明"), max_length=200, blank=True, default="")

    class Meta:
        verbose_name = _("关联客户")
        verbose_name_plural = _("关联客户")
        constraints = [models.UniqueConstraint(fields=["customer", "related", "kind"], name="related_party_unique")]

    def __str__(self):
        return f"{self.customer_id} → {self.related_id}（{self.get_kind_display()}）"


class FinancialYear(models.Model):
    """A corporate customer's revenue, assets and liabilities for one year (SPEC §2, debt ratio)."""

    customer = models.ForeignKey(Customer, verbose_name=_("客户"), on_delete=models.CASCADE, related_name="financials")
    year = models.PositiveSmallIntegerField(_("年度"))
    revenue = models.DecimalField(_("营业收入"), **MONEY)
    assets = models.DecimalField(_("资产总额"), **MONEY)
    liabilities = models.DecimalField(_("负债总额"), **MONEY)

    class Meta:
        verbose_name = _("财务数据")
        verbose_name_plural = _("财务数据")
        ordering = ["-year"]
        constraints = [models.UniqueConstraint(fields=["customer", "year"], name="financial_year_unique")]

    def __str__(self):
        return f"{self.customer_id} {self.year}"

    @property
    def debt_ratio(self):
        """资产负债率 in percent, or None without assets."""
        if not self.assets:
            return None
        return (self.liabilities / self.assets * 100).quantize(Decimal("0.01"))


# --- tags, needs, notes, key dates, documents ----------------------------------------------------


class Tag(models.Model):
    name = models.CharField(_("标签"), max_length=30, unique=True)

    class Meta:
        verbose_name = _("客户标签")
        verbose_name_plural = _("客户标签")
        ordering = ["name"]

    def __str__(self):
        return self.name


class NeedStatus(models.TextChoices):
    OPEN = "open", _("待跟进")
    MET = "met", _("已满足")
    DROPPED = "dropped", _("已放弃")


class Need(models.Model):
    """A need (需求) captured over time (SPEC §2)."""

    customer = models.ForeignKey(Customer, verbose_name=_("客户"), on_delete=models.CASCADE, related_name="needs")
    category = models.CharField(_("需求类别"), max_length=12, choices=ProductCategory.choices, blank=True, default="")
    text = models.CharField(_("需求内容"), max_length=300)
    status = models.CharField(_("状态"), max_length=10, choices=NeedStatus.choices, default=NeedStatus.OPEN)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("记录人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("记录时间"), default=timezone.now)

    class Meta:
        verbose_name = _("客户需求")
        verbose_name_plural = _("客户需求")
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return self.text[:40]


class Note(models.Model):
    customer = models.ForeignKey(Customer, verbose_name=_("客户"), on_delete=models.CASCADE, related_name="notes")
    text = models.TextField(_("备注"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("记录人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("记录时间"), default=timezone.now)

    class Meta:
        verbose_name = _("客户备注")
        verbose_name_plural = _("客户备注")
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return self.text[:40]


class KeyDateKind(models.TextChoices):
    BIRTHDAY = "birthday", _("生日")
    ANNIVERSARY = "anniversary", _("纪念日")
    FOUNDING = "founding", _("成立纪念日")
    SIGNING = "signing", _("签约纪念日")
    OTHER = "other", _("其他")


class KeyDate(models.Model):
    """A 服务关键时刻 (birthday, anniversaries); `recurring` dates repeat every year on month/day."""

    customer = models.ForeignKey(Customer, verbose_name=_("客户"), on_delete=models.CASCADE, related_name="key_dates")
    kind = models.CharField(_("类型"), max_length=12, choices=KeyDateKind.choices)
    label = models.CharField(_("说明"), max_length=60, blank=True, default="")
    date = models.DateField(_("日期"))
    recurring = models.BooleanField(_("每年重复"), default=True)
    month = models.PositiveSmallIntegerField(_("月"), default=1, editable=False)
    day = models.PositiveSmallIntegerField(_("日"), default=1, editable=False)

    class Meta:
        verbose_name = _("服务关键时刻")
        verbose_name_plural = _("服务关键时刻")
        ordering = ["month", "day"]
        indexes = [models.Index(fields=["month", "day"], name="keydate_md_idx")]

    def __str__(self):
        return f"{self.get_kind_display()} {self.date}"

    def save(self, *args, **kwargs):
        self.month, self.day = self.date.month, self.date.day
        super().save(*args, **kwargs)


class DocumentKind(models.TextChoices):
    ID_COPY = "id_copy", _("身份证件影像")
    RISK_ASSESSMENT = "risk_assessment", _("风险测评问卷")
    LICENSE = "license", _("营业执照")
    FINANCIAL_STATEMENT = "financials", _("财务报表")
    AGREEMENT = "agreement", _("服务协议")
    OTHER = "other", _("其他")


class Document(models.Model):
    """A document on file for the archive; counted by the completeness score (SPEC §2)."""

    customer = models.ForeignKey(Customer, verbose_name=_("客户"), on_delete=models.CASCADE, related_name="documents")
    kind = models.CharField(_("资料类型"), max_length=20, choices=DocumentKind.choices)
    file = models.FileField(_("文件"), upload_to="customers/docs/%Y/%m/", blank=True)
    title = models.CharField(_("名称"), max_length=100, blank=True, default="")
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("上传人"),
    )
    uploaded_at = models.DateTimeField(_("上传时间"), default=timezone.now)

    class Meta:
        verbose_name = _("档案资料")
        verbose_name_plural = _("档案资料")

    def __str__(self):
        return self.title or str(self.get_kind_display())


# --- history: tiers, ownership, handover -----------------------------------------------------------


class TierDirection(models.TextChoices):
    UP = "up", _("升级")
    DOWN = "down", _("降级")
    INITIAL = "initial", _("首次定级")


class TierChange(models.Model):
    """One change of a customer's tier: the upgrade/downgrade event that §3 cadence and §9 read."""

    customer = models.ForeignKey(
        Customer, verbose_name=_("客户"), on_delete=models.CASCADE, related_name="tier_changes"
    )
    from_tier = models.ForeignKey(
        Tier, verbose_name=_("原层级"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    to_tier = models.ForeignKey(
        Tier, verbose_name=_("新层级"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    direction = models.CharField(_("方向"), max_length=8, choices=TierDirection.choices)
    at = models.DateTimeField(_("时间"), default=timezone.now)
    reason = models.CharField(_("原因"), max_length=200, blank=True, default="")
    metric_value = models.DecimalField(_("指标值"), max_digits=18, decimal_places=2, null=True, blank=True)
    a_rm = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("当时主办客户经理"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    org_path = models.CharField(max_length=255, default="", editable=False)

    class Meta:
        verbose_name = _("层级变动")
        verbose_name_plural = _("层级变动")
        ordering = ["-at", "-id"]
        indexes = [
            models.Index(fields=["customer", "-at"], name="tierchange_cust_idx"),
            models.Index(fields=["org_path"], name="tierchange_path_idx", opclasses=["varchar_pattern_ops"]),
            models.Index(fields=["at"], name="tierchange_at_idx"),
            models.Index(fields=["a_rm", "at"], name="tierchange_rm_idx"),
        ]

    def __str__(self):
        return f"{self.customer_id} {self.get_direction_display()} {self.at:%Y-%m-%d}"


class OwnershipKind(models.TextChoices):
    CREATE = "create", _("建档")
    ASSIGN = "assign", _("分配")
    REASSIGN = "reassign", _("调整")
    HANDOVER = "handover", _("移交")
    CONFLICT = "conflict", _("冲突裁定")
    RELEASE = "release", _("退回待分配")


class OwnershipChange(models.Model):
    """History of A-post/B-post owners (SPEC §2 ownership)."""

    customer = models.ForeignKey(
        Customer, verbose_name=_("客户"), on_delete=models.CASCADE, related_name="ownership_changes"
    )
    kind = models.CharField(_("类型"), max_length=10, choices=OwnershipKind.choices)
    from_a = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("原A岗"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    to_a = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("新A岗"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    from_b = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("原B岗"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    to_b = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("新B岗"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("经办人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("审批人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    note = models.CharField(_("说明"), max_length=300, blank=True, default="")
    at = models.DateTimeField(_("时间"), default=timezone.now)

    class Meta:
        verbose_name = _("归属变更")
        verbose_name_plural = _("归属变更")
        ordering = ["-at", "-id"]

    def __str__(self):
        return f"{self.customer_id} {self.get_kind_display()} {self.at:%Y-%m-%d}"


class Handover(models.Model):
    """A bulk handover of an RM's customers to another RM (SPEC §2: leaving or moving)."""

    from_rm = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("移交人"), on_delete=models.PROTECT, related_name="+"
    )
    to_rm = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("接收人"), on_delete=models.PROTECT, related_name="+"
    )
    reason = models.CharField(_("移交原因"), max_length=200, blank=True, default="")
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("申请人"), on_delete=models.PROTECT, related_name="+"
    )
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("审批人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    at = models.DateTimeField(_("完成时间"), default=timezone.now)

    class Meta:
        verbose_name = _("客户移交")
        verbose_name_plural = _("客户移交")
        ordering = ["-at", "-id"]

    def __str__(self):
        return f"{self.from_rm_id} → {self.to_rm_id} {self.at:%Y-%m-%d}"


class HandoverRecord(models.Model):
    """One customer in a handover, with its handover note (交接说明)."""

    handover = models.ForeignKey(Handover, verbose_name=_("移交"), on_delete=models.CASCADE, related_name="records")
    customer = models.ForeignKey(Customer, verbose_name=_("客户"), on_delete=models.CASCADE, related_name="handovers")
    post = models.CharField(_("岗位"), max_length=1, choices=[("A", _("A岗")), ("B", _("B岗"))], default="A")
    note = models.CharField(_("交接说明"), max_length=300, blank=True, default="")

    class Meta:
        verbose_name = _("移交明细")
        verbose_name_plural = _("移交明细")

    def __str__(self):
        return f"{self.handover_id}/{self.customer_id} {self.post}"


# --- conflicts -------------------------------------------------------------------------------------


class ConflictStatus(models.TextChoices):
    OPEN = "open", _("待处理")
    MERGED = "merged", _("已合并")
    ASSIGNED = "assigned", _("已裁定归属")
    DISMISSED = "dismissed", _("已驳回")


class Conflict(models.Model):
    """A second claim on the same person/company (same ID number, credit code or mobile): the
    supervisor decides instead of a duplicate archive being created (SPEC §2 不争夺客户)."""

    existing = models.ForeignKey(
        Customer, verbose_name=_("已有客户"), on_delete=models.CASCADE, related_name="conflicts"
    )
    subject = models.ForeignKey(
        Customer, verbose_name=_("发起修改的客户"), null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    match_field = models.CharField(_("重复字段"), max_length=20)
    match_value = models.CharField(_("重复值"), max_length=40)
    source = models.CharField(
        _("来源"), max_length=10, choices=[("create", _("新建")), ("edit", _("修改")), ("import", _("导入"))]
    )
    proposed = models.JSONField(_("申报内容"), default=dict)
    claimant = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("申报人"), on_delete=models.PROTECT, related_name="+"
    )
    org_path = models.CharField(max_length=255, editable=False, default="")
    claimant_path = models.CharField(max_length=255, editable=False, default="")
    status = models.CharField(_("状态"), max_length=10, choices=ConflictStatus.choices, default=ConflictStatus.OPEN)
    created_at = models.DateTimeField(_("发现时间"), default=timezone.now)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("处理人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    resolved_at = models.DateTimeField(_("处理时间"), null=True, blank=True)
    resolution_note = models.CharField(_("处理意见"), max_length=300, blank=True, default="")

    class Meta:
        verbose_name = _("客户冲突")
        verbose_name_plural = _("客户冲突")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["status", "org_path"], name="conflict_path_idx"),
            models.Index(fields=["status", "claimant_path"], name="conflict_cpath_idx"),
        ]

    def __str__(self):
        return f"{self.match_field} #{self.pk} {self.get_status_display()}"


# --- import ----------------------------------------------------------------------------------------


class ImportStatus(models.TextChoices):
    PENDING = "pending", _("排队中")
    VALIDATING = "validating", _("校验中")
    WRITING = "writing", _("写入中")
    DONE = "done", _("已完成")
    FAILED = "failed", _("未导入（有错误）")


class ImportJob(models.Model):
    """One uploaded file of customers or holdings, imported all-or-nothing as a background task."""

    KIND_CHOICES = [("customers", _("客户")), ("holdings", _("持仓"))]

    kind = models.CharField(_("导入内容"), max_length=10, choices=KIND_CHOICES, default="customers")
    file = models.FileField(_("文件"), upload_to="customers/imports/%Y/%m/")
    original_name = models.CharField(_("文件名"), max_length=200)
    status = models.CharField(_("状态"), max_length=12, choices=ImportStatus.choices, default=ImportStatus.PENDING)
    total_rows = models.PositiveIntegerField(_("总行数"), default=0)
    processed_rows = models.PositiveIntegerField(_("已处理"), default=0)
    created_count = models.PositiveIntegerField(_("新增"), default=0)
    updated_count = models.PositiveIntegerField(_("更新"), default=0)
    unchanged_count = models.PositiveIntegerField(_("无变化"), default=0)
    conflict_count = models.PositiveIntegerField(_("冲突"), default=0)
    error_count = models.PositiveIntegerField(_("错误行"), default=0)
    errors = models.JSONField(_("错误明细"), default=list, blank=True)
    error_report = models.FileField(_("错误报告"), upload_to="customers/imports/%Y/%m/", blank=True)
    message = models.CharField(_("说明"), max_length=300, blank=True, default="")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("导入人"), on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("上传时间"), default=timezone.now)
    finished_at = models.DateTimeField(_("完成时间"), null=True, blank=True)
    # the last time the worker reported progress: the stall sweep fails a job whose worker died
    progress_at = models.DateTimeField(_("最近进展时间"), null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(_("执行次数"), default=0)

    class Meta:
        verbose_name = _("导入任务")
        verbose_name_plural = _("导入任务")
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return self.original_name

    @property
    def percent(self):
        if not self.total_rows:
            return 100 if self.status in (ImportStatus.DONE, ImportStatus.FAILED) else 0
        return min(100, round(self.processed_rows * 100 / self.total_rows))

    @property
    def is_finished(self):
        return self.status in (ImportStatus.DONE, ImportStatus.FAILED)


# --- key-account qualification (packnew; SPEC §2, seed 002 "谁是你的大客户呢") ---------------------------


class QualificationMetric(models.TextChoices):
    """The figures a key-account qualification criterion reads from the archive (seed 002: volume, margin,
    growth, share of wallet, credit standing and payment cycle)."""

    VOLUME = "volume", _("年业务量")
    MARGIN = "margin", _("毛利率")
    GROWTH = "growth", _("增长率")
    WALLET_SHARE = "wallet_share", _("业务份额")
    CREDIT_STANDING = "credit_standing", _("资信状况")
    PAYMENT_DAYS = "payment_days", _("回款周期")


#: credit grades from best to worst: a criterion "at least A" passes AAA, AA and A
CREDIT_GRADES = ("AAA", "AA", "A", "BBB", "BB", "B", "C")


class QualificationRule(models.Model):
    """A key-account qualification rule (重点客户资格认定): weighted criteria on the archive's figures and a
    pass mark; a criterion marked `required` fails the whole rule when it fails (一票否决). Loadable by a
    pack (section `qualification_rules`); evaluated by services.qualification (SPEC §2).

    `criteria` is a list of {"code", "metric", "op" ("gte"/"lte"), "threshold", "weight", "required"}: the
    threshold is a decimal string, or for credit_standing a grade of CREDIT_GRADES."""

    code = models.CharField(_("代码"), max_length=30, unique=True)
    name = models.CharField(_("名称"), max_length=100)
    kind = models.CharField(
        _("适用客户类型"), max_length=12, choices=CustomerKind.choices, default=CustomerKind.CORPORATE
    )
    pass_mark = models.DecimalField(
        _("合格分"), max_digits=5, decimal_places=2, default=Decimal("60"), help_text=_("满分 100，达到即认定合格")
    )
    criteria = models.JSONField(_("认定标准"), default=list)
    is_active = models.BooleanField(_("启用"), default=True)

    class Meta:
        verbose_name = _("重点客户资格规则")
        verbose_name_plural = _("重点客户资格规则")
        ordering = ["kind", "code"]

    def __str__(self):
        return self.name

    def clean(self):
        from django.core.exceptions import ValidationError

        from .services.qualification import criteria_errors

        errors = {}
        if self.pass_mark is not None and not Decimal("0") <= self.pass_mark <= Decimal("100"):
            errors["pass_mark"] = [_("合格分应在 0 到 100 之间。")]
        problems = criteria_errors(self.criteria)
        if problems:
            errors["criteria"] = problems
        if errors:
            raise ValidationError(errors)


# --- monthly daily-average tiers and the downgrade watch (bankaum; SPEC §2, issue 19 bank) -----------


class MonthlyOutcome(models.TextChoices):
    """What the month-end evaluation did with one customer's month (services.monthly_tiers)."""

    INITIAL = "initial", _("首次定级")
    UP = "up", _("升级")
    STAY = "stay", _("保持")
    WATCH = "watch", _("关注")
    DOWN = "down", _("降级")


class MonthlyBalance(models.Model):
    """One customer's daily snapshots of its tier metric (AUM, deposits…) in one month: their sum in
    cents and the number of days snapshotted, so the month's daily average (月日均) is `total / days`
    over the days that were snapshotted (SPEC §2; the bank OCRM rule of issue 19). Written set-based by
    services.monthly_tiers.snapshot_balances, at most once per day (`last_date`); the month-end
    evaluation writes the tier the average reached and what it did (`outcome`)."""

    customer = models.ForeignKey(
        Customer, verbose_name=_("客户"), on_delete=models.CASCADE, related_name="monthly_balances"
    )
    month = models.DateField(_("月份"), help_text=_("当月第一天"))
    total_cents = models.BigIntegerField(_("每日余额合计（分）"), default=0)
    days = models.PositiveSmallIntegerField(_("快照天数"), default=0)
    last_date = models.DateField(_("最近快照日"))
    evaluated_tier = models.ForeignKey(
        Tier, verbose_name=_("日均对应层级"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    outcome = models.CharField(_("评定结果"), max_length=8, choices=MonthlyOutcome.choices, blank=True, default="")
    watch_month = models.PositiveSmallIntegerField(_("连续低于门槛月数"), default=0)

    class Meta:
        verbose_name = _("月日均资产")
        verbose_name_plural = _("月日均资产")
        ordering = ["-month", "customer"]
        constraints = [models.UniqueConstraint(fields=["customer", "month"], name="monthlybalance_cust_month_uniq")]
        indexes = [models.Index(fields=["month", "outcome"], name="monthlybalance_month_idx")]

    def __str__(self):
        return f"{self.customer_id} {self.month:%Y-%m}"

    @property
    def average(self) -> Decimal:
        """The month's daily average in yuan, to the cent."""
        if not self.days:
            return Decimal("0.00")
        return (Decimal(self.total_cents) / 100 / self.days).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


class TierWatch(models.Model):
    """关注: the customer's monthly daily average fell below its tier's threshold; it is downgraded only
    when that lasts `downgrade_months` consecutive months (the rule set's setting), and the watch ends
    when the average recovers (SPEC §2, issue 19). One row per customer, kept by the month-end
    evaluation; the 360° page shows it and the customer list filters on it."""

    customer = models.OneToOneField(
        Customer, verbose_name=_("客户"), on_delete=models.CASCADE, related_name="tier_watch"
    )
    rule_set = models.ForeignKey(TierRuleSet, verbose_name=_("规则"), on_delete=models.CASCADE, related_name="+")
    tier = models.ForeignKey(Tier, verbose_name=_("当前层级"), on_delete=models.CASCADE, related_name="+")
    months = models.PositiveSmallIntegerField(_("连续低于门槛月数"), default=1)
    since = models.DateField(_("起始月份"))
    last_month = models.DateField(_("最近评定月份"))
    average = models.DecimalField(_("最近月日均"), max_digits=18, decimal_places=2, default=Decimal("0.00"))

    class Meta:
        verbose_name = _("降级关注")
        verbose_name_plural = _("降级关注")
        ordering = ["-last_month", "customer"]

    def __str__(self):
        return str(self.label)

    @property
    def label(self):
        return _("关注：日均资产低于 %(tier)s 门槛 (第 %(k)s 个月)") % {"tier": self.tier.name, "k": self.months}
