"""Data of the people app (人才培养, SPEC §9 job fit and §10 people development): DISC profiles and job
models, training courses, sessions and attendance with exam scores and training points (培训积分),
the training policy (the renewal threshold), half-yearly RM meetings, quarterly inspections with their
findings, and the yearly career plan.

Scope: every record about a person carries `person` and `org_path`, a copy of the person's team (or
unit) path when it was written, so the person sees their own records and the subtree managers and
read-only overseers find them with one indexed prefix scan (scope.py). Certificates are org's
`Qualification` (read here, never duplicated).
"""

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

USER = settings.AUTH_USER_MODEL
FACTORS = ("d", "i", "s", "c")
SCORE = [MinValueValidator(0), MaxValueValidator(100)]


def _score_field(label):
    return models.PositiveSmallIntegerField(label, validators=SCORE)


# --- DISC job fit (SPEC §9, seed 002:79–161) ----------------------------------------------------------


class JobModel(models.Model):
    """A post's DISC model (岗位模型): the seeds' RM model is D32 I72 S46 C57, built from 10 top RMs and
    4 supervisors; each organisation builds its own (seed 002:157), so administrators edit them."""

    code = models.CharField(_("模型代码"), max_length=30, unique=True)
    name = models.CharField(_("岗位模型"), max_length=60)
    d = _score_field(_("支配型 D"))
    i = _score_field(_("影响型 I"))
    s = _score_field(_("稳健型 S"))
    c = _score_field(_("谨慎型 C"))
    note = models.CharField(_("说明"), max_length=200, blank=True)
    is_active = models.BooleanField(_("启用"), default=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        verbose_name = _("DISC 岗位模型")
        verbose_name_plural = _("DISC 岗位模型")
        ordering = ["code"]

    def __str__(self):
        return self.name

    def scores(self) -> dict:
        return {f: getattr(self, f) for f in FACTORS}


class DiscProfile(models.Model):
    """One DISC test result of a person (inner 内在 and outer 外在 D, I, S, C, 0–100), dated; the
    history is the list of a person's profiles, the latest by test date is current."""

    person = models.ForeignKey(USER, verbose_name=_("员工"), on_delete=models.CASCADE, related_name="disc_profiles")
    org_path = models.CharField(max_length=255, db_index=True)
    taken_on = models.DateField(_("测评日期"))
    source = models.CharField(_("测评来源"), max_length=100, blank=True)
    inner_d = _score_field(_("内在 D"))
    inner_i = _score_field(_("内在 I"))
    inner_s = _score_field(_("内在 S"))
    inner_c = _score_field(_("内在 C"))
    outer_d = _score_field(_("外在 D"))
    outer_i = _score_field(_("外在 I"))
    outer_s = _score_field(_("外在 S"))
    outer_c = _score_field(_("外在 C"))
    recorded_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("DISC 测评")
        verbose_name_plural = _("DISC 测评")
        ordering = ["-taken_on", "-id"]
        indexes = [models.Index(fields=["person", "-taken_on"])]

    def inner(self) -> dict:
        return {f: getattr(self, f"inner_{f}") for f in FACTORS}

    def outer(self) -> dict:
        return {f: getattr(self, f"outer_{f}") for f in FACTORS}


# --- training (SPEC §10, seed 001:267, 002:173) -------------------------------------------------------


class CourseMode(models.TextChoices):
    CLASSROOM = "classroom", _("集中培训")
    COACHING = "coaching", _("到网点一对一辅导")
    ONLINE = "online", _("网络培训")


class Course(models.Model):
    """A training course of the catalogue: hours, the training points a pass earns, and the exam's pass
    mark (no pass mark: attendance alone earns the points)."""

    code = models.CharField(_("课程代码"), max_length=30, unique=True)
    name = models.CharField(_("课程名称"), max_length=100)
    mode = models.CharField(_("培训方式"), max_length=20, choices=CourseMode.choices, default=CourseMode.CLASSROOM)
    hours = models.DecimalField(_("学时"), max_digits=5, decimal_places=1, validators=[MinValueValidator(0)])
    points = models.DecimalField(_("培训积分"), max_digits=5, decimal_places=1, validators=[MinValueValidator(0)])
    pass_score = models.DecimalField(
        _("考试合格分"), max_digits=5, decimal_places=1, null=True, blank=True, validators=SCORE
    )
    is_active = models.BooleanField(_("启用"), default=True)

    class Meta:
        verbose_name = _("培训课程")
        verbose_name_plural = _("培训课程")
        ordering = ["code"]

    def __str__(self):
        return self.name


class TrainingSession(models.Model):
    """One run of a course, organised by a unit (its path frames who sees it besides the attendees)."""

    course = models.ForeignKey(Course, verbose_name=_("课程"), on_delete=models.PROTECT, related_name="sessions")
    unit = models.ForeignKey("org.OrgUnit", verbose_name=_("组织机构"), on_delete=models.PROTECT, related_name="+")
    org_path = models.CharField(max_length=255, db_index=True)
    held_on = models.DateField(_("培训日期"))
    place = models.CharField(_("地点"), max_length=100, blank=True)
    trainer = models.CharField(_("讲师"), max_length=50, blank=True)
    created_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("培训班次")
        verbose_name_plural = _("培训班次")
        ordering = ["-held_on", "-id"]


class Attendance(models.Model):
    """A person's attendance of a session, the exam score and the points and hours it earned."""

    session = models.ForeignKey(TrainingSession, on_delete=models.CASCADE, related_name="attendances")
    person = models.ForeignKey(USER, verbose_name=_("学员"), on_delete=models.CASCADE, related_name="attendances")
    org_path = models.CharField(max_length=255, db_index=True)
    held_on = models.DateField(_("培训日期"))  # the session's, copied so period sums need no join
    attended = models.BooleanField(_("出勤"), default=True)
    exam_score = models.DecimalField(
        _("考试成绩"), max_digits=5, decimal_places=1, null=True, blank=True, validators=SCORE
    )
    points = models.DecimalField(_("培训积分"), max_digits=5, decimal_places=1, default=Decimal(0))
    hours = models.DecimalField(_("学时"), max_digits=5, decimal_places=1, default=Decimal(0))
    recorded_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    version = models.PositiveIntegerField(default=1)

    class Meta:
        verbose_name = _("培训出勤")
        verbose_name_plural = _("培训出勤")
        constraints = [models.UniqueConstraint(fields=["session", "person"], name="people_attendance_once")]
        indexes = [models.Index(fields=["person", "held_on"])]


class TrainingPolicy(models.Model):
    """The training-points rule of renewal (培训积分作为客户经理能否续聘的重要依据, seed 002:173): the
    points required within the window before the appointment's renewal, and when to remind. One row
    (code "default"), seeded and edited by administrators."""

    code = models.CharField(max_length=20, unique=True, default="default")
    required_points = models.DecimalField(
        _("续聘所需培训积分"), max_digits=6, decimal_places=1, validators=[MinValueValidator(0)]
    )
    window_months = models.PositiveSmallIntegerField(
        _("积分统计期（月）"), validators=[MinValueValidator(1), MaxValueValidator(60)]
    )
    remind_days = models.PositiveSmallIntegerField(
        _("续聘前提醒天数"), validators=[MinValueValidator(1), MaxValueValidator(366)]
    )
    cert_warning_days = models.PositiveSmallIntegerField(
        _("证书到期提醒天数"), validators=[MinValueValidator(1), MaxValueValidator(366)]
    )
    version = models.PositiveIntegerField(default=1)

    class Meta:
        verbose_name = _("培训积分规则")
        verbose_name_plural = _("培训积分规则")


# --- meetings, inspections, career plans (SPEC §10, seed 001:249, 271, 273) ------------------------


class Meeting(models.Model):
    """A half-yearly RM work meeting (半年组织一次个人客户经理工作会议) with its minutes and attendees."""

    unit = models.ForeignKey("org.OrgUnit", verbose_name=_("组织机构"), on_delete=models.PROTECT, related_name="+")
    org_path = models.CharField(max_length=255, db_index=True)
    year = models.PositiveSmallIntegerField(_("年度"))
    half = models.PositiveSmallIntegerField(_("半年"), choices=[(1, _("上半年")), (2, _("下半年"))])
    held_on = models.DateField(_("会议日期"))
    title = models.CharField(_("会议主题"), max_length=100)
    minutes = models.TextField(_("会议纪要"), max_length=10000, blank=True)
    attendees = models.ManyToManyField(USER, verbose_name=_("参会人员"), related_name="people_meetings")
    organiser = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    version = models.PositiveIntegerField(default=1)

    class Meta:
        verbose_name = _("客户经理工作会议")
        verbose_name_plural = _("客户经理工作会议")
        ordering = ["-held_on", "-id"]


class Inspection(models.Model):
    """A quarterly inspection of an RM's work (按季检查, seed 001:273): score = 100 − Σ deductions of the
    findings, never below 0; the score feeds assessment (indicators.py)."""

    person = models.ForeignKey(USER, verbose_name=_("客户经理"), on_delete=models.CASCADE, related_name="inspections")
    org_path = models.CharField(max_length=255, db_index=True)
    year = models.PositiveSmallIntegerField(_("年度"))
    quarter = models.PositiveSmallIntegerField(_("季度"), validators=[MinValueValidator(1), MaxValueValidator(4)])
    inspected_on = models.DateField(_("检查日期"))
    inspector = models.ForeignKey(USER, verbose_name=_("检查人"), on_delete=models.PROTECT, related_name="+")
    summary = models.TextField(_("检查结论"), max_length=5000, blank=True)
    score = models.DecimalField(_("检查得分"), max_digits=5, decimal_places=1)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("季度检查")
        verbose_name_plural = _("季度检查")
        ordering = ["-year", "-quarter", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["person", "year", "quarter"], name="people_inspection_per_quarter")
        ]
        indexes = [models.Index(fields=["person", "inspected_on"])]


class FindingArea(models.TextChoices):
    ARCHIVE = "archive", _("客户档案")
    CONTACT = "contact", _("客户维护与走访")
    JOURNAL = "journal", _("工作日志")
    SALES = "sales", _("营销与销售")
    COMPLIANCE = "compliance", _("合规操作")
    SERVICE = "service", _("服务质量")


class Finding(models.Model):
    inspection = models.ForeignKey(Inspection, on_delete=models.CASCADE, related_name="findings")
    order = models.PositiveSmallIntegerField()
    area = models.CharField(_("检查项目"), max_length=20, choices=FindingArea.choices)
    description = models.CharField(_("发现问题"), max_length=300)
    deduction = models.DecimalField(_("扣分"), max_digits=5, decimal_places=1)

    class Meta:
        ordering = ["order"]


class PlanStatus(models.TextChoices):
    DRAFT = "draft", _("编制中")
    SUBMITTED = "submitted", _("已提交")
    REVIEWED = "reviewed", _("已评议")


class CareerPlan(models.Model):
    """An RM's yearly career development plan (职业生涯发展规划, seed 001:249): goals and development
    actions written by the RM, submitted, then reviewed by a supervisor at year end."""

    person = models.ForeignKey(USER, verbose_name=_("客户经理"), on_delete=models.CASCADE, related_name="career_plans")
    org_path = models.CharField(max_length=255, db_index=True)
    year = models.PositiveSmallIntegerField(_("年度"))
    goals = models.TextField(_("发展目标"), max_length=5000)
    actions = models.TextField(_("发展措施"), max_length=5000, blank=True)
    status = models.CharField(_("状态"), max_length=20, choices=PlanStatus.choices, default=PlanStatus.DRAFT)
    review = models.TextField(_("评议意见"), max_length=5000, blank=True)
    reviewed_by = models.ForeignKey(USER, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    reviewed_at = models.DateTimeField(null=True, blank=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        verbose_name = _("职业生涯规划")
        verbose_name_plural = _("职业生涯规划")
        ordering = ["-year", "-id"]
        constraints = [models.UniqueConstraint(fields=["person", "year"], name="people_plan_per_year")]
