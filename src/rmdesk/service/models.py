"""Service requests and complaints, SLA engine, satisfaction surveys and churn watch (SPEC §5).

Scope: a case belongs to a customer and to a responsible unit. It carries two denormalised
materialised paths: `org_path` (the responsible unit's) and `customer_path` (the customer's unit's),
so the subtree managers of either side find it with one indexed prefix scan (see scope.py).
"""

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

USER = settings.AUTH_USER_MODEL
PATH_IDX = {"opclasses": ["varchar_pattern_ops"]}


class CaseKind(models.TextChoices):
    COMPLAINT = "complaint", _("投诉")
    REQUEST = "request", _("服务请求")


class Channel(models.TextChoices):
    BRANCH = "branch", _("网点")
    PHONE = "phone", _("电话")
    ONLINE = "online", _("线上渠道")
    VISIT = "visit", _("上门拜访")
    REGULATOR = "regulator", _("监管转办")


class Severity(models.TextChoices):
    NORMAL = "normal", _("一般")
    MAJOR = "major", _("较重")
    SERIOUS = "serious", _("严重")


class CaseStatus(models.TextChoices):
    REGISTERED = "registered", _("已登记")
    ACCEPTED = "accepted", _("已受理")
    INVESTIGATED = "investigated", _("原因已查明")
    PROPOSED = "proposed", _("待主管批示")
    APPROVED = "approved", _("已批示待实施")
    IMPLEMENTED = "implemented", _("已实施待回访")
    VISITED = "visited", _("已回访")
    CLOSED = "closed", _("已关闭")


OPEN_STATUSES = [s for s in CaseStatus.values if s != CaseStatus.CLOSED]


class Responsibility(models.TextChoices):
    BANK = "bank", _("我行责任")
    STAFF = "staff", _("员工个人责任")
    THIRD_PARTY = "third_party", _("第三方原因")
    CUSTOMER = "customer", _("客户自身原因")
    FORCE_MAJEURE = "force_majeure", _("不可抗力")


class RootCause(models.TextChoices):
    ATTITUDE = "attitude", _("服务态度")
    OPERATION = "operation", _("业务操作差错")
    PRODUCT = "product", _("产品设计与质量")
    SYSTEM = "system", _("系统故障")
    PROCESS = "process", _("制度流程")
    PRICING = "pricing", _("收费定价")
    MARKETING = "marketing", _("营销宣传不当")
    MISUNDERSTANDING = "misunderstanding", _("客户误解")
    EXTERNAL = "external", _("外部原因")


class CaseCategory(models.Model):
    """A configurable complaint / service-request category (SPEC §5)."""

    code = models.CharField(_("代码"), max_length=30, unique=True)
    name = models.CharField(_("名称"), max_length=60)
    kind = models.CharField(_("适用类型"), max_length=12, choices=CaseKind.choices, blank=True)
    order = models.PositiveSmallIntegerField(_("排序"), default=100)
    is_active = models.BooleanField(_("启用"), default=True)
    # an industry pack's setting (issue 19; seed 001 §4.6): the case needs the 商品及服务质量信息反馈单, reviewed by
    # the supervisor before the plan is carried out and signed by the customer before it is closed
    requires_feedback = models.BooleanField(
        _("须填质量反馈单"),
        default=False,
        db_default=False,
        help_text=_("该类别的工单实施前须填写并经主管审核质量反馈单，关闭前须客户签字确认"),
    )

    class Meta:
        verbose_name = _("投诉/服务类别")
        verbose_name_plural = _("投诉/服务类别")
        ordering = ["order", "code"]

    def __str__(self):
        return self.name


class ChecklistItem(models.Model):
    """One item of a category's checklist (issue 19; seed 001 §4.3 《持证零售客户入网、退网工作标准》): every
    case of the category carries the items active when it was registered, and is closed only when all are done.
    A pack's configuration (section `case_checklist_items`); a category without items has no checklist."""

    category = models.ForeignKey(
        CaseCategory, verbose_name=_("类别"), on_delete=models.CASCADE, related_name="checklist_items"
    )
    order = models.PositiveSmallIntegerField(_("序号"))
    text = models.CharField(_("检查事项"), max_length=200)
    is_active = models.BooleanField(_("启用"), default=True)

    class Meta:
        verbose_name = _("工单检查清单事项")
        verbose_name_plural = _("工单检查清单事项")
        ordering = ["category", "order"]
        constraints = [models.UniqueConstraint(fields=["category", "order"], name="svc_checklist_item_once")]

    def __str__(self):
        return self.text


class DurationUnit(models.TextChoices):
    WORK_HOURS = "work_hours", _("工作小时")
    WORK_DAYS = "work_days", _("工作日")


class SlaPolicy(models.Model):
    """SLA in working time per category and severity (SPEC §5); the most specific active row wins.

    Durations are counted on the business calendar (rmdesk.core.calendar): `work_hours` are hours of
    working time (09:00–17:00 of working days), `work_days` are whole working days at the same time
    of day ("24 小时内受理" = 1 working day: a Friday 16:00 complaint is due Monday 16:00).
    """

    name = models.CharField(_("名称"), max_length=80)
    category = models.ForeignKey(
        CaseCategory,
        verbose_name=_("类别"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        help_text=_("留空表示所有类别"),
    )
    severity = models.CharField(
        _("严重程度"), max_length=10, choices=Severity.choices, blank=True, help_text=_("留空表示所有严重程度")
    )
    ack_amount = models.PositiveIntegerField(_("受理时限"), default=1)
    ack_unit = models.CharField(
        _("受理时限单位"), max_length=12, choices=DurationUnit.choices, default=DurationUnit.WORK_DAYS
    )
    answer_amount = models.PositiveIntegerField(_("答复时限"), default=3)
    answer_unit = models.CharField(
        _("答复时限单位"), max_length=12, choices=DurationUnit.choices, default=DurationUnit.WORK_DAYS
    )
    warn_hours = models.PositiveIntegerField(_("预警提前量（工作小时）"), default=4)
    escalate_every_hours = models.PositiveIntegerField(_("逐级上报间隔（工作小时）"), default=8)
    notify_supervisor_at_once = models.BooleanField(_("登记即通知主管"), default=False)
    is_active = models.BooleanField(_("启用"), default=True)

    class Meta:
        verbose_name = _("SLA 时限规则")
        verbose_name_plural = _("SLA 时限规则")

    def __str__(self):
        return self.name

    @property
    def specificity(self):
        return (self.category_id is not None) * 2 + bool(self.severity)


class AssignmentTarget(models.TextChoices):
    A_RM = "a_rm", _("客户的主办客户经理")
    UNIT_HEAD = "unit_head", _("客户所属团队/机构负责人")
    USER = "user", _("指定人员")


class AssignmentRule(models.Model):
    """Who becomes responsible for a new case (SPEC §5 "responsible unit and person assigned by rules")."""

    name = models.CharField(_("名称"), max_length=80)
    priority = models.PositiveSmallIntegerField(_("优先级"), default=100, help_text=_("数字小者优先"))
    kind = models.CharField(_("类型"), max_length=12, choices=CaseKind.choices, blank=True)
    category = models.ForeignKey(CaseCategory, verbose_name=_("类别"), null=True, blank=True, on_delete=models.CASCADE)
    severity = models.CharField(_("严重程度"), max_length=10, choices=Severity.choices, blank=True)
    channel = models.CharField(_("渠道"), max_length=12, choices=Channel.choices, blank=True)
    target = models.CharField(
        _("责任人"), max_length=12, choices=AssignmentTarget.choices, default=AssignmentTarget.A_RM
    )
    user = models.ForeignKey(
        USER, verbose_name=_("指定人员"), null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    is_active = models.BooleanField(_("启用"), default=True)

    class Meta:
        verbose_name = _("分派规则")
        verbose_name_plural = _("分派规则")
        ordering = ["priority", "id"]

    def __str__(self):
        return self.name


class Case(models.Model):
    """One complaint or service request and its flow 登记 → 受理 → 调查原因 → 提交方案 → 主管批示 →
    实施 → 回访 → 关闭 (SPEC §5)."""

    number = models.CharField(_("编号"), max_length=24, unique=True, null=True, blank=True)
    kind = models.CharField(_("类型"), max_length=12, choices=CaseKind.choices, default=CaseKind.COMPLAINT)
    channel = models.CharField(_("渠道"), max_length=12, choices=Channel.choices)
    category = models.ForeignKey(CaseCategory, verbose_name=_("类别"), on_delete=models.PROTECT, related_name="cases")
    severity = models.CharField(_("严重程度"), max_length=10, choices=Severity.choices, default=Severity.NORMAL)
    customer = models.ForeignKey(
        "customers.Customer", verbose_name=_("客户"), on_delete=models.PROTECT, related_name="service_cases"
    )
    product = models.CharField(_("涉及产品"), max_length=100, blank=True)
    title = models.CharField(_("标题"), max_length=120)
    description = models.TextField(_("问题描述"))
    status = models.CharField(
        _("状态"), max_length=14, choices=CaseStatus.choices, default=CaseStatus.REGISTERED, db_index=True
    )
    responsible_unit = models.ForeignKey(
        "org.OrgUnit", verbose_name=_("责任机构"), on_delete=models.PROTECT, related_name="+"
    )
    owner = models.ForeignKey(USER, verbose_name=_("责任人"), on_delete=models.PROTECT, related_name="service_cases")
    org_path = models.CharField(max_length=255, editable=False)
    customer_path = models.CharField(max_length=255, editable=False)
    registered_by = models.ForeignKey(USER, verbose_name=_("登记人"), on_delete=models.PROTECT, related_name="+")
    registered_at = models.DateTimeField(_("登记时间"), default=timezone.now)
    # investigation, plan, outcome
    cause = models.TextField(_("原因分析"), blank=True)
    root_cause = models.CharField(_("根因类别"), max_length=20, choices=RootCause.choices, blank=True)
    plan = models.TextField(_("处理方案"), blank=True)
    plan_by = models.ForeignKey(
        USER, verbose_name=_("方案提交人"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    plan_at = models.DateTimeField(_("方案提交时间"), null=True, blank=True)
    instruction = models.TextField(_("主管批示"), blank=True)
    approved_by = models.ForeignKey(
        USER, verbose_name=_("批示人"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    approved_at = models.DateTimeField(_("批示时间"), null=True, blank=True)
    result = models.TextField(_("实施结果"), blank=True)
    customer_confirmed = models.BooleanField(_("客户确认"), null=True, blank=True)
    satisfaction = models.PositiveSmallIntegerField(_("满意度（1–5）"), null=True, blank=True)
    follow_up_note = models.TextField(_("回访记录"), blank=True)
    closed_at = models.DateTimeField(_("关闭时间"), null=True, blank=True)
    reopen_count = models.PositiveSmallIntegerField(_("重开次数"), default=0)
    # valid complaint (有效投诉) and responsibility, decided by the supervisor
    is_valid = models.BooleanField(_("有效投诉"), null=True, blank=True)
    responsibility = models.CharField(_("责任归属"), max_length=16, choices=Responsibility.choices, blank=True)
    responsible_staff = models.ForeignKey(
        USER, verbose_name=_("责任人员"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    valid_decided_by = models.ForeignKey(
        USER, verbose_name=_("认定人"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    valid_decided_at = models.DateTimeField(_("认定时间"), null=True, blank=True)
    # SLA
    policy = models.ForeignKey(SlaPolicy, verbose_name=_("SLA 规则"), null=True, blank=True, on_delete=models.SET_NULL)
    cycle = models.PositiveSmallIntegerField(_("处理轮次"), default=1)
    ack_due_at = models.DateTimeField(_("受理时限"), null=True, blank=True)
    answer_due_at = models.DateTimeField(_("答复时限"), null=True, blank=True)
    acknowledged_at = models.DateTimeField(_("受理时间"), null=True, blank=True)
    answered_at = models.DateTimeField(_("答复时间"), null=True, blank=True)
    paused_at = models.DateTimeField(_("等待客户起始"), null=True, blank=True)
    pause_reason = models.CharField(_("等待原因"), max_length=200, blank=True)
    paused_seconds = models.PositiveIntegerField(_("累计暂停（工作秒）"), default=0)
    ack_breached = models.BooleanField(_("受理超时"), default=False)
    answer_breached = models.BooleanField(_("答复超时"), default=False)
    escalation_level = models.PositiveSmallIntegerField(_("上报层级"), default=0)
    version = models.PositiveIntegerField(_("版本"), default=1)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("投诉与服务工单")
        verbose_name_plural = _("投诉与服务工单")
        indexes = [
            models.Index(fields=["org_path"], name="svc_case_path_idx", **PATH_IDX),
            models.Index(fields=["customer_path"], name="svc_case_cpath_idx", **PATH_IDX),
            models.Index(fields=["owner", "status"], name="svc_case_owner_idx"),
            models.Index(fields=["customer", "-registered_at"], name="svc_case_cust_idx"),
            models.Index(fields=["status", "answer_due_at"], name="svc_case_due_idx"),
        ]

    def __str__(self):
        return f"{self.number or ''} {self.title}"

    @property
    def is_open(self):
        return self.status != CaseStatus.CLOSED

    @property
    def is_paused(self):
        return self.paused_at is not None

    @property
    def breached(self):
        return self.ack_breached or self.answer_breached


class CaseStep(models.Model):
    """One step of a case's history: who, when, what (append-only; reopen keeps it, SPEC §5)."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="steps")
    action = models.CharField(_("动作"), max_length=20)
    actor = models.ForeignKey(
        USER, verbose_name=_("经办人"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    at = models.DateTimeField(_("时间"), default=timezone.now)
    status_from = models.CharField(max_length=14, blank=True)
    status_to = models.CharField(max_length=14, blank=True)
    note = models.TextField(_("内容"), blank=True)
    data = models.JSONField(default=dict, blank=True)
    cycle = models.PositiveSmallIntegerField(default=1)

    class Meta:
        verbose_name = _("处理记录")
        verbose_name_plural = _("处理记录")
        ordering = ["at", "id"]

    LABELS = {
        "register": _("登记"),
        "accept": _("受理"),
        "investigate": _("调查原因"),
        "propose": _("提交方案"),
        "approve": _("主管批示：同意"),
        "reject": _("主管批示：退回"),
        "implement": _("实施"),
        "follow_up": _("回访"),
        "close": _("关闭"),
        "reopen": _("重开"),
        "pause": _("等待客户"),
        "resume": _("恢复计时"),
        "assess": _("有效投诉认定"),
        "assign": _("转派"),
        "attach": _("上传附件"),
        "feedback": _("质量反馈单"),
        "feedback_review": _("反馈单审核"),
        "feedback_sign": _("客户签字确认"),
        "return": _("主管批示：退回修改"),
        "check": _("检查清单"),
    }

    @property
    def action_label(self):
        return self.LABELS.get(self.action, self.action)

    @property
    def status_to_label(self):
        return CaseStatus(self.status_to).label if self.status_to in CaseStatus.values else ""


class CaseCheck(models.Model):
    """A checklist item on one case, copied from its category at registration (a later change of the standard
    does not rewrite a case under way); done by whom and when (issue 19)."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="checks")
    order = models.PositiveSmallIntegerField(_("序号"))
    text = models.CharField(_("检查事项"), max_length=200)
    done_by = models.ForeignKey(
        USER, verbose_name=_("完成人"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    done_at = models.DateTimeField(_("完成时间"), null=True, blank=True)
    note = models.CharField(_("说明"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("工单检查事项")
        verbose_name_plural = _("工单检查事项")
        ordering = ["case", "order"]
        constraints = [models.UniqueConstraint(fields=["case", "order"], name="svc_case_check_once")]

    @property
    def done(self) -> bool:
        return self.done_at is not None


def attachment_path(instance, filename):
    return f"service/{instance.case_id}/{filename}"


class CaseAttachment(models.Model):
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="attachments")
    file = models.FileField(_("附件"), upload_to=attachment_path)
    name = models.CharField(_("文件名"), max_length=200)
    uploaded_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    uploaded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("附件")
        verbose_name_plural = _("附件")


class Milestone(models.TextChoices):
    ACK = "ack", _("受理")
    ANSWER = "answer", _("答复")


class SlaBreach(models.Model):
    """A breached SLA milestone; unique per case, milestone and cycle, so a breach is counted once."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="breaches")
    milestone = models.CharField(_("节点"), max_length=8, choices=Milestone.choices)
    cycle = models.PositiveSmallIntegerField(default=1)
    due_at = models.DateTimeField(_("时限"))
    detected_at = models.DateTimeField(_("发现时间"), default=timezone.now)
    level = models.PositiveSmallIntegerField(_("已上报层级"), default=0)
    owner = models.ForeignKey(USER, verbose_name=_("责任人"), on_delete=models.PROTECT, related_name="+")
    org_path = models.CharField(max_length=255)

    class Meta:
        verbose_name = _("SLA 超时")
        verbose_name_plural = _("SLA 超时")
        constraints = [models.UniqueConstraint(fields=["case", "milestone", "cycle"], name="svc_breach_once")]


class SlaEventKind(models.TextChoices):
    SERIOUS = "serious", _("严重投诉即时通知")
    AT_RISK = "at_risk", _("即将超时预警")
    BREACH = "breach", _("超时通知")
    ESCALATION = "escalation", _("逐级上报")


class SlaEvent(models.Model):
    """A notification the SLA engine sent (to the owner or one level up the org tree)."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="sla_events")
    kind = models.CharField(_("类型"), max_length=12, choices=SlaEventKind.choices)
    milestone = models.CharField(_("节点"), max_length=8, choices=Milestone.choices, blank=True)
    cycle = models.PositiveSmallIntegerField(default=1)
    level = models.PositiveSmallIntegerField(_("层级"), default=0)
    recipient = models.ForeignKey(USER, verbose_name=_("接收人"), on_delete=models.PROTECT, related_name="+")
    unit = models.ForeignKey(
        "org.OrgUnit", verbose_name=_("机构"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    at = models.DateTimeField(_("时间"), default=timezone.now)

    class Meta:
        verbose_name = _("SLA 通知")
        verbose_name_plural = _("SLA 通知")
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["case", "kind", "milestone", "cycle"], name="svc_event_idx")]


class QualityFeedback(models.Model):
    """商品及服务质量信息反馈单: product/service quality feedback with customer sign-off (SPEC §5, seed 001 §4.6)."""

    case = models.OneToOneField(Case, on_delete=models.CASCADE, related_name="feedback")
    product = models.CharField(_("商品/服务名称"), max_length=120)
    quantity = models.CharField(_("数量/批次"), max_length=60, blank=True)
    problem = models.TextField(_("质量问题描述"))
    customer_opinion = models.TextField(_("客户意见"), blank=True)
    handling = models.TextField(_("处理意见"), blank=True)
    filled_by = models.ForeignKey(USER, verbose_name=_("填表人"), on_delete=models.PROTECT, related_name="+")
    filled_at = models.DateTimeField(_("填表时间"), default=timezone.now)
    reviewed_by = models.ForeignKey(
        USER, verbose_name=_("审核人"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    reviewed_at = models.DateTimeField(_("审核时间"), null=True, blank=True)
    review_note = models.TextField(_("审核意见"), blank=True)
    customer_signed_name = models.CharField(_("客户签字"), max_length=60, blank=True)
    customer_signed_at = models.DateTimeField(_("客户确认时间"), null=True, blank=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        verbose_name = _("商品及服务质量信息反馈单")
        verbose_name_plural = _("商品及服务质量信息反馈单")


# --- satisfaction surveys -------------------------------------------------------------------


class SurveyTemplate(models.Model):
    """A satisfaction survey questionnaire (SPEC §5)."""

    name = models.CharField(_("名称"), max_length=100)
    description = models.TextField(_("说明"), blank=True)
    is_active = models.BooleanField(_("启用"), default=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("满意度调查问卷")
        verbose_name_plural = _("满意度调查问卷")

    def __str__(self):
        return self.name


class QuestionKind(models.TextChoices):
    SCORE = "score", _("评分（1–5）")
    TEXT = "text", _("文字")


class SurveyQuestion(models.Model):
    template = models.ForeignKey(SurveyTemplate, on_delete=models.CASCADE, related_name="questions")
    order = models.PositiveSmallIntegerField(_("序号"), default=1)
    text = models.CharField(_("题目"), max_length=200)
    kind = models.CharField(_("题型"), max_length=8, choices=QuestionKind.choices, default=QuestionKind.SCORE)
    weight = models.DecimalField(_("权重"), max_digits=5, decimal_places=2, default=Decimal("1"))

    class Meta:
        verbose_name = _("调查题目")
        verbose_name_plural = _("调查题目")
        ordering = ["order", "id"]

    def __str__(self):
        return self.text


class SurveyRound(models.Model):
    """One round of a survey sent to a customer segment (SPEC §5)."""

    template = models.ForeignKey(
        SurveyTemplate, verbose_name=_("问卷"), on_delete=models.PROTECT, related_name="rounds"
    )
    name = models.CharField(_("名称"), max_length=100)
    segment = models.JSONField(_("客户范围"), default=dict, blank=True)
    unit = models.ForeignKey("org.OrgUnit", verbose_name=_("发起机构"), on_delete=models.PROTECT, related_name="+")
    org_path = models.CharField(max_length=255)
    created_by = models.ForeignKey(USER, verbose_name=_("发起人"), on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(_("发起时间"), default=timezone.now)
    due_on = models.DateField(_("截止日期"), null=True, blank=True)
    is_closed = models.BooleanField(_("已结束"), default=False)

    class Meta:
        verbose_name = _("满意度调查轮次")
        verbose_name_plural = _("满意度调查轮次")
        indexes = [models.Index(fields=["org_path"], name="svc_round_path_idx", **PATH_IDX)]

    def __str__(self):
        return self.name


class SurveyResponse(models.Model):
    """One customer's questionnaire in a round; answered by the RM or imported (SPEC §5)."""

    round = models.ForeignKey(SurveyRound, on_delete=models.CASCADE, related_name="responses")
    customer = models.ForeignKey(
        "customers.Customer", verbose_name=_("客户"), on_delete=models.CASCADE, related_name="survey_responses"
    )
    rm = models.ForeignKey(
        USER, verbose_name=_("客户经理"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    team = models.ForeignKey(
        "org.OrgUnit", verbose_name=_("团队"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    unit = models.ForeignKey("org.OrgUnit", verbose_name=_("机构"), on_delete=models.PROTECT, related_name="+")
    org_path = models.CharField(max_length=255)
    answered_at = models.DateTimeField(_("答卷时间"), null=True, blank=True)
    recorded_by = models.ForeignKey(
        USER, verbose_name=_("录入人"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    source = models.CharField(
        _("来源"), max_length=10, blank=True, choices=[("rm", _("客户经理录入")), ("import", _("导入"))]
    )
    score = models.DecimalField(_("满意度得分"), max_digits=5, decimal_places=2, null=True, blank=True)
    comment = models.TextField(_("意见建议"), blank=True)
    version = models.PositiveIntegerField(_("版本"), default=1)  # answers recorded again replace the earlier ones

    class Meta:
        verbose_name = _("调查答卷")
        verbose_name_plural = _("调查答卷")
        constraints = [models.UniqueConstraint(fields=["round", "customer"], name="svc_response_once")]
        indexes = [
            models.Index(fields=["org_path"], name="svc_resp_path_idx", **PATH_IDX),
            models.Index(fields=["rm", "answered_at"], name="svc_resp_rm_idx"),
        ]


class SurveyAnswer(models.Model):
    response = models.ForeignKey(SurveyResponse, on_delete=models.CASCADE, related_name="answers")
    question = models.ForeignKey(SurveyQuestion, on_delete=models.CASCADE, related_name="+")
    score = models.PositiveSmallIntegerField(null=True, blank=True)
    text = models.TextField(blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["response", "question"], name="svc_answer_once")]


# --- churn watch (名单制管理) -----------------------------------------------------------------


class ChurnTarget(models.Model):
    """Churn-rate ceiling per tier (SPEC §5: VIP < 3.5 %, top tiers < 2 %). A row without a tier is
    the default for every tiered (VIP) customer; a row for a tier overrides it."""

    name = models.CharField(_("名称"), max_length=60)
    tier = models.OneToOneField(
        "customers.Tier", verbose_name=_("层级"), null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    max_rate = models.DecimalField(_("流失率上限（%）"), max_digits=5, decimal_places=2)

    class Meta:
        verbose_name = _("流失率目标")
        verbose_name_plural = _("流失率目标")

    def __str__(self):
        return f"{self.name} < {self.max_rate}%"


class ChurnEvent(models.Model):
    """A customer lost (stage 流失 or AUM fallen to ~0) on a day; the history churn rates are computed from."""

    customer = models.ForeignKey(
        "customers.Customer", verbose_name=_("客户"), on_delete=models.CASCADE, related_name="churn_events"
    )
    tier = models.ForeignKey(
        "customers.Tier",
        verbose_name=_("流失时层级"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    occurred_on = models.DateField(_("流失日期"), db_index=True)
    reason = models.CharField(_("原因"), max_length=200, blank=True)
    aum_before = models.DecimalField(_("流失前金融资产"), max_digits=18, decimal_places=2, null=True, blank=True)
    rm = models.ForeignKey(
        USER, verbose_name=_("客户经理"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    org_path = models.CharField(max_length=255)
    recovered_on = models.DateField(_("挽回日期"), null=True, blank=True)

    class Meta:
        verbose_name = _("客户流失记录")
        verbose_name_plural = _("客户流失记录")
        indexes = [models.Index(fields=["org_path"], name="svc_churn_path_idx", **PATH_IDX)]


class WatchStatus(models.TextChoices):
    OPEN = "open", _("跟进中")
    RETAINED = "retained", _("已挽留")
    LOST = "lost", _("已流失")


class WatchReason(models.TextChoices):
    AT_RISK = "at_risk", _("流失预警")
    LOST = "lost", _("已流失待挽回")
    AUM_DROP = "aum_drop", _("资产大幅下降")
    COMPLAINT = "complaint", _("有效投诉")
    TRIGGER = "trigger", _("挽留触发")
    MANUAL = "manual", _("人工加入")


class TriggerKind(models.TextChoices):
    DROP = "drop", _("较上期下降")
    ZERO = "zero", _("为零（未使用/欠费停机）")


class RetentionTrigger(models.Model):
    """A retention trigger with its call script (SPEC §5 churn watch; seed 004 话费异动, 零话费/欠费停机): when a
    customer's tier metric falls against the previous period by at least `drop_percent`, or is zero, the
    customer goes on the watch list with a call for the RM due in `call_within_days` working days, carrying
    the script. The metrics are the archive's tier metric values (`Customer.metrics`), refreshed by the
    monthly billing extract the organisation imports."""

    code = models.CharField(_("代码"), max_length=30, unique=True)
    name = models.CharField(_("名称"), max_length=60)
    kind = models.CharField(_("触发条件"), max_length=8, choices=TriggerKind.choices)
    metric = models.CharField(_("本期指标"), max_length=30, help_text=_("分层指标值中的代码，例如 monthly_spend"))
    previous_metric = models.CharField(
        _("上期指标"), max_length=30, blank=True, help_text=_("下降类触发用，例如 monthly_spend_prev")
    )
    drop_percent = models.DecimalField(_("下降幅度（%）"), max_digits=5, decimal_places=2, null=True, blank=True)
    script = models.TextField(_("话术"))
    call_within_days = models.PositiveSmallIntegerField(_("回访时限（工作日）"), default=3)
    is_active = models.BooleanField(_("启用"), default=True)

    class Meta:
        verbose_name = _("挽留触发规则")
        verbose_name_plural = _("挽留触发规则")
        ordering = ["code"]

    def __str__(self):
        return self.name

    def clean(self):
        from django.core.exceptions import ValidationError

        if self.kind == TriggerKind.DROP:
            errors = {}
            if not self.previous_metric:
                errors["previous_metric"] = _("下降类触发需要上期指标。")
            if self.drop_percent is None or not (0 < self.drop_percent <= 100):
                errors["drop_percent"] = _("下降幅度应在 0 到 100 之间。")
            if errors:
                raise ValidationError(errors)

    def fires(self, metrics: dict) -> Decimal | None:
        """The current value when the trigger fires for these metric values, else None."""
        try:
            current = Decimal(str(metrics[self.metric]))
        except (KeyError, ArithmeticError, ValueError, TypeError):
            return None
        if self.kind == TriggerKind.ZERO:
            return current if current == 0 else None
        try:
            previous = Decimal(str(metrics[self.previous_metric]))
        except (KeyError, ArithmeticError, ValueError, TypeError):
            return None
        if previous <= 0 or current >= previous:
            return None
        return current if (previous - current) / previous * 100 >= self.drop_percent else None


class WatchEntry(models.Model):
    """A customer on the watch list (名单制管理) with an assigned RM and retention actions (SPEC §5)."""

    customer = models.ForeignKey(
        "customers.Customer", verbose_name=_("客户"), on_delete=models.CASCADE, related_name="watch_entries"
    )
    reason = models.CharField(_("列入原因"), max_length=12, choices=WatchReason.choices)
    trigger = models.ForeignKey(
        RetentionTrigger,
        verbose_name=_("挽留触发规则"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    note = models.TextField(_("说明"), blank=True)
    assigned_to = models.ForeignKey(
        USER, verbose_name=_("挽留负责人"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    status = models.CharField(
        _("状态"), max_length=10, choices=WatchStatus.choices, default=WatchStatus.OPEN, db_index=True
    )
    org_path = models.CharField(max_length=255)
    added_by = models.ForeignKey(
        USER, verbose_name=_("列入人"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    added_at = models.DateTimeField(_("列入时间"), default=timezone.now)
    closed_at = models.DateTimeField(_("结束时间"), null=True, blank=True)
    outcome = models.TextField(_("结论"), blank=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        verbose_name = _("流失预警名单")
        verbose_name_plural = _("流失预警名单")
        indexes = [models.Index(fields=["org_path"], name="svc_watch_path_idx", **PATH_IDX)]


class RetentionKind(models.TextChoices):
    VISIT = "visit", _("上门拜访")
    CALL = "call", _("电话沟通")
    OFFER = "offer", _("产品/费率优惠")
    SENIOR = "senior", _("行领导拜访")
    SERVICE = "service", _("增值服务")
    OTHER = "other", _("其他")


class RetentionAction(models.Model):
    entry = models.ForeignKey(WatchEntry, on_delete=models.CASCADE, related_name="actions")
    kind = models.CharField(_("挽留措施"), max_length=10, choices=RetentionKind.choices)
    description = models.CharField(_("内容"), max_length=200)
    assigned_to = models.ForeignKey(USER, verbose_name=_("执行人"), on_delete=models.PROTECT, related_name="+")
    due_on = models.DateField(_("计划完成日期"))
    done_at = models.DateTimeField(_("完成时间"), null=True, blank=True)
    result = models.TextField(_("结果"), blank=True)
    created_by = models.ForeignKey(  # empty: planned by a retention trigger, not a person
        USER, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("挽留措施")
        verbose_name_plural = _("挽留措施")
        ordering = ["due_on", "id"]
