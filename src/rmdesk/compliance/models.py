"""Data of the compliance app (合规, SPEC §8).

- pledges (承诺书): versioned templates, signing rounds (a template version, the staff who must sign,
  a deadline), one obligation per person and round, and the insert-only e-signature (exact text, its
  SHA-256, when, from where);
- conduct rule sets (十不准, 七不准, 四原则… as data) and violation records decided through the kernel's
  approval chain, with the penalty ladder and the points assessment deducts;
- the gift and hospitality register; special-service (上门服务) requests; anomaly findings from the
  audit trail (cases compliance closes with a note); A/B cross-reviews; thresholds, all in the database.

Scope: each row carries `org_path`, a copy of the unit path of the person it is about, so compliance
officers and managers find their subtree with one prefix scan (scope.py).
"""

import hashlib
from decimal import Decimal

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

USER = settings.AUTH_USER_MODEL
MONEY = {"max_digits": 18, "decimal_places": 2}


class ImmutableRecord(Exception):
    """A signed pledge is never changed or deleted."""


# --- thresholds -----------------------------------------------------------------------------------------


class Threshold(models.Model):
    """A number the compliance rules read (gift acceptance limit, anomaly thresholds), edited by compliance
    officers and administrators on the thresholds page (versioned, audited); seeded by migration 0002."""

    code = models.CharField(_("代码"), max_length=40, unique=True)
    name = models.CharField(_("名称"), max_length=100)
    value = models.DecimalField(_("数值"), **MONEY)
    description = models.CharField(_("说明"), max_length=300, blank=True)
    version = models.PositiveIntegerField(_("版本"), default=1, db_default=1)

    class Meta:
        verbose_name = _("合规阈值")
        verbose_name_plural = _("合规阈值")
        ordering = ["code"]

    def __str__(self):
        return self.name


# --- pledges ----------------------------------------------------------------------------------------------


class PledgeKind(models.TextChoices):
    INTEGRITY = "integrity", _("诚信服务承诺书")
    DUTY = "duty", _("履职承诺书")
    SELF_DISCIPLINE = "self_discipline", _("自律协议")
    OTHER = "other", _("其他承诺书")


class PledgeTemplate(models.Model):
    """One version of a pledge's text. A change is a new version (the old one stays, as signatures
    point to the version they signed). 尽职调查承诺书 lives with the credit application (credit.Pledge)."""

    kind = models.CharField(_("承诺书类型"), max_length=20, choices=PledgeKind.choices)
    title = models.CharField(_("标题"), max_length=100)
    version = models.PositiveSmallIntegerField(_("版本"), default=1)
    body = models.TextField(_("正文"))
    signature_block = models.TextField(
        _("签署栏"), default="承诺人:{signer}\n\n签署日期:{date}", help_text=_("{signer} 填签署人，{date} 填签署日期")
    )
    source = models.CharField(_("来源"), max_length=200, blank=True)
    is_public = models.BooleanField(_("可公示"), default=False, help_text=_("在营销部公示并向客户发放"))
    created_by = models.ForeignKey(
        USER, verbose_name=_("发布人"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("发布时间"), default=timezone.now)

    class Meta:
        verbose_name = _("承诺书模板")
        verbose_name_plural = _("承诺书模板")
        ordering = ["kind", "-version"]
        constraints = [models.UniqueConstraint(fields=["kind", "version"], name="compliance_template_version")]

    def __str__(self):
        return f"{self.title} v{self.version}"


class RoundStatus(models.TextChoices):
    OPEN = "open", _("进行中")
    CLOSED = "closed", _("已结束")


class SigningRound(models.Model):
    """A signing round (签署批次): a template version, the staff of a unit's subtree holding the given
    roles, a deadline. Opening it creates one obligation per person."""

    name = models.CharField(_("批次名称"), max_length=100)
    template = models.ForeignKey(PledgeTemplate, verbose_name=_("承诺书"), on_delete=models.PROTECT)
    unit = models.ForeignKey("org.OrgUnit", verbose_name=_("机构"), on_delete=models.PROTECT, related_name="+")
    org_path = models.CharField(_("机构路径"), max_length=255, db_index=True)
    roles = models.JSONField(_("须签署的角色"), default=list)
    deadline = models.DateField(_("截止日期"))
    status = models.CharField(_("状态"), max_length=10, choices=RoundStatus.choices, default=RoundStatus.OPEN)
    created_by = models.ForeignKey(USER, verbose_name=_("发起人"), on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(_("发起时间"), default=timezone.now)

    class Meta:
        verbose_name = _("签署批次")
        verbose_name_plural = _("签署批次")
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return self.name


class Obligation(models.Model):
    """One person who must sign in one round; `signed_at` is set when their signature exists."""

    round = models.ForeignKey(
        SigningRound, verbose_name=_("签署批次"), on_delete=models.CASCADE, related_name="obligations"
    )
    signer = models.ForeignKey(USER, verbose_name=_("签署人"), on_delete=models.PROTECT, related_name="+")
    org_path = models.CharField(_("机构路径"), max_length=255, db_index=True)
    unit_name = models.CharField(_("所属机构"), max_length=100, blank=True)
    signed_at = models.DateTimeField(_("签署时间"), null=True, blank=True)
    reminded_at = models.DateTimeField(_("最近提醒"), null=True, blank=True)

    class Meta:
        verbose_name = _("签署任务")
        verbose_name_plural = _("签署任务")
        ordering = ["round", "org_path", "signer_id"]
        constraints = [models.UniqueConstraint(fields=["round", "signer"], name="compliance_obligation_once")]

    def __str__(self):
        return f"{self.round_id}/{self.signer_id}"


class SignatureQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise ImmutableRecord("signed pledges are immutable")

    def delete(self):
        raise ImmutableRecord("signed pledges are immutable")


class Signature(models.Model):
    """An e-signed pledge: who, when, from where (IP, browser), the exact text read and its SHA-256.
    Insert-only, like credit.Pledge (docs/decisions.md 38)."""

    obligation = models.OneToOneField(
        Obligation, verbose_name=_("签署任务"), on_delete=models.PROTECT, related_name="signature"
    )
    template = models.ForeignKey(PledgeTemplate, verbose_name=_("承诺书"), on_delete=models.PROTECT, related_name="+")
    signer = models.ForeignKey(USER, verbose_name=_("签署人"), on_delete=models.PROTECT, related_name="+")
    org_path = models.CharField(_("机构路径"), max_length=255, db_index=True)
    signed_at = models.DateTimeField(_("签署时间"), default=timezone.now)
    ip = models.GenericIPAddressField(_("IP 地址"), null=True, blank=True)
    user_agent = models.CharField(_("浏览器"), max_length=300, blank=True)
    text = models.TextField(_("承诺书全文"))
    sha256 = models.CharField(_("SHA-256"), max_length=64)

    objects = SignatureQuerySet.as_manager()

    class Meta:
        verbose_name = _("承诺书签署")
        verbose_name_plural = _("承诺书签署")
        ordering = ["-signed_at", "-id"]

    def __str__(self):
        return f"{self.obligation_id}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise ImmutableRecord("signed pledges are immutable")
        self.sha256 = self.digest(self.text)
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ImmutableRecord("signed pledges are immutable")

    @staticmethod
    def digest(text: str) -> str:
        return hashlib.sha256(text.encode("utf-8")).hexdigest()

    @property
    def intact(self) -> bool:
        return self.digest(self.text) == self.sha256


# --- conduct rules and violations ---------------------------------------------------------------------------


class Severity(models.TextChoices):
    MINOR = "minor", _("一般")
    SERIOUS = "serious", _("较重")
    GRAVE = "grave", _("严重")


class ConductRuleSet(models.Model):
    """A named set of conduct rules (十不准, 七不准, 四原则…): data, edited by compliance officers and
    administrators on the rule-set pages or the API (versioned, audited; services.save_rule_set)."""

    code = models.CharField(_("代码"), max_length=30, unique=True)
    name = models.CharField(_("名称"), max_length=100)
    source = models.CharField(_("依据"), max_length=300, blank=True)
    is_active = models.BooleanField(_("启用"), default=True)
    version = models.PositiveIntegerField(_("版本"), default=1, db_default=1)

    class Meta:
        verbose_name = _("行为规范")
        verbose_name_plural = _("行为规范")
        ordering = ["code"]

    def __str__(self):
        return self.name


class ConductRule(models.Model):
    rule_set = models.ForeignKey(
        ConductRuleSet, verbose_name=_("行为规范"), on_delete=models.CASCADE, related_name="rules"
    )
    order = models.PositiveSmallIntegerField(_("序号"))
    text = models.CharField(_("条款"), max_length=300)
    severity = models.CharField(_("严重程度"), max_length=10, choices=Severity.choices, default=Severity.MINOR)
    points = models.DecimalField(_("扣分"), max_digits=6, decimal_places=2, default=2)

    class Meta:
        verbose_name = _("行为规范条款")
        verbose_name_plural = _("行为规范条款")
        ordering = ["rule_set", "order"]
        constraints = [models.UniqueConstraint(fields=["rule_set", "order"], name="compliance_rule_order")]

    def __str__(self):
        return f"{self.rule_set.name} {self.order}. {self.text}"


class Penalty(models.TextChoices):
    """The ladder of 履职承诺书 art. 7 (seed 001:83), climbing with each confirmed repeat."""

    FINE = "fine", _("经济处罚")
    PAY_COEFFICIENT = "pay_coefficient", _("降低薪酬系数")
    REMOVAL = "removal", _("免职")
    TERMINATION = "termination", _("解除劳动合同")


LADDER = [Penalty.FINE, Penalty.PAY_COEFFICIENT, Penalty.REMOVAL, Penalty.TERMINATION]


class ViolationStatus(models.TextChoices):
    PENDING = "pending", _("待认定")
    CONFIRMED = "confirmed", _("已认定")
    DISMISSED = "dismissed", _("不予认定")


class Violation(models.Model):
    """A violation record: who, when, which rule, the facts and evidence, found by whom; decided by
    compliance through the chain "compliance.violation" after the person could state their case."""

    person = models.ForeignKey(USER, verbose_name=_("当事人"), on_delete=models.PROTECT, related_name="+")
    rule = models.ForeignKey(ConductRule, verbose_name=_("违反条款"), on_delete=models.PROTECT, related_name="+")
    occurred_on = models.DateField(_("发生日期"))
    facts = models.TextField(_("违规事实"))
    evidence = models.FileField(_("证据材料"), upload_to="compliance/evidence/%Y/%m/", blank=True)
    reported_by = models.ForeignKey(USER, verbose_name=_("发现人"), on_delete=models.PROTECT, related_name="+")
    reported_at = models.DateTimeField(_("登记时间"), default=timezone.now)
    org_path = models.CharField(_("机构路径"), max_length=255, db_index=True)
    statement = models.TextField(_("当事人申辩"), blank=True)
    statement_at = models.DateTimeField(_("申辩时间"), null=True, blank=True)
    statement_waived = models.BooleanField(_("放弃申辩"), default=False)
    status = models.CharField(
        _("状态"), max_length=10, choices=ViolationStatus.choices, default=ViolationStatus.PENDING
    )
    approval = models.ForeignKey(
        "core.ApprovalRequest",
        verbose_name=_("审批"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    ladder_step = models.PositiveSmallIntegerField(_("处理档次"), null=True, blank=True)
    penalty = models.CharField(_("处理"), max_length=20, choices=Penalty.choices, blank=True)
    points = models.DecimalField(_("扣分"), max_digits=6, decimal_places=2, default=0)
    decided_by = models.ForeignKey(
        USER, verbose_name=_("认定人"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(_("认定时间"), null=True, blank=True)
    decision_note = models.TextField(_("认定意见"), blank=True)
    version = models.PositiveIntegerField(_("版本"), default=1)

    class Meta:
        verbose_name = _("违规记录")
        verbose_name_plural = _("违规记录")
        ordering = ["-reported_at", "-id"]
        indexes = [models.Index(fields=["person", "status", "decided_at"], name="viol_person_idx")]

    def __str__(self):
        return f"#{self.pk}"

    @property
    def may_be_decided(self) -> bool:
        """The person stated their case or waived it (SPEC §8: before the decision)."""
        return bool(self.statement_at or self.statement_waived)


# --- gifts ----------------------------------------------------------------------------------------------


class GiftOutcome(models.TextChoices):
    REFUSED = "refused", _("已拒收")
    HANDED_IN = "handed_in", _("已上交")
    ACCEPTED = "accepted", _("申请接受（限额内）")


class GiftStatus(models.TextChoices):
    RECORDED = "recorded", _("已登记")
    PENDING = "pending", _("待审批")
    APPROVED = "approved", _("已批准接受")
    REJECTED = "rejected", _("不准接受")


class GiftEntry(models.Model):
    """An offered gift or hospitality and what was done with it; compliance reviews each entry."""

    staff = models.ForeignKey(USER, verbose_name=_("登记人"), on_delete=models.PROTECT, related_name="+")
    org_path = models.CharField(_("机构路径"), max_length=255, db_index=True)
    customer = models.ForeignKey(
        "customers.Customer", verbose_name=_("客户"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    giver = models.CharField(_("赠送方"), max_length=100)
    offered_on = models.DateField(_("日期"))
    description = models.CharField(_("礼品或宴请"), max_length=200)
    value = models.DecimalField(_("估值（元）"), **MONEY)
    outcome = models.CharField(_("处理方式"), max_length=12, choices=GiftOutcome.choices)
    status = models.CharField(_("状态"), max_length=10, choices=GiftStatus.choices, default=GiftStatus.RECORDED)
    approval = models.ForeignKey(
        "core.ApprovalRequest",
        verbose_name=_("审批"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("登记时间"), default=timezone.now)
    reviewed_by = models.ForeignKey(
        USER, verbose_name=_("复核人"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    reviewed_at = models.DateTimeField(_("复核时间"), null=True, blank=True)
    review_note = models.TextField(_("复核意见"), blank=True)
    version = models.PositiveIntegerField(_("版本"), default=1)

    class Meta:
        verbose_name = _("礼品登记")
        verbose_name_plural = _("礼品登记")
        ordering = ["-offered_on", "-id"]

    def __str__(self):
        return f"#{self.pk}"


# --- special service ------------------------------------------------------------------------------------


class ServiceStatus(models.TextChoices):
    PENDING = "pending", _("待审批")
    APPROVED = "approved", _("已批准")
    REJECTED = "rejected", _("已驳回")
    DONE = "done", _("已办理")


class SpecialService(models.Model):
    """A special-service request (上门服务, seed 001:107): the branch manager approves it in advance;
    two staff go; an escort is named when cash or valuables are carried; the visit's interaction is
    linked to it once recorded, so the record is kept for inspection."""

    customer = models.ForeignKey(
        "customers.Customer", verbose_name=_("客户"), on_delete=models.PROTECT, related_name="+"
    )
    applicant = models.ForeignKey(USER, verbose_name=_("申请人"), on_delete=models.PROTECT, related_name="+")
    second_staff = models.ForeignKey(USER, verbose_name=_("同行员工"), on_delete=models.PROTECT, related_name="+")
    org_path = models.CharField(_("机构路径"), max_length=255, db_index=True)
    visit_on = models.DateField(_("上门日期"))
    place = models.CharField(_("地点"), max_length=200)
    purpose = models.CharField(_("服务内容"), max_length=200)
    cash_or_valuables = models.BooleanField(_("涉及现金或贵重物品"), default=False)
    escort = models.CharField(_("保卫人员"), max_length=100, blank=True)
    status = models.CharField(_("状态"), max_length=10, choices=ServiceStatus.choices, default=ServiceStatus.PENDING)
    approval = models.ForeignKey(
        "core.ApprovalRequest",
        verbose_name=_("审批"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    approved_by = models.ForeignKey(
        USER, verbose_name=_("批准人"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    approved_at = models.DateTimeField(_("批准时间"), null=True, blank=True)
    interaction = models.OneToOneField(
        "work.Interaction",
        verbose_name=_("服务记录"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("申请时间"), default=timezone.now)

    class Meta:
        verbose_name = _("特殊服务申请")
        verbose_name_plural = _("特殊服务申请")
        ordering = ["-visit_on", "-id"]

    def __str__(self):
        return f"#{self.pk}"


# --- anomalies and cross-review -------------------------------------------------------------------------


class AnomalyRule(models.TextChoices):
    OUT_OF_BOOK = "out_of_book", _("大量查看非本人管户客户")
    EXPORTS = "exports", _("批量或频繁导出")
    REVEAL_NO_CONTACT = "reveal_no_contact", _("查看明文后无后续联系")
    OFF_HOURS = "off_hours", _("非工作时间访问客户信息")
    DEPARTED = "departed", _("查看离职客户经理的客户")
    FEE_BEYOND = "fee_beyond", _("费用减免超出客户权益")


class FindingStatus(models.TextChoices):
    OPEN = "open", _("待处理")
    CLOSED = "closed", _("已办结")


class Finding(models.Model):
    """One anomaly found in the audit trail (a case compliance closes with a note)."""

    rule = models.CharField(_("异常类型"), max_length=20, choices=AnomalyRule.choices)
    person = models.ForeignKey(USER, verbose_name=_("人员"), on_delete=models.PROTECT, related_name="+")
    org_path = models.CharField(_("机构路径"), max_length=255, db_index=True)
    day = models.DateField(_("日期"))
    key = models.CharField(_("键"), max_length=60, blank=True)
    count = models.PositiveIntegerField(_("次数"), default=0)
    detail = models.CharField(_("说明"), max_length=500)
    events = models.JSONField(_("审计事件"), default=list)
    status = models.CharField(_("状态"), max_length=10, choices=FindingStatus.choices, default=FindingStatus.OPEN)
    found_at = models.DateTimeField(_("发现时间"), default=timezone.now)
    closed_by = models.ForeignKey(
        USER, verbose_name=_("办结人"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    closed_at = models.DateTimeField(_("办结时间"), null=True, blank=True)
    note = models.TextField(_("办结说明"), blank=True)
    version = models.PositiveIntegerField(_("版本"), default=1)

    class Meta:
        verbose_name = _("异常线索")
        verbose_name_plural = _("异常线索")
        ordering = ["-day", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["rule", "person", "day", "key"], name="compliance_finding_once"),
        ]

    def __str__(self):
        return f"#{self.pk}"


class CrossReview(models.Model):
    """A/B cross-review (seed 001:133): the B-post RM reviews the A-post RM's contacts on the customers
    they share for a month and notes doubts (从中发现疑点和工作漏洞)."""

    reviewer = models.ForeignKey(USER, verbose_name=_("复查人（B岗）"), on_delete=models.PROTECT, related_name="+")
    reviewee = models.ForeignKey(USER, verbose_name=_("被复查人（A岗）"), on_delete=models.PROTECT, related_name="+")
    org_path = models.CharField(_("机构路径"), max_length=255, db_index=True)
    period_start = models.DateField(_("期间起"))
    period_end = models.DateField(_("期间止"))
    due_on = models.DateField(_("完成期限"))
    notes = models.TextField(_("复查意见"), blank=True)
    has_doubts = models.BooleanField(_("发现疑点"), default=False)
    done_at = models.DateTimeField(_("完成时间"), null=True, blank=True)
    version = models.PositiveIntegerField(_("版本"), default=1)

    class Meta:
        verbose_name = _("A/B岗交叉复查")
        verbose_name_plural = _("A/B岗交叉复查")
        ordering = ["-period_start", "id"]
        constraints = [
            models.UniqueConstraint(fields=["reviewer", "reviewee", "period_start"], name="compliance_review_once"),
        ]

    def __str__(self):
        return f"#{self.pk}"


# --- account-change monitoring: fees and discounts against entitlements (seed 001:135) -------------------


class FeeKind(models.TextChoices):
    ACCOUNT = "account", _("账户管理费")
    TRANSFER = "transfer", _("跨行转账汇款手续费")
    CARD_ANNUAL = "card_annual", _("银行卡年费")
    WEALTH_SUBSCRIPTION = "wealth_sub", _("理财认购费")
    SAFE_BOX = "safe_box", _("保管箱租金")


class FeeEntitlement(models.Model):
    """What a customer of a tier is entitled to (优惠权益): the largest discount on one kind of fee, in
    percent of the standard fee (100 = waived). No rule for a tier and kind means no discount."""

    tier = models.ForeignKey("customers.Tier", verbose_name=_("客户层级"), on_delete=models.CASCADE, related_name="+")
    fee_kind = models.CharField(_("费用类型"), max_length=12, choices=FeeKind.choices)
    max_discount_percent = models.DecimalField(_("最高减免比例（%）"), max_digits=5, decimal_places=2)
    #: an optional cap on the amount waived by one grant (元); none means only the percentage limits it
    max_discount_amount = models.DecimalField(
        _("单笔最高减免金额（元）"), max_digits=18, decimal_places=2, null=True, blank=True
    )
    note = models.CharField(_("依据"), max_length=200, blank=True, default="", db_default="")
    version = models.PositiveIntegerField(_("版本"), default=1)

    class Meta:
        verbose_name = _("费用优惠权益")
        verbose_name_plural = _("费用优惠权益")
        constraints = [models.UniqueConstraint(fields=["tier", "fee_kind"], name="compliance_entitlement_once")]
        ordering = ["tier__rank", "fee_kind"]


class FeeGrant(models.Model):
    """A fee waived or discounted by a member of staff on a customer's account (费用减免/优惠). The daily
    check compares it with the customer's entitlement and reports what goes beyond it (SPEC §8)."""

    customer = models.ForeignKey(
        "customers.Customer", verbose_name=_("客户"), on_delete=models.PROTECT, related_name="+"
    )
    fee_kind = models.CharField(_("费用类型"), max_length=12, choices=FeeKind.choices)
    standard_fee = models.DecimalField(_("标准收费（元）"), **MONEY)
    charged_fee = models.DecimalField(_("实收（元）"), **MONEY)
    granted_by = models.ForeignKey(USER, verbose_name=_("办理人"), on_delete=models.PROTECT, related_name="+")
    granted_on = models.DateField(_("办理日期"))
    note = models.CharField(_("说明"), max_length=200, blank=True, default="")
    tier = models.ForeignKey(
        "customers.Tier",
        verbose_name=_("办理时客户层级"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    org_path = models.CharField(_("机构路径"), max_length=255, db_index=True)  # the customer's unit
    recorded_at = models.DateTimeField(_("登记时间"), default=timezone.now)
    #: when the grant was last corrected (the daily check looks again at grants corrected on its day)
    changed_at = models.DateTimeField(_("更正时间"), null=True, blank=True, db_index=True)
    version = models.PositiveIntegerField(_("版本"), default=1, db_default=1)

    class Meta:
        verbose_name = _("费用减免")
        verbose_name_plural = _("费用减免")
        ordering = ["-granted_on", "-id"]

    @property
    def discount_percent(self) -> Decimal:
        if not self.standard_fee:
            return Decimal("0")
        return ((self.standard_fee - self.charged_fee) / self.standard_fee * 100).quantize(Decimal("0.01"))
