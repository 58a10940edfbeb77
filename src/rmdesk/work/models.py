"""Models of the work app (SPEC §3): business calendar, notifications, contact cadence, interactions,
appointments, visit schedules, tasks, journals."""

import calendar
from datetime import date, timedelta

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models.functions import Now
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from rmdesk.core.scope import ScopeSpec

# --- contact cadence (SPEC §3 "Contact cadence rules per tier") -------------------------------------


def add_months(day: date, months: int) -> date:
    """`day` plus whole months, clamped to the month's last day (31 Jan + 1 month = 28/29 Feb)."""
    if not months:
        return day
    y, m = divmod(day.month - 1 + months, 12)
    year, month = day.year + y, m + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


class CadenceRule(models.Model):
    """How often a customer of one tier must be contacted (SPEC §3), keyed by the codes of the tier
    rule set and tier of the customers app (e.g. bank/gold monthly, telecom/silver quarterly,
    tobacco/<档位> weekly). The next contact is due `interval_months` + `interval_days` after the last
    one; `soon_days` before that the status turns to "soon"."""

    rule_set_code = models.CharField(_("分层规则代码"), max_length=30)
    tier_code = models.CharField(_("层级代码"), max_length=30)
    name = models.CharField(_("名称"), max_length=100)
    interval_months = models.PositiveSmallIntegerField(_("间隔月数"), default=0)
    interval_days = models.PositiveSmallIntegerField(_("间隔天数"), default=0)
    soon_days = models.PositiveSmallIntegerField(_("提前提醒天数"), default=7)
    is_active = models.BooleanField(_("启用"), default=True)

    class Meta:
        verbose_name = _("联系频率规则")
        verbose_name_plural = _("联系频率规则")
        ordering = ["rule_set_code", "tier_code"]
        constraints = [models.UniqueConstraint(fields=["rule_set_code", "tier_code"], name="cadence_rule_tier_uniq")]

    def __str__(self):
        return self.name

    def clean(self):
        from django.core.exceptions import ValidationError

        if not self.interval_months and not self.interval_days:
            raise ValidationError({"interval_days": _("间隔月数和间隔天数不能同时为零。")})

    def next_due(self, last: date) -> date:
        return add_months(last, self.interval_months) + timedelta(days=self.interval_days)

    @property
    def interval_display(self):
        parts = []
        if self.interval_months:
            parts.append(_("%(n)d 个月") % {"n": self.interval_months})
        if self.interval_days:
            parts.append(_("%(n)d 天") % {"n": self.interval_days})
        return " ".join(str(p) for p in parts)


class ContactStatusCode(models.TextChoices):
    NONE = "none", _("无频率要求")
    OK = "ok", _("正常")
    SOON = "soon", _("即将到期")
    DUE = "due", _("今日到期")
    OVERDUE = "overdue", _("已逾期")


class DueBasis(models.TextChoices):
    """Why a customer's next contact is due when it is (issue 19: the customer's chosen callback interval)."""

    RULE = "rule", _("按层级联系频率")
    CHOSEN = "chosen", _("按客户选择的回访周期")
    DECLINED = "declined", _("客户谢绝回访")


class ContactStatus(models.Model):
    """Per-customer cadence state, kept in its own table so "who is due" is one indexed scan at
    millions of customers (SPEC §3). Owners and org path are copies of the customer's, rewritten by
    `cadence.recompute_all()` (set-based) and on handover; one row update per new interaction."""

    SCOPE = ScopeSpec(owner_fields=("a_rm", "b_rm"), path_fields=("org_path",))

    customer = models.OneToOneField(
        "customers.Customer",
        verbose_name=_("客户"),
        primary_key=True,
        on_delete=models.CASCADE,
        related_name="contact_status",
    )
    rule = models.ForeignKey(
        CadenceRule, verbose_name=_("频率规则"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # no index of their own: cs_arm_status_idx and cs_brm_status_idx lead with them (issue 18: fewer indexes
    # to write on every change and to build on a rebuild)
    a_rm = models.ForeignKey(
        "org.User",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("主办客户经理"),
        db_index=False,
    )
    b_rm = models.ForeignKey(
        "org.User",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("协办客户经理"),
        db_index=False,
    )
    org_path = models.CharField(max_length=255, default="")
    last_contact_at = models.DateTimeField(_("最近联系"), null=True, blank=True)
    last_contact_on = models.DateField(_("最近联系日"), null=True, blank=True)
    next_due_on = models.DateField(_("下次应联系日"), null=True, blank=True)
    status = models.CharField(
        _("状态"), max_length=10, choices=ContactStatusCode.choices, default=ContactStatusCode.NONE
    )
    # what set next_due_on: the tier rule, the customer's chosen interval or their refusal (issue 19)
    due_basis = models.CharField(
        _("应联系依据"), max_length=10, choices=DueBasis.choices, default=DueBasis.RULE, db_default=DueBasis.RULE
    )

    class Meta:
        verbose_name = _("客户联系状态")
        verbose_name_plural = _("客户联系状态")
        indexes = [
            models.Index(fields=["a_rm", "status", "next_due_on"], name="cs_arm_status_idx"),
            models.Index(fields=["b_rm", "status"], name="cs_brm_status_idx"),
            models.Index(
                fields=["status", "org_path", "next_due_on", "customer"],
                name="cs_status_path_due_idx",
                opclasses=["varchar_pattern_ops", "varchar_pattern_ops", "", ""],
            ),
            models.Index(fields=["org_path"], name="cs_path_idx", opclasses=["varchar_pattern_ops"]),
        ]

    def __str__(self):
        return f"{self.customer_id} {self.status}"


class ContactCounter(models.Model):
    """How many contact states of each status (none excluded) one A-post RM has in one org path: the
    dashboard and summary tables of leads and managers read these few rows instead of grouping every
    state of their subtree (a million at branch scale). Rebuilt by `cadence.recompute_all()` (one
    GROUP BY), adjusted by `cadence.refresh_one()` (every per-row change: interaction, tier change,
    handover) and on deletion of a state row. Several rows with the same key may exist after a race
    between two first inserts: readers always sum."""

    a_rm = models.ForeignKey("org.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    org_path = models.CharField(max_length=255, default="")
    overdue = models.IntegerField(default=0)
    due = models.IntegerField(default=0)
    soon = models.IntegerField(default=0)
    ok = models.IntegerField(default=0)

    class Meta:
        indexes = [
            models.Index(fields=["org_path", "a_rm"], name="cc_path_rm_idx", opclasses=["varchar_pattern_ops", ""]),
            models.Index(fields=["a_rm"], name="cc_rm_idx"),
        ]

    def __str__(self):
        return f"{self.a_rm_id} {self.org_path} {self.overdue}/{self.due}/{self.soon}/{self.ok}"


# --- interactions (服务日志/拜访记录) -----------------------------------------------------------------


class InteractionKind(models.TextChoices):
    VISIT = "visit", _("上门拜访")
    PHONE = "phone", _("电话")
    WECHAT = "wechat", _("微信")
    BRANCH = "branch", _("网点接待")
    SPECIAL = "special", _("特殊访问")


class NextStepKind(models.TextChoices):
    NONE = "none", _("无")
    APPOINTMENT = "appointment", _("预约下次见面")
    TASK = "task", _("创建待办")


class Interaction(models.Model):
    """One contact with a customer (服务日志/拜访记录, SPEC §3). Visible to whoever sees the customer."""

    SCOPE = ScopeSpec(owner_fields=("customer__a_rm", "customer__b_rm"), path_fields=("customer__org_path",))

    customer = models.ForeignKey(
        "customers.Customer", verbose_name=_("客户"), on_delete=models.CASCADE, related_name="interactions"
    )
    kind = models.CharField(_("方式"), max_length=10, choices=InteractionKind.choices)
    occurred_at = models.DateTimeField(_("时间"))
    occurred_on = models.DateField(_("日期"), editable=False)
    place = models.CharField(_("签到地点"), max_length=200, blank=True)
    door_to_door = models.BooleanField(_("上门服务"), default=False)
    recorded_by = models.ForeignKey(
        "org.User", verbose_name=_("记录人"), on_delete=models.PROTECT, related_name="interactions"
    )
    companions = models.ManyToManyField("org.User", verbose_name=_("陪同人员"), blank=True, related_name="+")
    purpose = models.CharField(_("目的"), max_length=200)
    content = models.TextField(_("内容"), blank=True)
    needs_found = models.TextField(_("发现的需求"), blank=True)
    products_recommended = models.CharField(_("推荐产品"), max_length=300, blank=True)
    next_step = models.TextField(_("下一步"), blank=True)
    next_step_kind = models.CharField(
        _("下一步安排"), max_length=12, choices=NextStepKind.choices, default=NextStepKind.NONE
    )
    next_step_at = models.DateTimeField(_("下一步时间"), null=True, blank=True)
    confirmed_by_name = models.CharField(_("客户确认人"), max_length=50, blank=True)
    confirmed_at = models.DateTimeField(_("客户确认时间"), null=True, blank=True)
    minutes_spent = models.PositiveIntegerField(_("服务时长(分钟)"), null=True, blank=True)
    created_at = models.DateTimeField(_("录入时间"), default=timezone.now)

    class Meta:
        verbose_name = _("服务记录")
        verbose_name_plural = _("服务记录")
        ordering = ["-occurred_at", "-id"]
        indexes = [
            models.Index(fields=["customer", "-occurred_at"], name="inter_cust_idx"),
            models.Index(fields=["recorded_by", "-occurred_at"], name="inter_staff_idx"),
            models.Index(fields=["occurred_on"], name="inter_day_idx"),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} {self.customer_id} {self.occurred_on}"

    def save(self, *args, **kwargs):
        self.occurred_on = (
            timezone.localdate(self.occurred_at) if timezone.is_aware(self.occurred_at) else self.occurred_at.date()
        )
        super().save(*args, **kwargs)


class InteractionAttachment(models.Model):
    interaction = models.ForeignKey(
        Interaction, on_delete=models.CASCADE, related_name="attachments", verbose_name=_("服务记录")
    )
    file = models.FileField(_("文件"), upload_to="work/interactions/%Y/%m/")
    name = models.CharField(_("文件名"), max_length=200)
    size = models.PositiveIntegerField(_("大小"), default=0)
    uploaded_by = models.ForeignKey("org.User", on_delete=models.PROTECT, related_name="+")
    uploaded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("附件")
        verbose_name_plural = _("附件")

    def __str__(self):
        return self.name


# --- staff-owned work items: appointments, schedules, tasks, journals --------------------------------

STAFF_SCOPE = ScopeSpec(owner_fields=("owner",), path_fields=("org_path",))


def staff_path(user) -> str:
    unit = user.team or user.unit
    return unit.path if unit else ""


class AppointmentStatus(models.TextChoices):
    PLANNED = "planned", _("已预约")
    DONE = "done", _("已完成")
    CANCELLED = "cancelled", _("已取消")


class Appointment(models.Model):
    """An appointment with a customer (预约, SPEC §3); the RM is reminded before it starts."""

    SCOPE = STAFF_SCOPE

    owner = models.ForeignKey(
        "org.User", verbose_name=_("客户经理"), on_delete=models.PROTECT, related_name="appointments"
    )
    org_path = models.CharField(max_length=255, default="")
    customer = models.ForeignKey(
        "customers.Customer", verbose_name=_("客户"), on_delete=models.CASCADE, related_name="appointments"
    )
    subject = models.CharField(_("事由"), max_length=200)
    start_at = models.DateTimeField(_("开始时间"))
    end_at = models.DateTimeField(_("结束时间"))
    place = models.CharField(_("地点"), max_length=200, blank=True)
    notes = models.TextField(_("备注"), blank=True)
    status = models.CharField(
        _("状态"), max_length=10, choices=AppointmentStatus.choices, default=AppointmentStatus.PLANNED
    )
    remind_minutes = models.PositiveIntegerField(_("提前提醒(分钟)"), default=60)
    reminded_at = models.DateTimeField(null=True, blank=True, editable=False)
    source_interaction = models.ForeignKey(
        Interaction, null=True, blank=True, on_delete=models.SET_NULL, related_name="follow_up_appointments"
    )
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("客户预约")
        verbose_name_plural = _("客户预约")
        ordering = ["start_at"]
        indexes = [
            models.Index(fields=["owner", "start_at"], name="appt_owner_idx"),
            models.Index(fields=["org_path", "start_at"], name="appt_path_idx", opclasses=["varchar_pattern_ops", ""]),
            models.Index(fields=["status", "start_at"], name="appt_status_idx"),
        ]

    def __str__(self):
        return self.subject


class ScheduleStatus(models.TextChoices):
    DRAFT = "draft", _("草稿")
    CONFIRMED = "confirmed", _("已确认")


class VisitSchedule(models.Model):
    """客户访问日程表 (SPEC §3): an RM's visit plan for one week, made and confirmed by the end of the
    previous week."""

    SCOPE = STAFF_SCOPE

    owner = models.ForeignKey(
        "org.User", verbose_name=_("客户经理"), on_delete=models.PROTECT, related_name="visit_schedules"
    )
    org_path = models.CharField(max_length=255, default="")
    week_start = models.DateField(_("周一日期"))
    status = models.CharField(_("状态"), max_length=10, choices=ScheduleStatus.choices, default=ScheduleStatus.DRAFT)
    generated_at = models.DateTimeField(_("生成时间"), default=timezone.now)
    confirmed_at = models.DateTimeField(_("确认时间"), null=True, blank=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        verbose_name = _("客户访问日程表")
        verbose_name_plural = _("客户访问日程表")
        ordering = ["-week_start"]
        constraints = [models.UniqueConstraint(fields=["owner", "week_start"], name="schedule_owner_week_uniq")]
        indexes = [
            models.Index(
                fields=["org_path", "week_start"], name="sched_path_idx", opclasses=["varchar_pattern_ops", ""]
            )
        ]

    def __str__(self):
        return f"{self.owner} {self.week_start}"

    @property
    def week_end(self):
        return self.week_start + timedelta(days=6)


class ItemSource(models.TextChoices):
    CADENCE = "cadence", _("维护到期")
    APPOINTMENT = "appointment", _("预约")
    MANUAL = "manual", _("手工添加")


class ScheduleItem(models.Model):
    schedule = models.ForeignKey(VisitSchedule, on_delete=models.CASCADE, related_name="items")
    customer = models.ForeignKey(
        "customers.Customer", verbose_name=_("客户"), on_delete=models.CASCADE, related_name="+"
    )
    day = models.DateField(_("日期"))
    position = models.PositiveSmallIntegerField(_("顺序"), default=0)
    source = models.CharField(_("来源"), max_length=12, choices=ItemSource.choices, default=ItemSource.MANUAL)
    appointment = models.ForeignKey(Appointment, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    area = models.CharField(_("片区"), max_length=100, blank=True)
    note = models.CharField(_("访问事项"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("日程条目")
        verbose_name_plural = _("日程条目")
        ordering = ["day", "position", "id"]
        constraints = [models.UniqueConstraint(fields=["schedule", "customer"], name="schedule_item_customer_uniq")]


class TaskStatus(models.TextChoices):
    OPEN = "open", _("待办")
    DONE = "done", _("已完成")
    CANCELLED = "cancelled", _("已取消")


class TaskSource(models.TextChoices):
    MANUAL = "manual", _("手工")
    NEXT_STEP = "next_step", _("服务记录下一步")
    HANDOVER = "handover", _("客户移交")


class Task(models.Model):
    """A follow-up to-do (待办) of a member of staff, optionally about a customer (SPEC §2, §3)."""

    SCOPE = STAFF_SCOPE

    owner = models.ForeignKey("org.User", verbose_name=_("负责人"), on_delete=models.PROTECT, related_name="work_tasks")
    org_path = models.CharField(max_length=255, default="")
    customer = models.ForeignKey(
        "customers.Customer", verbose_name=_("客户"), null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    title = models.CharField(_("事项"), max_length=200)
    detail = models.TextField(_("说明"), blank=True)
    due_on = models.DateField(_("完成期限"), null=True, blank=True)
    status = models.CharField(_("状态"), max_length=10, choices=TaskStatus.choices, default=TaskStatus.OPEN)
    source = models.CharField(_("来源"), max_length=10, choices=TaskSource.choices, default=TaskSource.MANUAL)
    source_interaction = models.ForeignKey(
        Interaction, null=True, blank=True, on_delete=models.SET_NULL, related_name="follow_up_tasks"
    )
    created_by = models.ForeignKey("org.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    done_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("待办事项")
        verbose_name_plural = _("待办事项")
        ordering = ["status", "due_on", "id"]
        indexes = [models.Index(fields=["owner", "status", "due_on"], name="task_owner_idx")]

    def __str__(self):
        return self.title


class JournalPeriod(models.TextChoices):
    DAY = "day", _("日")
    WEEK = "week", _("周")
    MONTH = "month", _("月")
    QUARTER = "quarter", _("季度")
    HALF = "half", _("半年")
    YEAR = "year", _("年")


class DueAnchor(models.TextChoices):
    START = "start", _("期初起算")
    END = "end", _("期末起算")
    NEXT_MONTH_DAY = "next_month_day", _("期末次月第 N 日")


class JournalTemplate(models.Model):
    """A kind of work journal, plan or summary with its parts and due-date rule (SPEC §3), e.g. the
    客户月度销售情况分析报告 due on the 5th of the next month, moved to the next working day."""

    code = models.CharField(_("代码"), max_length=40, unique=True)
    name = models.CharField(_("名称"), max_length=100)
    period = models.CharField(_("周期"), max_length=10, choices=JournalPeriod.choices)
    sections = models.JSONField(
        _("组成部分"), default=list, help_text=_('列表，每项 {"key": "...", "title": "...", "help": "..."}')
    )
    due_anchor = models.CharField(_("到期规则"), max_length=20, choices=DueAnchor.choices, default=DueAnchor.END)
    due_offset_days = models.SmallIntegerField(_("偏移天数"), default=0)
    due_day = models.PositiveSmallIntegerField(_("次月第几日"), default=5)
    move_to_working_day = models.BooleanField(_("节假日顺延"), default=True)
    required = models.BooleanField(
        _("必交"), default=False, help_text=_("必交的日志由系统按期为每位客户经理建立并跟踪逾期")
    )
    order = models.PositiveSmallIntegerField(_("排序"), default=100)
    is_active = models.BooleanField(_("启用"), default=True)

    class Meta:
        verbose_name = _("日志/计划/总结模板")
        verbose_name_plural = _("日志/计划/总结模板")
        ordering = ["order", "code"]

    def __str__(self):
        return self.name


class JournalStatus(models.TextChoices):
    DRAFT = "draft", _("草稿")
    SUBMITTED = "submitted", _("待审阅")
    APPROVED = "approved", _("已通过")
    RETURNED = "returned", _("已退回")


class Journal(models.Model):
    """A work journal, plan or summary for one period (SPEC §3): written, submitted to the supervisor,
    reviewed with comments, approved or returned (and then resubmitted)."""

    #: read: the author, the reviewer and the author's supervisor, whatever their roles, and the
    #: subtree of a team lead / manager (read-only for risk, compliance and assistants)
    SCOPE = ScopeSpec(personal_fields=("owner", "reviewer", "owner__supervisor"), path_fields=("org_path",))
    #: review (used with write=True): the reviewer, the author's supervisor, the leads and managers above
    REVIEW_SCOPE = ScopeSpec(personal_fields=("reviewer", "owner__supervisor"), path_fields=("org_path",))

    template = models.ForeignKey(JournalTemplate, verbose_name=_("类型"), on_delete=models.PROTECT, related_name="+")
    owner = models.ForeignKey("org.User", verbose_name=_("填报人"), on_delete=models.PROTECT, related_name="journals")
    org_path = models.CharField(max_length=255, default="")
    period_start = models.DateField(_("期间开始"))
    period_end = models.DateField(_("期间结束"))
    due_on = models.DateField(_("应交日期"))
    content = models.JSONField(_("内容"), default=dict)
    status = models.CharField(_("状态"), max_length=10, choices=JournalStatus.choices, default=JournalStatus.DRAFT)
    reviewer = models.ForeignKey(
        "org.User",
        verbose_name=_("审阅人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="journals_to_review",
    )
    submitted_at = models.DateTimeField(_("提交时间"), null=True, blank=True)
    reviewed_at = models.DateTimeField(_("审阅时间"), null=True, blank=True)
    review_comment = models.TextField(_("审阅意见"), blank=True)
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("工作日志")
        verbose_name_plural = _("工作日志")
        ordering = ["-period_start", "template__order"]
        constraints = [
            models.UniqueConstraint(fields=["template", "owner", "period_start"], name="journal_owner_period_uniq")
        ]
        indexes = [
            models.Index(fields=["owner", "status", "due_on"], name="journal_owner_idx"),
            models.Index(fields=["reviewer", "status"], name="journal_reviewer_idx"),
            models.Index(
                fields=["org_path", "status", "due_on"],
                name="journal_path_idx",
                opclasses=["varchar_pattern_ops", "", ""],
            ),
        ]

    def __str__(self):
        return f"{self.template.name} {self.period_label}"

    @property
    def period_label(self):
        if self.period_start == self.period_end:
            return self.period_start.isoformat()
        return f"{self.period_start.isoformat()} ~ {self.period_end.isoformat()}"

    @property
    def is_overdue(self):
        return self.status in (JournalStatus.DRAFT, JournalStatus.RETURNED) and self.due_on < timezone.localdate()


class JournalEvent(models.Model):
    """The review trail of a journal: submit, comment, approve, return."""

    journal = models.ForeignKey(Journal, on_delete=models.CASCADE, related_name="events")
    actor = models.ForeignKey("org.User", on_delete=models.PROTECT, related_name="+")
    action = models.CharField(max_length=10)
    comment = models.TextField(blank=True)
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["at", "id"]


class VisitWorkflow(models.Model):
    """How a door-to-door contact (上门拜访/上门服务) is made in this industry (issue 19; SPEC §3, §8): the bank's
    special service needs two staff present and the branch manager's approval in advance (seed 001:107); a
    telecom account manager's home visit (seed 004 入户服务规范) or a tobacco account manager's weekly store visit is
    made alone and needs no approval. One row (code "default"), loaded by the industry pack; without it, the
    bank's rule applies."""

    code = models.CharField(_("代码"), max_length=20, unique=True, default="default")
    name = models.CharField(_("名称"), max_length=100)
    door_to_door_staff = models.PositiveSmallIntegerField(
        _("上门服务最少在场员工数"), default=2, validators=[MinValueValidator(1), MaxValueValidator(5)]
    )
    door_to_door_needs_approval = models.BooleanField(
        _("上门服务须事先审批"), default=True, help_text=_("须有当天已批准的特殊服务申请（分管行长审批）")
    )

    class Meta:
        verbose_name = _("上门拜访规则")
        verbose_name_plural = _("上门拜访规则")

    def __str__(self):
        return self.name

    @classmethod
    def current(cls) -> "VisitWorkflow":
        return cls.objects.filter(code="default").first() or cls(name=str(_("银行上门服务（默认）")))


# --- the customer's chosen callback interval (issue 19, seed 004 电话回访: 您希望我们多长时间回访您一次) ---------


class CustomerIntervalMode(models.TextChoices):
    OFF = "off", _("不记录客户选择的回访周期")
    SHORTER = "shorter", _("取层级频率与客户选择中较短者")
    CUSTOMER = "customer", _("按客户选择（替代层级频率）")


class CadenceSetting(models.Model):
    """How an industry uses the interval a customer chose for being called back (issue 19): not at all (the
    bank: no row), as a shorter interval only (telecom VIP: the tier norms of seed 004 are minimums, a
    customer may ask for more frequent calls, never fewer), or in place of the tier rule (a customer who
    declines callbacks then leaves the due lists). One row (code "default"), loaded by the industry pack."""

    code = models.CharField(_("代码"), max_length=20, unique=True, default="default")
    customer_interval = models.CharField(
        _("客户选择的回访周期"),
        max_length=10,
        choices=CustomerIntervalMode.choices,
        default=CustomerIntervalMode.OFF,
        db_default=CustomerIntervalMode.OFF,
    )

    class Meta:
        verbose_name = _("联系频率设置")
        verbose_name_plural = _("联系频率设置")

    def __str__(self):
        return str(self.get_customer_interval_display())

    @classmethod
    def mode(cls) -> str:
        """The mode in force: the "default" row's, else off."""
        found = cls.objects.filter(code="default").values_list("customer_interval", flat=True).first()
        return found or CustomerIntervalMode.OFF


class ChosenInterval(models.Model):
    """The callback interval one customer chose (客户希望的回访周期), or their wish not to be called back.
    Data users enter: kept apart from ContactStatus, which `cadence.recompute_all()` rewrites, and never
    touched by a pack load. The cadence reads it when CadenceSetting says so."""

    customer = models.OneToOneField(
        "customers.Customer",
        verbose_name=_("客户"),
        primary_key=True,
        on_delete=models.CASCADE,
        related_name="chosen_interval",
    )
    interval_months = models.PositiveSmallIntegerField(_("间隔月数"), default=0, db_default=0)
    interval_days = models.PositiveSmallIntegerField(_("间隔天数"), default=0, db_default=0)
    declined = models.BooleanField(_("不需要回访"), default=False, db_default=False)
    note = models.CharField(_("备注"), max_length=200, blank=True, default="", db_default="")
    recorded_by = models.ForeignKey(
        "org.User", verbose_name=_("记录人"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    recorded_at = models.DateTimeField(_("记录时间"), default=timezone.now, db_default=Now())
    version = models.PositiveIntegerField(default=1, db_default=1)

    class Meta:
        verbose_name = _("客户选择的回访周期")
        verbose_name_plural = _("客户选择的回访周期")

    def __str__(self):
        return f"{self.customer_id} {self.display}"

    def next_due(self, last: date) -> date:
        return add_months(last, self.interval_months) + timedelta(days=self.interval_days)

    @property
    def display(self) -> str:
        """每 2 个月 / 每 45 天 / 客户谢绝回访."""
        if self.declined:
            return str(_("客户谢绝回访"))
        return interval_text(self.interval_months, self.interval_days)


def interval_text(months: int, days: int) -> str:
    """每 2 个月 / 每 1 个月 15 天 / 每 45 天."""
    if months and days:
        return str(_("每 %(m)d 个月 %(d)d 天") % {"m": months, "d": days})
    if months:
        return str(_("每 %(m)d 个月") % {"m": months})
    return str(_("每 %(d)d 天") % {"d": days})
