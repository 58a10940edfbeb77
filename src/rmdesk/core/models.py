"""Models of the kernel (docs/decisions.md 9, 10): the audit trail (SPEC §8), approval chains and
their requests (SPEC §1 maker-checker, §6 审查→审核→审批, §7, §8, §9), the notification centre (§3)
and the business calendar's overrides (§3).

The audit trail, approval requests, notifications and calendar overrides moved here from the org and
work apps; they keep their tables (`db_table`), so no row moved.
"""

import hashlib
import hmac
import json

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .roles import RoleCode


class AuditEvent(models.Model):
    """One business event in the append-only, hash-chained audit trail (SPEC §8).

    hash = HMAC-SHA256(key, prev_hash + canonical JSON of the row's content), the key kept outside the
    database (issue 17; rows written before the key existed keep alg "sha256", a plain SHA-256).
    Altering or deleting a row breaks the chain at that point; `manage.py verify_audit` finds the
    first broken link, and signed checkpoints outside the database catch a truncated or re-hashed
    chain (rmdesk.core.audit).
    """

    at = models.DateTimeField(default=timezone.now, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="+",
    )
    actor_name = models.CharField(max_length=150, blank=True)
    action = models.CharField(max_length=60, db_index=True)
    object_type = models.CharField(max_length=60, blank=True)
    object_id = models.CharField(max_length=64, blank=True)
    summary = models.JSONField(default=dict, blank=True)
    ip = models.GenericIPAddressField(null=True, blank=True)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64, unique=True)
    # rows written by code that predates the keyed chain (during a rolling upgrade) are plain SHA-256
    alg = models.CharField(max_length=12, default="hmac-sha256", db_default="sha256")

    class Meta:
        db_table = "org_auditevent"  # moved from the org app with its rows (docs/decisions.md 10)
        verbose_name = _("审计事件")
        verbose_name_plural = _("审计事件")
        indexes = [
            models.Index(fields=["object_type", "object_id"]),
            models.Index(fields=["actor", "at"]),
        ]

    def save(self, *args, **kwargs):
        if self.pk is not None and not kwargs.pop("_allow_update", False):
            raise PermissionError("audit events are append-only")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise PermissionError("audit events are append-only")

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

    def compute_hash(self, key: bytes | None = None) -> str:
        body = json.dumps(self.content(), sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)
        if self.alg == "sha256":
            return hashlib.sha256((self.prev_hash + body).encode()).hexdigest()
        if key is None:
            from .audit import audit_key

            key = audit_key()
        return hmac.new(key, (self.prev_hash + body).encode(), hashlib.sha256).hexdigest()


class AuditPending(models.Model):
    """A read event (view, reveal, export) written without the chain's lock, in the request's own
    transaction; `seal_audit` moves it into the chain within seconds (issue 18, rmdesk.core.audit).

    `mac` = HMAC of the row's content with the audit key, so a row altered before sealing is flagged.
    """

    at = models.DateTimeField(default=timezone.now)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="+",
    )
    actor_name = models.CharField(max_length=150, blank=True)
    action = models.CharField(max_length=60)
    object_type = models.CharField(max_length=60, blank=True)
    object_id = models.CharField(max_length=64, blank=True)
    summary = models.JSONField(default=dict, blank=True)
    ip = models.GenericIPAddressField(null=True, blank=True)
    mac = models.CharField(max_length=64)

    class Meta:
        verbose_name = _("待封存审计事件")
        verbose_name_plural = _("待封存审计事件")

    content = AuditEvent.content

    def compute_mac(self, key: bytes | None = None) -> str:
        if key is None:
            from .audit import audit_key

            key = audit_key()
        body = json.dumps(self.content(), sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)
        return hmac.new(key, body.encode(), hashlib.sha256).hexdigest()


class ApprovalStatus(models.TextChoices):
    PENDING = "pending", _("待审批")
    APPROVED = "approved", _("已批准")
    REJECTED = "rejected", _("已驳回")
    RETURNED = "returned", _("退回修改")
    CANCELLED = "cancelled", _("已撤回")


class StepDecider(models.TextChoices):
    """Who may decide a step: one role, or either of the supervising roles."""

    SUPERVISOR = "supervisor", _("团队长或分管行长")
    TEAM_LEAD = RoleCode.TEAM_LEAD.value, RoleCode.TEAM_LEAD.label
    BRANCH_MANAGER = RoleCode.BRANCH_MANAGER.value, RoleCode.BRANCH_MANAGER.label
    RISK = RoleCode.RISK.value, RoleCode.RISK.label
    COMPLIANCE = RoleCode.COMPLIANCE.value, RoleCode.COMPLIANCE.label
    ASSISTANT = RoleCode.ASSISTANT.value, RoleCode.ASSISTANT.label
    RM = RoleCode.RM.value, RoleCode.RM.label
    ANY = "any", _("不限角色（按用户组）")


class ApprovalChain(models.Model):
    """An ordered list of steps that decides one kind of request (SPEC §1, §6 审贷分离, §7, §8, §9).

    The chain for a request is the active chain of its kind whose amount band holds the request's
    amount (min ≤ amount < max; an empty bound is open), the lowest `priority` first. A kind with
    no chain is decided in one step by a team lead or branch manager covering the request's unit.
    """

    kind = models.CharField(_("业务类型"), max_length=50, db_index=True)
    name = models.CharField(_("名称"), max_length=100)
    min_amount = models.DecimalField(_("金额下限（含）"), max_digits=18, decimal_places=2, null=True, blank=True)
    max_amount = models.DecimalField(_("金额上限（不含）"), max_digits=18, decimal_places=2, null=True, blank=True)
    priority = models.PositiveSmallIntegerField(_("优先级"), default=100, help_text=_("数字小者优先"))
    is_active = models.BooleanField(_("启用"), default=True)

    class Meta:
        verbose_name = _("审批链")
        verbose_name_plural = _("审批链")
        ordering = ["kind", "priority", "id"]

    def __str__(self):
        return self.name


class ApprovalStep(models.Model):
    """One step of a chain: its name (审查, 审核, 审批…), who may decide it, and its time limit.

    `levels_up` places the decider in the org tree relative to the request's unit: 0 means anyone of
    the role whose scope covers the unit (the team lead of the team, the manager of the sub-branch…);
    1 or more means the decider's own unit lies at least that many levels above the request's unit.
    `group`, when set, also requires membership of that named group (e.g. 贷审会).
    """

    chain = models.ForeignKey(ApprovalChain, verbose_name=_("审批链"), on_delete=models.CASCADE, related_name="steps")
    order = models.PositiveSmallIntegerField(_("顺序"))
    name = models.CharField(_("步骤名称"), max_length=50)
    decider = models.CharField(
        _("审批角色"), max_length=20, choices=StepDecider.choices, default=StepDecider.SUPERVISOR
    )
    levels_up = models.PositiveSmallIntegerField(_("相对机构层级"), default=0)
    group = models.ForeignKey("auth.Group", verbose_name=_("用户组"), null=True, blank=True, on_delete=models.PROTECT)
    due_hours = models.PositiveIntegerField(_("办理时限（工作小时）"), default=8)

    class Meta:
        verbose_name = _("审批步骤")
        verbose_name_plural = _("审批步骤")
        ordering = ["chain", "order"]
        constraints = [models.UniqueConstraint(fields=["chain", "order"], name="approval_step_order_unique")]

    def __str__(self):
        return f"{self.order}. {self.name}"


class ApprovalRequest(models.Model):
    """A request decided through an approval chain: the maker asks, other people decide (SPEC §1).

    `kind` names the business action (e.g. "customers.assign"), `payload` carries its parameters
    and the owning app's handler carries the action out when the last step approves. `step_order`
    is the step waiting for a decision; `round` counts submissions (a return sends it back to the
    maker, a resubmission starts round + 1 at the first step).
    """

    kind = models.CharField(_("类型"), max_length=50, db_index=True)
    title = models.CharField(_("标题"), max_length=200)
    payload = models.JSONField(_("内容"), default=dict)
    unit = models.ForeignKey("org.OrgUnit", verbose_name=_("机构"), on_delete=models.PROTECT, null=True, blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("申请人"), on_delete=models.PROTECT, related_name="+"
    )
    requested_at = models.DateTimeField(_("申请时间"), default=timezone.now)
    reason = models.TextField(_("申请理由"), blank=True)
    status = models.CharField(_("状态"), max_length=10, choices=ApprovalStatus.choices, default=ApprovalStatus.PENDING)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("审批人"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    decided_at = models.DateTimeField(_("审批时间"), null=True, blank=True)
    comment = models.TextField(_("审批意见"), blank=True)
    chain = models.ForeignKey(ApprovalChain, verbose_name=_("审批链"), on_delete=models.PROTECT, null=True, blank=True)
    amount = models.DecimalField(_("金额"), max_digits=18, decimal_places=2, null=True, blank=True)
    step_order = models.PositiveSmallIntegerField(_("当前步骤"), default=1)
    step_due_at = models.DateTimeField(_("当前步骤时限"), null=True, blank=True)
    round = models.PositiveSmallIntegerField(_("提交轮次"), default=1)
    version = models.PositiveIntegerField(_("版本"), default=1)

    class Meta:
        db_table = "org_approvalrequest"  # moved from the org app with its rows (docs/decisions.md 10)
        verbose_name = _("审批申请")
        verbose_name_plural = _("审批申请")
        indexes = [models.Index(fields=["status", "unit"])]

    def __str__(self):
        # never the title: it may name a customer, and the administrator sees no customer data (decision 15)
        return f"#{self.pk}"


class DecisionKind(models.TextChoices):
    APPROVE = "approve", _("同意")
    REJECT = "reject", _("否决")
    RETURN = "return", _("退回修改")


class ApprovalDecision(models.Model):
    """One person's decision on one step: opinion, time and person (SPEC §1, §6)."""

    request = models.ForeignKey(
        ApprovalRequest, verbose_name=_("审批申请"), on_delete=models.CASCADE, related_name="decisions"
    )
    round = models.PositiveSmallIntegerField(_("提交轮次"), default=1)
    step_order = models.PositiveSmallIntegerField(_("步骤"))
    step_name = models.CharField(_("步骤名称"), max_length=50)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("审批人"), on_delete=models.PROTECT, related_name="+"
    )
    decision = models.CharField(_("结论"), max_length=10, choices=DecisionKind.choices)
    opinion = models.TextField(_("审批意见"), blank=True)
    decided_at = models.DateTimeField(_("审批时间"), default=timezone.now)

    class Meta:
        verbose_name = _("审批意见")
        verbose_name_plural = _("审批意见")
        ordering = ["request", "round", "step_order", "id"]
        constraints = [
            models.UniqueConstraint(fields=["request", "round", "step_order"], name="approval_one_decision_per_step"),
        ]


class CalendarOverride(models.Model):
    """An administrator's override of the business calendar for one day (SPEC §3 "Business calendar").

    The built-in calendar is China's public holidays and 调休 working days (package chinese-calendar);
    a row here wins over it: mark a bank-specific holiday, or a Saturday the bank works.
    """

    day = models.DateField(_("日期"), unique=True)
    is_working_day = models.BooleanField(_("是否工作日"))
    name = models.CharField(_("说明"), max_length=60, blank=True)

    class Meta:
        db_table = "work_calendaroverride"  # moved from the work app with its rows (docs/decisions.md 10)
        verbose_name = _("营业日历调整")
        verbose_name_plural = _("营业日历调整")
        ordering = ["day"]

    def __str__(self):
        return f"{self.day} {self.name}"


class Notification(models.Model):
    """One message of the notification centre (工作提醒, SPEC §3): reminders, due items, approvals.

    Created through `rmdesk.core.notifications.notify()` (any app may call it). `dedupe_key` keeps a
    recurring reminder from piling up: while one unread notification with the same recipient and key
    exists, no second one is created.
    """

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("接收人"), on_delete=models.CASCADE, related_name="notifications"
    )
    kind = models.CharField(_("类别"), max_length=40, db_index=True)
    title = models.CharField(_("标题"), max_length=200)
    body = models.TextField(_("内容"), blank=True)
    url = models.CharField(_("链接"), max_length=300, blank=True)
    object_type = models.CharField(_("对象类型"), max_length=60, blank=True)
    object_id = models.CharField(_("对象编号"), max_length=64, blank=True)
    dedupe_key = models.CharField(_("去重键"), max_length=120, blank=True)
    created_at = models.DateTimeField(_("创建时间"), default=timezone.now)
    due_at = models.DateTimeField(_("到期时间"), null=True, blank=True)
    read_at = models.DateTimeField(_("已读时间"), null=True, blank=True)
    emailed_at = models.DateTimeField(_("摘要发送时间"), null=True, blank=True)

    class Meta:
        db_table = "work_notification"  # moved from the work app with its rows (docs/decisions.md 10)
        verbose_name = _("消息")
        verbose_name_plural = _("消息")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["recipient", "read_at", "-created_at"], name="notif_inbox_idx"),
            models.Index(fields=["recipient", "dedupe_key"], name="notif_dedupe_idx"),
        ]

    def __str__(self):
        return self.title

    @property
    def kind_label(self):
        """The kind as people read it in the centre (SPEC §3), e.g. 产品到期 for "maturity"."""
        from .notifications import kind_label

        return kind_label(self.kind)

    @property
    def is_read(self):
        return self.read_at is not None


class CalendarYear(models.Model):
    """An administrator's confirmation that a year's holidays and 调休 working days are entered.

    Needed for the years the package chinese-calendar does not cover yet (it knows a year only once
    the State Council publishes it): until a year is covered or confirmed, the calendar falls back to
    Monday–Friday and reports the year as unconfirmed.
    """

    year = models.PositiveSmallIntegerField(_("年份"), unique=True)
    confirmed = models.BooleanField(_("已确认"), default=False)
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("确认人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    confirmed_at = models.DateTimeField(_("确认时间"), null=True, blank=True)

    class Meta:
        app_label = "core"
        verbose_name = _("营业日历年度")
        verbose_name_plural = _("营业日历年度")
        ordering = ["year"]

    def __str__(self):
        return str(self.year)


# --- notice channels (SPEC §3 "notices where staff already are"; docs/decisions.md 41) ----------------


class ChannelKind(models.TextChoices):
    EMAIL = "email", _("电子邮件")
    WECOM = "wecom", _("企业微信群机器人")
    DINGTALK = "dingtalk", _("钉钉群机器人")


class NoticeSettings(models.Model):
    """The organisation's e-mail server and the address links point to (one row, pk 1).

    When `smtp_enabled` is off, mail goes where the deployment's settings send it (files in var/mail on
    the embedded default, or RMDESK_EMAIL_HOST)."""

    site_url = models.CharField(
        _("系统访问地址"),
        max_length=200,
        blank=True,
        help_text=_("消息中的链接以此开头，例如 https://rmdesk.example.cn"),
    )
    smtp_enabled = models.BooleanField(_("使用下列邮件服务器"), default=False)
    smtp_host = models.CharField(_("SMTP 服务器"), max_length=200, blank=True)
    smtp_port = models.PositiveIntegerField(_("端口"), default=25)
    smtp_username = models.CharField(_("用户名"), max_length=200, blank=True)
    smtp_password = models.CharField(_("密码"), max_length=200, blank=True)
    smtp_security = models.CharField(
        _("加密方式"),
        max_length=8,
        default="none",
        choices=[("none", _("不加密")), ("starttls", "STARTTLS"), ("ssl", "SSL/TLS")],
    )
    from_address = models.EmailField(_("发件人地址"), blank=True)
    version = models.PositiveIntegerField(default=1, editable=False)

    class Meta:
        app_label = "core"
        verbose_name = _("消息发送设置")
        verbose_name_plural = _("消息发送设置")

    def __str__(self):
        return str(_("消息发送设置"))


class NoticeChannel(models.Model):
    """Where notices of some kinds, for the staff of one unit's subtree, are delivered besides the centre."""

    name = models.CharField(_("名称"), max_length=60)
    kind = models.CharField(_("渠道"), max_length=10, choices=ChannelKind.choices)
    enabled = models.BooleanField(_("启用"), default=True)
    webhook_url = models.CharField(_("机器人 Webhook 地址"), max_length=500, blank=True)
    secret = models.CharField(_("加签密钥"), max_length=200, blank=True, help_text=_("钉钉机器人“加签”安全设置的密钥"))
    unit_path = models.CharField(_("适用机构"), max_length=255, blank=True)  # "" = the whole organisation
    unit_name = models.CharField(_("适用机构名称"), max_length=100, blank=True)
    kinds = models.JSONField(_("消息类别"), default=list, blank=True)  # kinds or app prefixes; [] = every kind
    include_title = models.BooleanField(
        _("随消息发送标题"), default=False, help_text=_("标题可能含客户信息；不勾选时只发送消息类别和链接")
    )
    consecutive_failures = models.PositiveIntegerField(_("连续失败次数"), default=0, editable=False)
    failing_since = models.DateTimeField(_("持续失败起始时间"), null=True, blank=True, editable=False)
    created_at = models.DateTimeField(_("创建时间"), default=timezone.now)
    version = models.PositiveIntegerField(default=1, editable=False)

    class Meta:
        app_label = "core"
        verbose_name = _("消息渠道")
        verbose_name_plural = _("消息渠道")
        ordering = ["unit_path", "name", "pk"]

    def __str__(self):
        return self.name


class NoticePreference(models.Model):
    """A person's opt-outs of non-urgent kinds and their quiet hours (no channel delivery in between, except
    urgent kinds); the centre always keeps every notification."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notice_preference", verbose_name=_("用户")
    )
    opted_out = models.JSONField(_("不接收的消息类别"), default=list, blank=True)
    quiet_from = models.TimeField(_("免打扰开始"), null=True, blank=True)
    quiet_until = models.TimeField(_("免打扰结束"), null=True, blank=True)
    version = models.PositiveIntegerField(default=1, editable=False)

    class Meta:
        app_label = "core"
        verbose_name = _("消息偏好")
        verbose_name_plural = _("消息偏好")


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", _("待发送")
    SENDING = "sending", _("发送中")
    SENT = "sent", _("已发送")
    DEAD = "dead", _("发送失败")
    UNCERTAIN = "uncertain", _("结果不明")


class NoticeDelivery(models.Model):
    """One notification on one channel: its attempts and the channel's last answer (the delivery log).

    At most once: a delivery is claimed (PENDING → SENDING) in its own committed update before the send;
    one whose worker died mid-send is never sent again automatically (UNCERTAIN, reported)."""

    notification = models.ForeignKey(Notification, on_delete=models.CASCADE, related_name="deliveries")
    channel = models.ForeignKey(NoticeChannel, on_delete=models.CASCADE, related_name="deliveries")
    status = models.CharField(_("状态"), max_length=10, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING)
    attempts = models.PositiveSmallIntegerField(_("尝试次数"), default=0)
    next_attempt_at = models.DateTimeField(_("下次尝试时间"), default=timezone.now)
    claimed_at = models.DateTimeField(_("开始发送时间"), null=True, blank=True)
    sent_at = models.DateTimeField(_("发送成功时间"), null=True, blank=True)
    last_answer = models.CharField(_("渠道应答"), max_length=500, blank=True)
    created_at = models.DateTimeField(_("创建时间"), default=timezone.now)

    class Meta:
        app_label = "core"
        verbose_name = _("消息投递")
        verbose_name_plural = _("消息投递")
        ordering = ["-created_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["notification", "channel"], name="delivery_once_per_channel")]
        indexes = [models.Index(fields=["status", "next_attempt_at"], name="delivery_due_idx")]


class CalendarFeed(models.Model):
    """A person's private iCal subscription (RFC 5545) of their own appointments, visit schedule and due
    tasks. Only the token's SHA-256 is stored; revoking it makes the address answer 404."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="calendar_feeds", verbose_name=_("用户")
    )
    token_hash = models.CharField(max_length=64, unique=True)
    show_customer_names = models.BooleanField(_("日历中显示客户名称"), default=False)
    created_at = models.DateTimeField(_("创建时间"), default=timezone.now)
    revoked_at = models.DateTimeField(_("作废时间"), null=True, blank=True)

    class Meta:
        app_label = "core"
        verbose_name = _("日历订阅")
        verbose_name_plural = _("日历订阅")

    @staticmethod
    def hash_token(token: str) -> str:
        return hashlib.sha256(token.encode()).hexdigest()
