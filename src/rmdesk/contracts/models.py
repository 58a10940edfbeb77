"""Data of the contracts app (SPEC §7 合同管理): templates per kind, contracts drafted from them with the
seven required key terms, their versions (the signed one frozen with the SHA-256 of its text), custody
copies acknowledged by the custodians, borrowings (调阅), the payment schedule with payments, write-offs
and follow-up notes (帐款跟催), and the policy (expiry window, bad-debt target).

Scope: a contract carries `org_path`, a copy of its customer's unit path at drafting, so the subtree
managers and read-only overseers find it with one indexed prefix scan; custodians are data
(`CustodianAssignment`: a user keeps one kind of copy for a unit's subtree), not a role (scope.py).
"""

import hashlib

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

USER = settings.AUTH_USER_MODEL
PATH_IDX = {"opclasses": ["varchar_pattern_ops"]}
MONEY = {"max_digits": 18, "decimal_places": 2}
PERCENT = [MinValueValidator(0), MaxValueValidator(100)]


class ContractKind(models.TextChoices):
    SERVICE = "service", _("服务协议")
    SALES = "sales", _("销售合同")
    CREDIT = "credit", _("借款合同")
    PAYROLL = "payroll", _("代发工资协议")
    FRAMEWORK = "framework", _("重点客户合作框架协议")


#: the key terms every contract states (seed 004:78: 标的, 数量, 价格, 履行期限, 地点和方式, 违约责任, 解决争议)
KEY_TERMS = (
    ("subject", _("标的")),
    ("quantity", _("数量")),
    ("price", _("价格")),
    ("term", _("履行期限")),
    ("place_method", _("地点和方式")),
    ("liability", _("违约责任")),
    ("disputes", _("争议解决")),
)
KEY_TERM_FIELDS = tuple(name for name, _label in KEY_TERMS)


class ContractTemplate(models.Model):
    """A contract text per kind, versioned: an administrator's edit saves a new version and retires the
    old one (contracts keep the version they were drafted from). Placeholders such as {客户名称} are
    filled from the customer archive and the deal (services.PLACEHOLDERS)."""

    kind = models.CharField(_("合同类型"), max_length=12, choices=ContractKind.choices)
    name = models.CharField(_("模板名称"), max_length=100)
    version = models.PositiveIntegerField(_("模板版本"), default=1)
    body = models.TextField(_("模板正文"))
    is_active = models.BooleanField(_("当前使用"), default=True)
    created_by = models.ForeignKey(
        USER, verbose_name=_("编辑人"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("编辑时间"), default=timezone.now)

    class Meta:
        verbose_name = _("合同模板")
        verbose_name_plural = _("合同模板")
        ordering = ["kind", "-version"]
        constraints = [models.UniqueConstraint(fields=["kind", "version"], name="contracts_template_version")]

    def __str__(self):
        return f"{self.name} v{self.version}"


class ContractStatus(models.TextChoices):
    DRAFT = "draft", _("起草中")
    IN_REVIEW = "in_review", _("审批中")
    RETURNED = "returned", _("退回修改")
    APPROVED = "approved", _("已批准待签署")
    REJECTED = "rejected", _("已否决")
    SIGNED = "signed", _("已签署")


#: statuses in which the drafter still edits the key terms
EDITABLE = (ContractStatus.DRAFT, ContractStatus.RETURNED)


class Renewal(models.TextChoices):
    RENEW = "renew", _("续签")
    NOT_RENEW = "not_renew", _("不续签")


class Contract(models.Model):
    """A contract with a customer (SPEC §7): drafted from a template by the customer's RM, reviewed and
    approved through the kernel chain of its kind, signed (the signed version frozen), kept by the
    custodians, and followed up until paid (payment schedule) and renewed or not."""

    number = models.CharField(_("合同编号"), max_length=30, unique=True, null=True, blank=True)
    customer = models.ForeignKey(
        "customers.Customer", verbose_name=_("客户"), on_delete=models.PROTECT, related_name="contracts"
    )
    kind = models.CharField(_("合同类型"), max_length=12, choices=ContractKind.choices)
    template = models.ForeignKey(
        ContractTemplate, verbose_name=_("合同模板"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    title = models.CharField(_("合同名称"), max_length=200)
    party_a = models.CharField(_("甲方"), max_length=120)
    party_b = models.CharField(_("乙方"), max_length=120)
    amount = models.DecimalField(_("合同金额"), **MONEY)
    start_on = models.DateField(_("开始日期"))
    end_on = models.DateField(_("结束日期"))
    rm = models.ForeignKey(USER, verbose_name=_("经办客户经理"), on_delete=models.PROTECT, related_name="+")
    credit_application = models.ForeignKey(
        "credit.CreditApplication",
        verbose_name=_("关联授信申请"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    opportunity = models.ForeignKey(
        "sales.Opportunity",
        verbose_name=_("关联商机"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    original = models.ForeignKey(
        "self",
        verbose_name=_("原合同"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="amendments",
    )
    status = models.CharField(_("状态"), max_length=10, choices=ContractStatus.choices, default=ContractStatus.DRAFT)
    approval = models.ForeignKey(
        "core.ApprovalRequest",
        verbose_name=_("审批申请"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    submitted_at = models.DateTimeField(_("提交时间"), null=True, blank=True)
    approved_at = models.DateTimeField(_("批准时间"), null=True, blank=True)
    signed_on = models.DateField(_("签署日期"), null=True, blank=True)
    signatories = models.CharField(_("签署人"), max_length=200, blank=True)
    signed_scan = models.FileField(_("签署扫描件"), upload_to="contracts/scans/", blank=True)
    renewal = models.CharField(_("续签决定"), max_length=10, choices=Renewal.choices, blank=True)
    renewal_reason = models.CharField(_("不续签原因"), max_length=200, blank=True)
    renewal_decided_at = models.DateTimeField(_("续签决定时间"), null=True, blank=True)
    org_path = models.CharField(max_length=255, editable=False)
    created_at = models.DateTimeField(_("创建时间"), default=timezone.now)
    version = models.PositiveIntegerField(_("版本"), default=1)

    class Meta:
        verbose_name = _("合同")
        verbose_name_plural = _("合同")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["org_path"], name="contracts_path_idx", **PATH_IDX),
            models.Index(fields=["rm", "status"], name="contracts_rm_idx"),
            models.Index(fields=["status", "end_on"], name="contracts_end_idx"),
        ]

    def __str__(self):
        return self.number or f"#{self.pk}"

    @property
    def is_editable(self) -> bool:
        return self.status in EDITABLE

    def latest_version(self):
        return self.versions.order_by("-number").first()


class FrozenVersion(PermissionError):
    """A signed version never changes (SPEC §7: the signed text is frozen, its hash recorded)."""


class ContractVersion(models.Model):
    """One version of a contract's key terms and text. Drafts are edited in place until submitted; after a
    return the next edit starts a new version (so the reviewer sees the diff). Signing freezes the last
    one: its full text and SHA-256 are recorded and `save()` refuses any later change."""

    contract = models.ForeignKey(Contract, verbose_name=_("合同"), on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveSmallIntegerField(_("版本号"))
    subject = models.TextField(_("标的"), blank=True)
    quantity = models.CharField(_("数量"), max_length=200, blank=True)
    price = models.CharField(_("价格"), max_length=200, blank=True)
    term = models.CharField(_("履行期限"), max_length=200, blank=True)
    place_method = models.CharField(_("地点和方式"), max_length=200, blank=True)
    liability = models.TextField(_("违约责任"), blank=True)
    disputes = models.TextField(_("争议解决"), blank=True)
    text = models.TextField(_("合同文本"), blank=True)
    based_on = models.ForeignKey(
        "self", verbose_name=_("基于版本"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_by = models.ForeignKey(USER, verbose_name=_("起草人"), on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(_("创建时间"), default=timezone.now)
    submitted_at = models.DateTimeField(_("提交时间"), null=True, blank=True)
    sha256 = models.CharField(_("SHA-256"), max_length=64, blank=True)
    frozen_at = models.DateTimeField(_("冻结时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("合同版本")
        verbose_name_plural = _("合同版本")
        ordering = ["contract", "number"]
        constraints = [models.UniqueConstraint(fields=["contract", "number"], name="contracts_version_number")]

    def __str__(self):
        return f"v{self.number}"

    def save(self, *args, **kwargs):
        if self.pk is not None and type(self).objects.filter(pk=self.pk, frozen_at__isnull=False).exists():
            raise FrozenVersion("a signed contract version is frozen")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        if self.frozen_at is not None:
            raise FrozenVersion("a signed contract version is frozen")
        return super().delete(*args, **kwargs)

    @staticmethod
    def digest(text: str) -> str:
        return hashlib.sha256(text.encode("utf-8")).hexdigest()

    @property
    def intact(self) -> bool:
        return bool(self.sha256) and self.digest(self.text) == self.sha256

    def terms(self) -> dict:
        return {name: getattr(self, name) for name in KEY_TERM_FIELDS}


def attachment_path(instance, filename):
    return f"contracts/{instance.contract_id}/{filename}"


class ContractAttachment(models.Model):
    """A document attached to a contract, served only through the contract's scope."""

    contract = models.ForeignKey(Contract, verbose_name=_("合同"), on_delete=models.CASCADE, related_name="attachments")
    file = models.FileField(_("文件"), upload_to=attachment_path)
    name = models.CharField(_("文件名"), max_length=200)
    uploaded_by = models.ForeignKey(USER, verbose_name=_("上传人"), on_delete=models.PROTECT, related_name="+")
    uploaded_at = models.DateTimeField(_("上传时间"), default=timezone.now)

    class Meta:
        verbose_name = _("合同附件")
        verbose_name_plural = _("合同附件")
        ordering = ["id"]

    def __str__(self):
        return self.name


class CustodyRole(models.Model):
    """Who keeps a copy of every signed contract (seed 004:80: 综合办, 财务部, 政企部门合同管理员);
    seeded, editable: a role that is not active gets no copy."""

    name = models.CharField(_("保管部门"), max_length=60, unique=True)
    order = models.PositiveSmallIntegerField(_("顺序"), default=1)
    is_active = models.BooleanField(_("启用"), default=True)

    class Meta:
        verbose_name = _("合同保管部门")
        verbose_name_plural = _("合同保管部门")
        ordering = ["order", "id"]

    def __str__(self):
        return self.name


class CustodianAssignment(models.Model):
    """A person keeps one custody role's copies for a unit's subtree (custodianship is data, not a role)."""

    role = models.ForeignKey(CustodyRole, verbose_name=_("保管部门"), on_delete=models.CASCADE, related_name="+")
    unit = models.ForeignKey("org.OrgUnit", verbose_name=_("保管机构"), on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey(USER, verbose_name=_("保管人"), on_delete=models.CASCADE, related_name="+")

    class Meta:
        verbose_name = _("合同保管人")
        verbose_name_plural = _("合同保管人")
        ordering = ["role", "unit", "user"]
        constraints = [models.UniqueConstraint(fields=["role", "unit", "user"], name="contracts_custodian_once")]

    def __str__(self):
        return f"{self.role} / {self.user_id}"


class CustodyCopy(models.Model):
    """One custody role's copy of a signed contract: delivered at signing, acknowledged by a custodian of
    that role, filed at an archive location."""

    contract = models.ForeignKey(Contract, verbose_name=_("合同"), on_delete=models.CASCADE, related_name="copies")
    role = models.ForeignKey(CustodyRole, verbose_name=_("保管部门"), on_delete=models.PROTECT, related_name="+")
    delivered_at = models.DateTimeField(_("送达时间"), default=timezone.now)
    acknowledged_by = models.ForeignKey(
        USER, verbose_name=_("签收人"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    acknowledged_at = models.DateTimeField(_("签收时间"), null=True, blank=True)
    location = models.CharField(_("归档位置"), max_length=120, blank=True)

    class Meta:
        verbose_name = _("合同保管副本")
        verbose_name_plural = _("合同保管副本")
        ordering = ["contract", "role__order", "id"]
        constraints = [models.UniqueConstraint(fields=["contract", "role"], name="contracts_copy_once")]

    def __str__(self):
        return f"{self.contract_id}/{self.role_id}"


class BorrowStatus(models.TextChoices):
    REQUESTED = "requested", _("待保管人审批")
    APPROVED = "approved", _("已同意待借出")
    REJECTED = "rejected", _("已拒绝")
    LENT = "lent", _("已借出")
    RETURNED = "returned", _("已归还")


class Borrowing(models.Model):
    """调阅: a request with purpose and due date, approved by a custodian of the copy (seed 004:81–82),
    the hand-out and the return."""

    contract = models.ForeignKey(Contract, verbose_name=_("合同"), on_delete=models.PROTECT, related_name="borrowings")
    copy = models.ForeignKey(CustodyCopy, verbose_name=_("调阅副本"), on_delete=models.PROTECT, related_name="+")
    borrower = models.ForeignKey(USER, verbose_name=_("调阅人"), on_delete=models.PROTECT, related_name="+")
    purpose = models.CharField(_("调阅用途"), max_length=200)
    due_on = models.DateField(_("应归还日期"))
    status = models.CharField(_("状态"), max_length=10, choices=BorrowStatus.choices, default=BorrowStatus.REQUESTED)
    requested_at = models.DateTimeField(_("申请时间"), default=timezone.now)
    decided_by = models.ForeignKey(
        USER, verbose_name=_("审批保管人"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(_("审批时间"), null=True, blank=True)
    decision_note = models.CharField(_("审批意见"), max_length=200, blank=True)
    lent_by = models.ForeignKey(
        USER, verbose_name=_("借出经办"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    lent_at = models.DateTimeField(_("借出时间"), null=True, blank=True)
    received_by = models.ForeignKey(
        USER, verbose_name=_("归还接收人"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    returned_at = models.DateTimeField(_("归还时间"), null=True, blank=True)
    version = models.PositiveIntegerField(_("版本"), default=1)

    class Meta:
        verbose_name = _("合同调阅")
        verbose_name_plural = _("合同调阅")
        ordering = ["-requested_at", "-id"]
        indexes = [models.Index(fields=["status", "due_on"], name="contracts_borrow_due_idx")]

    def __str__(self):
        return f"{self.contract_id}/{self.pk}"


class Installment(models.Model):
    """One line of a contract's payment schedule (应收): due date, amount, what was received and what was
    written off as bad debt (坏帐)."""

    contract = models.ForeignKey(
        Contract, verbose_name=_("合同"), on_delete=models.CASCADE, related_name="installments"
    )
    seq = models.PositiveSmallIntegerField(_("期次"))
    due_on = models.DateField(_("应收日期"))
    amount = models.DecimalField(_("应收金额"), **MONEY)
    paid = models.DecimalField(_("已收金额"), default=0, **MONEY)
    written_off = models.DecimalField(_("核销坏帐"), default=0, **MONEY)
    write_off_reason = models.CharField(_("核销原因"), max_length=200, blank=True)
    version = models.PositiveIntegerField(_("版本"), default=1)

    class Meta:
        verbose_name = _("应收计划")
        verbose_name_plural = _("应收计划")
        ordering = ["contract", "seq"]
        constraints = [models.UniqueConstraint(fields=["contract", "seq"], name="contracts_installment_seq")]

    def __str__(self):
        return f"{self.contract_id}/{self.seq}"

    @property
    def outstanding(self):
        return self.amount - self.paid - self.written_off


class Payment(models.Model):
    """Money received against one installment (never above its outstanding amount)."""

    installment = models.ForeignKey(
        Installment, verbose_name=_("应收计划"), on_delete=models.PROTECT, related_name="payments"
    )
    contract = models.ForeignKey(Contract, verbose_name=_("合同"), on_delete=models.PROTECT, related_name="payments")
    amount = models.DecimalField(_("回款金额"), **MONEY)
    paid_on = models.DateField(_("回款日期"))
    note = models.CharField(_("备注"), max_length=200, blank=True)
    recorded_by = models.ForeignKey(USER, verbose_name=_("登记人"), on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(_("登记时间"), default=timezone.now)

    class Meta:
        verbose_name = _("回款")
        verbose_name_plural = _("回款")
        ordering = ["paid_on", "id"]

    def __str__(self):
        return f"{self.installment_id}: {self.amount}"


class FollowUp(models.Model):
    """A note on chasing an overdue receivable (帐款跟催, seed 001:487)."""

    installment = models.ForeignKey(
        Installment, verbose_name=_("应收计划"), on_delete=models.CASCADE, related_name="follow_ups"
    )
    note = models.CharField(_("跟催情况"), max_length=500)
    next_on = models.DateField(_("下次跟催日期"), null=True, blank=True)
    by = models.ForeignKey(USER, verbose_name=_("跟催人"), on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(_("记录时间"), default=timezone.now)

    class Meta:
        verbose_name = _("帐款跟催")
        verbose_name_plural = _("帐款跟催")
        ordering = ["-at", "-id"]


class ContractPolicy(models.Model):
    """The organisation's settings (one row, seeded): how many days before the end a contract is listed
    and its RM reminded about renewal; the bad-debt target (e.g. below 2 %, seed 002:241). The row's natural
    key `code` ("default") lets an industry pack set it (contracts/packs.py)."""

    code = models.CharField(_("代码"), max_length=30, unique=True, default="default", db_default="default")
    expiry_window_days = models.PositiveSmallIntegerField(
        _("到期提醒窗口（天）"), default=30, validators=[MinValueValidator(1), MaxValueValidator(365)]
    )
    bad_debt_target = models.DecimalField(
        _("坏帐率目标上限（%）"), max_digits=5, decimal_places=2, default=2, validators=PERCENT
    )
    collection_target = models.DecimalField(
        _("回款率目标（%）"), max_digits=5, decimal_places=2, default=98, validators=PERCENT
    )

    class Meta:
        verbose_name = _("合同管理参数")
        verbose_name_plural = _("合同管理参数")

    def __str__(self):
        return str(self._meta.verbose_name)

    @classmethod
    def current(cls) -> "ContractPolicy":
        return cls.objects.order_by("id").first() or cls()
