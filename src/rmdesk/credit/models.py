"""Credit and risk (授信与风险, SPEC §6): products, applications with their due diligence (尽职调查),
the investigators' pledge (尽职调查承诺书), loans with their five-category classification, post-loan
checks and early warnings.

Scope: an application, a loan and a warning carry `org_path`, a copy of the customer's unit path at
creation, so the subtree managers and the read-only overseers (risk, compliance) find them with one
indexed prefix scan; the applying RM and the investigators see their own applications (scope.py).
"""

import hashlib

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

USER = settings.AUTH_USER_MODEL
PATH_IDX = {"opclasses": ["varchar_pattern_ops"]}
MONEY = {"max_digits": 18, "decimal_places": 2}


class MaterialKind(models.TextChoices):
    """Admission documents (seed 003: 营业执照、财务报表、征信报告) and the usual personal ones."""

    LICENSE = "license", _("营业执照")
    FINANCIALS = "financials", _("财务报表")
    CREDIT_REPORT = "credit_report", _("征信报告")
    IDENTITY = "identity", _("身份证明")
    INCOME = "income", _("收入证明")
    COLLATERAL = "collateral", _("抵质押物权证")
    OTHER = "other", _("其他资料")


class ProductKind(models.TextChoices):
    PERSONAL = "personal", _("个人贷款")
    CONSUMER = "consumer", _("个人消费贷款")
    OPERATING = "operating", _("个人经营贷款")
    CORPORATE = "corporate", _("公司贷款")


#: the six due-diligence items of the seed's 尽职调查承诺书 (seed 001:15), in its order
DEFAULT_CHECKLIST = [
    "客户提供资料的真实性、完整性、有效性",
    "客户的资信及品行",
    "客户及其担保人的资产、生产经营状况和市场前景",
    "客户的担保能力",
    "客户收入的真实性及还款来源",
    "贷款风险及综合效益",
]


def default_checklist():
    return list(DEFAULT_CHECKLIST)


def default_materials():
    return [MaterialKind.IDENTITY.value, MaterialKind.CREDIT_REPORT.value]


class CreditProduct(models.Model):
    """A credit product and its rules: limits, the large-loan threshold (two investigators, seed
    001:1153), the materials and checklist it requires, the review SLA in working days (seed 001:73,
    "3-5个工作日") and the post-loan check schedule."""

    code = models.CharField(_("产品代码"), max_length=30, unique=True)
    name = models.CharField(_("产品名称"), max_length=100)
    kind = models.CharField(_("产品类型"), max_length=12, choices=ProductKind.choices)
    min_amount = models.DecimalField(_("最低金额"), **MONEY)
    max_amount = models.DecimalField(_("最高金额"), **MONEY)
    min_term = models.PositiveSmallIntegerField(_("最短期限（月）"), default=1)
    max_term = models.PositiveSmallIntegerField(_("最长期限（月）"), default=36)
    large_threshold = models.DecimalField(
        _("大额贷款标准"), help_text=_("金额不低于此标准须两人以上调查并签署承诺书"), **MONEY
    )
    required_materials = models.JSONField(_("必备资料"), default=default_materials, blank=True)
    checklist = models.JSONField(_("尽职调查事项"), default=default_checklist)
    submit_sla_days = models.PositiveSmallIntegerField(
        _("报送审查时限（工作日）"),
        default=5,
        help_text=_("调查完成、资料齐全后，客户经理须在此工作日数内提交审查（行内规定 3-5 个工作日）"),
    )
    review_sla_days = models.PositiveSmallIntegerField(_("审查办结时限（工作日）"), default=5)
    exclude_supervisor_line = models.BooleanField(
        _("申请客户经理的上级不参与审批"),
        default=False,
        help_text=_("勾选后，申请客户经理的直接上级及其所在支行以内的团队长、行长均不能审批本产品的申请"),
    )
    first_check_days = models.PositiveSmallIntegerField(_("首次贷后检查（放款后天数）"), default=15)
    check_every_months = models.PositiveSmallIntegerField(_("贷后检查间隔（月）"), default=3)
    is_active = models.BooleanField(_("启用"), default=True)

    class Meta:
        verbose_name = _("信贷产品")
        verbose_name_plural = _("信贷产品")
        ordering = ["code"]

    def __str__(self):
        return self.name

    def required_material_labels(self):
        labels = dict(MaterialKind.choices)
        return [(k, labels.get(k, k)) for k in self.required_materials]


class AppStatus(models.TextChoices):
    DRAFT = "draft", _("草稿")
    INVESTIGATING = "investigating", _("调查中")
    IN_REVIEW = "in_review", _("审批中")
    RETURNED = "returned", _("退回补充调查")
    APPROVED = "approved", _("已批准")
    REJECTED = "rejected", _("已否决")
    WITHDRAWN = "withdrawn", _("已撤回")


#: statuses in which the investigators still work on the application
EDITABLE = (AppStatus.DRAFT, AppStatus.INVESTIGATING, AppStatus.RETURNED)


class Recommendation(models.TextChoices):
    APPROVE = "approve", _("建议同意")
    REJECT = "reject", _("建议否决")


class CreditApplication(models.Model):
    """A credit application by the customer's RM (SPEC §6): the investigators' checklist, materials,
    recommendation and pledges, then the review chain (审查 → 审核 → 审批)."""

    customer = models.ForeignKey(
        "customers.Customer", verbose_name=_("借款人"), on_delete=models.PROTECT, related_name="credit_applications"
    )
    product = models.ForeignKey(CreditProduct, verbose_name=_("信贷产品"), on_delete=models.PROTECT)
    amount = models.DecimalField(_("申请金额"), **MONEY)
    term_months = models.PositiveSmallIntegerField(_("期限（月）"))
    purpose = models.CharField(_("借款用途"), max_length=200)
    repayment_source = models.CharField(_("还款来源"), max_length=200, blank=True)
    collateral = models.CharField(_("担保方式及抵质押物"), max_length=200, blank=True)
    status = models.CharField(_("状态"), max_length=14, choices=AppStatus.choices, default=AppStatus.DRAFT)
    rm = models.ForeignKey(USER, verbose_name=_("申请客户经理"), on_delete=models.PROTECT, related_name="+")
    investigators = models.ManyToManyField(USER, verbose_name=_("调查人"), related_name="credit_investigations")
    recommendation = models.CharField(_("调查结论"), max_length=8, choices=Recommendation.choices, blank=True)
    recommendation_reasons = models.TextField(_("调查意见"), blank=True)
    recommended_by = models.ForeignKey(
        USER, verbose_name=_("建议人"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    recommended_at = models.DateTimeField(_("建议时间"), null=True, blank=True)
    #: when the application first met every submission rule in this round (the submission SLA's start)
    completed_at = models.DateTimeField(_("调查完成时间"), null=True, blank=True)
    submit_due_on = models.DateField(_("报送审查时限"), null=True, blank=True)
    submitted_at = models.DateTimeField(_("提交时间"), null=True, blank=True)
    review_due_on = models.DateField(_("审查时限"), null=True, blank=True)
    decided_at = models.DateTimeField(_("审批完成时间"), null=True, blank=True)
    approval = models.ForeignKey(
        "core.ApprovalRequest",
        verbose_name=_("审批申请"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    org_path = models.CharField(max_length=255, editable=False)
    created_at = models.DateTimeField(_("创建时间"), default=timezone.now)
    version = models.PositiveIntegerField(_("版本"), default=1)

    class Meta:
        verbose_name = _("授信申请")
        verbose_name_plural = _("授信申请")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["org_path"], name="credit_app_path_idx", **PATH_IDX),
            models.Index(fields=["rm", "status"], name="credit_app_rm_idx"),
        ]

    def __str__(self):
        return f"#{self.pk}"

    @property
    def is_large(self) -> bool:
        return self.amount >= self.product.large_threshold

    @property
    def is_editable(self) -> bool:
        return self.status in EDITABLE


class InvestigationVisit(models.Model):
    """An investigation visit (调查走访) of an application: an interaction of the work app (上门拜访,
    网点面谈, 特殊访问) with the borrower or a guarantor, linked to the application by an investigator."""

    application = models.ForeignKey(
        CreditApplication, verbose_name=_("授信申请"), on_delete=models.CASCADE, related_name="visits"
    )
    interaction = models.ForeignKey(
        "work.Interaction", verbose_name=_("服务记录"), on_delete=models.PROTECT, related_name="credit_visits"
    )
    linked_by = models.ForeignKey(USER, verbose_name=_("关联人"), on_delete=models.PROTECT, related_name="+")
    linked_at = models.DateTimeField(_("关联时间"), default=timezone.now)

    class Meta:
        verbose_name = _("调查走访")
        verbose_name_plural = _("调查走访")
        ordering = ["application", "linked_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["application", "interaction"], name="credit_visit_once"),
        ]

    def __str__(self):
        return f"{self.application_id}/{self.interaction_id}"


class Guarantor(models.Model):
    """A guarantor, linked to their own archive when they are a customer (SPEC §6)."""

    application = models.ForeignKey(
        CreditApplication, verbose_name=_("授信申请"), on_delete=models.CASCADE, related_name="guarantors"
    )
    customer = models.ForeignKey(
        "customers.Customer",
        verbose_name=_("担保人档案"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    name = models.CharField(_("担保人"), max_length=120)
    relation = models.CharField(_("与借款人关系"), max_length=60, blank=True)
    amount = models.DecimalField(_("担保金额"), **MONEY)

    class Meta:
        verbose_name = _("担保人")
        verbose_name_plural = _("担保人")

    def __str__(self):
        return self.name


def material_path(instance, filename):
    return f"credit/{instance.application_id}/{filename}"


class Material(models.Model):
    """An attached document (营业执照, 财务报表, 征信报告…), served only through the application's scope."""

    application = models.ForeignKey(
        CreditApplication, verbose_name=_("授信申请"), on_delete=models.CASCADE, related_name="materials"
    )
    kind = models.CharField(_("资料类型"), max_length=14, choices=MaterialKind.choices)
    file = models.FileField(_("文件"), upload_to=material_path)
    name = models.CharField(_("文件名"), max_length=200)
    uploaded_by = models.ForeignKey(USER, verbose_name=_("上传人"), on_delete=models.PROTECT, related_name="+")
    uploaded_at = models.DateTimeField(_("上传时间"), default=timezone.now)

    class Meta:
        verbose_name = _("申请资料")
        verbose_name_plural = _("申请资料")
        ordering = ["kind", "id"]

    def __str__(self):
        return self.name


class ChecklistEntry(models.Model):
    """One due-diligence item of an application: the finding, the conclusion and the evidence."""

    application = models.ForeignKey(
        CreditApplication, verbose_name=_("授信申请"), on_delete=models.CASCADE, related_name="checklist"
    )
    order = models.PositiveSmallIntegerField(_("序号"))
    item = models.CharField(_("调查事项"), max_length=200)
    finding = models.TextField(_("调查情况"), blank=True)
    conclusion = models.CharField(_("调查结论"), max_length=200, blank=True)
    evidence = models.ManyToManyField(Material, verbose_name=_("证明材料"), blank=True, related_name="+")
    recorded_by = models.ForeignKey(
        USER, verbose_name=_("记录人"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(_("记录时间"), null=True, blank=True)
    version = models.PositiveIntegerField(_("版本"), default=1)

    class Meta:
        verbose_name = _("尽职调查事项")
        verbose_name_plural = _("尽职调查事项")
        ordering = ["application", "order"]
        constraints = [models.UniqueConstraint(fields=["application", "order"], name="credit_checklist_order")]

    def __str__(self):
        return f"{self.order}. {self.item}"

    @property
    def is_complete(self) -> bool:
        return bool(self.finding.strip() and self.conclusion.strip())


class ImmutableRecord(PermissionError):
    """A signed pledge never changes (SPEC §6: "stored so the text cannot change afterwards")."""


class PledgeQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise ImmutableRecord("signed pledges are immutable")

    def delete(self):
        raise ImmutableRecord("signed pledges are immutable")


class Pledge(models.Model):
    """An investigator's signed 尽职调查承诺书: who, when, the exact text and its SHA-256.

    Insert-only: `save()` of an existing row and `delete()` raise `ImmutableRecord`, and the queryset
    `update()` is refused too, so the stored text always matches its hash."""

    application = models.ForeignKey(
        CreditApplication, verbose_name=_("授信申请"), on_delete=models.PROTECT, related_name="pledges"
    )
    signer = models.ForeignKey(USER, verbose_name=_("承诺人"), on_delete=models.PROTECT, related_name="+")
    signed_at = models.DateTimeField(_("签署时间"), default=timezone.now)
    text = models.TextField(_("承诺书全文"))
    sha256 = models.CharField(_("SHA-256"), max_length=64)

    objects = PledgeQuerySet.as_manager()

    class Meta:
        verbose_name = _("尽职调查承诺书")
        verbose_name_plural = _("尽职调查承诺书")
        ordering = ["signed_at", "id"]
        constraints = [models.UniqueConstraint(fields=["application", "signer"], name="credit_pledge_once")]

    def __str__(self):
        return f"{self.application_id}/{self.signer_id}"

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


class Classification(models.TextChoices):
    """贷款风险分类, the five categories (seed 001:1155)."""

    NORMAL = "normal", _("正常")
    SPECIAL = "special", _("关注")
    SUBSTANDARD = "substandard", _("次级")
    DOUBTFUL = "doubtful", _("可疑")
    LOSS = "loss", _("损失")


class Loan(models.Model):
    """An approved application's loan as recorded in the loan system (CMS 借据号): the RM records the
    reference, never posts ledger entries (审贷分离, seed 001:1153)."""

    application = models.OneToOneField(
        CreditApplication, verbose_name=_("授信申请"), on_delete=models.PROTECT, related_name="loan"
    )
    customer = models.ForeignKey(
        "customers.Customer", verbose_name=_("借款人"), on_delete=models.PROTECT, related_name="credit_loans"
    )
    rm = models.ForeignKey(USER, verbose_name=_("管户客户经理"), on_delete=models.PROTECT, related_name="+")
    cms_ref = models.CharField(_("借据号（CMS）"), max_length=40, unique=True)
    amount = models.DecimalField(_("放款金额"), **MONEY)
    start_on = models.DateField(_("放款日"))
    end_on = models.DateField(_("到期日"))
    rate = models.DecimalField(_("年利率（%）"), max_digits=6, decimal_places=3)
    classification = models.CharField(
        _("五级分类"), max_length=12, choices=Classification.choices, default=Classification.NORMAL
    )
    org_path = models.CharField(max_length=255, editable=False)
    recorded_by = models.ForeignKey(USER, verbose_name=_("录入人"), on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(_("录入时间"), default=timezone.now)
    version = models.PositiveIntegerField(_("版本"), default=1)

    class Meta:
        verbose_name = _("贷款")
        verbose_name_plural = _("贷款")
        ordering = ["-start_on", "-id"]
        indexes = [models.Index(fields=["org_path"], name="credit_loan_path_idx", **PATH_IDX)]

    def __str__(self):
        return self.cms_ref


class ClassificationChange(models.Model):
    """The history of a loan's five-category classification."""

    loan = models.ForeignKey(Loan, verbose_name=_("贷款"), on_delete=models.CASCADE, related_name="classifications")
    before = models.CharField(_("原分类"), max_length=12, choices=Classification.choices, blank=True)
    after = models.CharField(_("新分类"), max_length=12, choices=Classification.choices)
    reason = models.CharField(_("理由"), max_length=200, blank=True)
    by = models.ForeignKey(USER, verbose_name=_("认定人"), on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(_("认定时间"), default=timezone.now)

    class Meta:
        verbose_name = _("五级分类记录")
        verbose_name_plural = _("五级分类记录")
        ordering = ["loan", "at", "id"]


class PostLoanCheck(models.Model):
    """One scheduled post-loan check (贷后检查): due date, when done, findings, by whom."""

    loan = models.ForeignKey(Loan, verbose_name=_("贷款"), on_delete=models.CASCADE, related_name="checks")
    seq = models.PositiveSmallIntegerField(_("期次"))
    due_on = models.DateField(_("应检查日期"))
    done_at = models.DateTimeField(_("完成时间"), null=True, blank=True)
    findings = models.TextField(_("检查情况"), blank=True)
    by = models.ForeignKey(
        USER, verbose_name=_("检查人"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    version = models.PositiveIntegerField(_("版本"), default=1)

    class Meta:
        verbose_name = _("贷后检查")
        verbose_name_plural = _("贷后检查")
        ordering = ["due_on", "id"]
        constraints = [models.UniqueConstraint(fields=["loan", "seq"], name="credit_check_seq")]


class WarningCategory(models.TextChoices):
    """The seeds' five signal categories (seed 001:681) plus overdue and lawsuits entered by hand."""

    BANK = "bank", _("与商业银行有关的")
    FINANCIAL = "financial", _("财务报表反映的")
    PERSONNEL = "personnel", _("企业人事管理方面的")
    OPERATIONS = "operations", _("经营管理方面的")
    GUARANTEE = "guarantee", _("授信担保方面的")
    OVERDUE = "overdue", _("逾期")
    LAWSUIT = "lawsuit", _("涉诉")


class WarningLevel(models.TextChoices):
    BLUE = "blue", _("蓝色")
    YELLOW = "yellow", _("黄色")
    ORANGE = "orange", _("橙色")
    RED = "red", _("红色")


class WarningStatus(models.TextChoices):
    OPEN = "open", _("待处置")
    HANDLING = "handling", _("处置中")
    CLOSED = "closed", _("已解除")


class Warning(models.Model):
    """An early-warning signal on a customer (and loan): level, owner, actions taken (要求补充担保、
    调整还款计划…, seed 003:9) and how far it has been escalated up the org tree when not handled."""

    customer = models.ForeignKey(
        "customers.Customer", verbose_name=_("客户"), on_delete=models.PROTECT, related_name="credit_warnings"
    )
    loan = models.ForeignKey(
        Loan, verbose_name=_("贷款"), null=True, blank=True, on_delete=models.PROTECT, related_name="warnings"
    )
    category = models.CharField(_("预警类别"), max_length=12, choices=WarningCategory.choices)
    level = models.CharField(_("预警级别"), max_length=8, choices=WarningLevel.choices)
    title = models.CharField(_("预警信号"), max_length=200)
    detail = models.TextField(_("说明"), blank=True)
    status = models.CharField(_("状态"), max_length=10, choices=WarningStatus.choices, default=WarningStatus.OPEN)
    owner = models.ForeignKey(USER, verbose_name=_("责任人"), on_delete=models.PROTECT, related_name="+")
    actions = models.TextField(_("处置措施"), blank=True)
    auto = models.BooleanField(_("系统生成"), default=False)
    dedupe_key = models.CharField(max_length=80, blank=True, db_index=True)
    escalation_level = models.PositiveSmallIntegerField(_("上报层级"), default=0)
    escalated_unit = models.ForeignKey(
        "org.OrgUnit", verbose_name=_("已上报至"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    escalated_at = models.DateTimeField(_("最近上报时间"), null=True, blank=True)
    raised_at = models.DateTimeField(_("预警时间"), default=timezone.now)
    handled_at = models.DateTimeField(_("处置时间"), null=True, blank=True)
    org_path = models.CharField(max_length=255, editable=False)
    version = models.PositiveIntegerField(_("版本"), default=1)

    class Meta:
        verbose_name = _("风险预警")
        verbose_name_plural = _("风险预警")
        ordering = ["-raised_at", "-id"]
        indexes = [models.Index(fields=["org_path"], name="credit_warn_path_idx", **PATH_IDX)]

    def __str__(self):
        return self.title


class RatingGrade(models.TextChoices):
    AAA = "AAA", "AAA"
    AA = "AA", "AA"
    A = "A", "A"
    BBB = "BBB", "BBB"
    BB = "BB", "BB"
    B = "B", "B"
    C = "C", "C"


class CreditRating(models.Model):
    """A customer's annual credit rating (信用等级) and credit line (授信额度), seed 001:1155; every rating
    is kept, the latest of a year being the current one (history)."""

    customer = models.ForeignKey(
        "customers.Customer", verbose_name=_("客户"), on_delete=models.PROTECT, related_name="credit_ratings"
    )
    year = models.PositiveSmallIntegerField(_("评级年度"))
    grade = models.CharField(_("信用等级"), max_length=3, choices=RatingGrade.choices)
    credit_line = models.DecimalField(_("授信额度"), **MONEY)
    note = models.CharField(_("评级说明"), max_length=200, blank=True)
    rated_by = models.ForeignKey(USER, verbose_name=_("评级人"), on_delete=models.PROTECT, related_name="+")
    rated_at = models.DateTimeField(_("评级时间"), default=timezone.now)
    org_path = models.CharField(max_length=255, editable=False)

    class Meta:
        verbose_name = _("信用评级")
        verbose_name_plural = _("信用评级")
        ordering = ["-year", "-rated_at", "-id"]
        indexes = [models.Index(fields=["org_path"], name="credit_rating_path_idx", **PATH_IDX)]

    def __str__(self):
        return f"{self.year} {self.grade}"
