"""Data of the performance app (SPEC §9): the indicator library's settings over the kernel registry and
the manual indicators, scorecards with weights (direct or AHP), assessment runs with a snapshot of every
input value, appeals, target responsibility letters, incentive pay and promotion/demotion advice.

Figures come only through `rmdesk.core.indicators.registry()`; this app never reads other apps' models.
"""

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from rmdesk.core.indicators import Direction

USER = settings.AUTH_USER_MODEL
SCORE = {"max_digits": 9, "decimal_places": 4}
VALUE = {"max_digits": 20, "decimal_places": 4}
MONEY = {"max_digits": 14, "decimal_places": 2}


class IndicatorSource(models.TextChoices):
    COMPUTED = "computed", _("系统计算")
    MANUAL = "manual", _("手工录入")


class IndicatorSetting(models.Model):
    """One indicator of the library: a computed one (its code is an indicator of the kernel registry,
    declared by the app that owns the data; name, unit and direction may be overridden here) or a manual
    one entered by a supervisor with a note (SPEC §9)."""

    code = models.CharField(_("指标代码"), max_length=60, unique=True)
    name = models.CharField(_("指标名称"), max_length=80)
    unit = models.CharField(_("单位"), max_length=20, blank=True)
    direction = models.CharField(_("方向"), max_length=8, choices=Direction.choices, default=Direction.HIGHER)
    source = models.CharField(_("来源"), max_length=10, choices=IndicatorSource.choices, default=IndicatorSource.MANUAL)
    for_rm = models.BooleanField(_("适用于客户经理"), default=True)
    for_team = models.BooleanField(_("适用于团队"), default=True)
    for_unit = models.BooleanField(_("适用于机构"), default=True)
    is_kpi = models.BooleanField(_("KPI指标"), default=True, help_text=_("否：备选指标"))
    description = models.CharField(_("说明"), max_length=300, blank=True)
    is_active = models.BooleanField(_("启用"), default=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        verbose_name = _("考核指标")
        verbose_name_plural = _("考核指标")
        ordering = ["source", "code"]

    def __str__(self):
        return self.name


class ManualValue(models.Model):
    """A manual indicator's value for one RM and period, entered by a supervisor with a note."""

    indicator = models.ForeignKey(IndicatorSetting, verbose_name=_("指标"), on_delete=models.PROTECT, related_name="+")
    rm = models.ForeignKey(USER, verbose_name=_("客户经理"), on_delete=models.PROTECT, related_name="+")
    org_path = models.CharField(max_length=255, default="")
    period_start = models.DateField(_("期间开始"))
    period_end = models.DateField(_("期间结束"))
    value = models.DecimalField(_("数值"), **VALUE)
    note = models.CharField(_("说明"), max_length=300)
    entered_by = models.ForeignKey(USER, verbose_name=_("录入人"), on_delete=models.PROTECT, related_name="+")
    entered_at = models.DateTimeField(_("录入时间"), default=timezone.now)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        verbose_name = _("手工指标值")
        verbose_name_plural = _("手工指标值")
        constraints = [
            models.UniqueConstraint(fields=["indicator", "rm", "period_start", "period_end"], name="perf_manual_once")
        ]
        indexes = [models.Index(fields=["period_start", "period_end"], name="perf_manual_period_idx")]


class ManualValueVersion(models.Model):
    """A superseded value of a manual indicator (SPEC §9): when a supervisor changes an entered value, the
    previous one is kept here with who entered it, when and their note, so the history is never lost. A
    published run's snapshot (ResultItem) holds the value it read and is never touched by a later edit."""

    manual_value = models.ForeignKey(ManualValue, on_delete=models.CASCADE, related_name="history")
    version = models.PositiveIntegerField(_("版本"))
    value = models.DecimalField(_("数值"), **VALUE)
    note = models.CharField(_("说明"), max_length=300)
    entered_by = models.ForeignKey(USER, verbose_name=_("录入人"), on_delete=models.PROTECT, related_name="+")
    entered_at = models.DateTimeField(_("录入时间"))

    class Meta:
        verbose_name = _("手工指标值历史版本")
        verbose_name_plural = _("手工指标值历史版本")
        ordering = ["-version"]
        constraints = [models.UniqueConstraint(fields=["manual_value", "version"], name="perf_manual_version_once")]


class PeriodType(models.TextChoices):
    MONTHLY = "monthly", _("月度")
    QUARTERLY = "quarterly", _("季度")
    ANNUAL = "annual", _("年度")
    UNSCHEDULED = "unscheduled", _("不定期")


class WeightMethod(models.TextChoices):
    DIRECT = "direct", _("直接赋权")
    AHP = "ahp", _("层次分析法(AHP)")


class GradeMethod(models.TextChoices):
    THRESHOLDS = "thresholds", _("按分数线")
    FORCED = "forced", _("强制分布")


class Grade(models.TextChoices):
    EXCELLENT = "excellent", _("优秀")
    GOOD = "good", _("良好")
    PASS = "pass", _("合格")
    BASIC = "basic", _("基本合格")
    FAIL = "fail", _("不合格")


#: documented defaults (the seeds give no cut-offs): the lowest score of each grade, and the forced-distribution
#: ceilings in percent of the RMs assessed (the rest are 不合格)
DEFAULT_THRESHOLDS = {"excellent": 90, "good": 80, "pass": 70, "basic": 60}
DEFAULT_QUOTAS = {"excellent": 15, "good": 35, "pass": 40, "basic": 7}


class Scorecard(models.Model):
    """A scorecard for a position, RM level and period type, versioned per year (SPEC §9: customer
    indicators' weight rises year by year). Weights are entered directly or derived by AHP; a matrix with
    CR ≥ 0.1 is refused."""

    name = models.CharField(_("名称"), max_length=100)
    year = models.PositiveSmallIntegerField(_("年度"))
    unit = models.ForeignKey(
        "org.OrgUnit",
        verbose_name=_("制定机构"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("空：全行通用（由系统管理员维护）"),
    )
    org_path = models.CharField(max_length=255, default="", blank=True)
    position = models.CharField(_("岗位"), max_length=50, blank=True, help_text=_("空：所有岗位"))
    rm_level = models.CharField(
        _("客户经理等级"),
        max_length=1,
        blank=True,
        choices=[("3", _("三级客户经理")), ("2", _("二级客户经理")), ("1", _("一级客户经理"))],
        help_text=_("空：所有等级"),
    )
    period_type = models.CharField(_("考核周期"), max_length=12, choices=PeriodType.choices)
    weight_method = models.CharField(
        _("赋权方式"), max_length=8, choices=WeightMethod.choices, default=WeightMethod.DIRECT
    )
    ahp_matrix = models.JSONField(_("判断矩阵"), default=list, blank=True)
    ahp_cr = models.DecimalField(_("一致性比率 CR"), max_digits=8, decimal_places=4, null=True, blank=True)
    grade_method = models.CharField(
        _("评级方式"), max_length=12, choices=GradeMethod.choices, default=GradeMethod.THRESHOLDS
    )
    thresholds = models.JSONField(_("等次分数线"), default=dict, blank=True)
    quotas = models.JSONField(_("强制分布比例(%)"), default=dict, blank=True)
    appeal_days = models.PositiveSmallIntegerField(_("申诉期(工作日)"), default=5)
    is_active = models.BooleanField(_("启用"), default=True)
    created_by = models.ForeignKey(
        USER, verbose_name=_("制定人"), null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("制定时间"), default=timezone.now)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        verbose_name = _("考核方案")
        verbose_name_plural = _("考核方案")
        ordering = ["-year", "name"]

    def __str__(self):
        return f"{self.name}（{self.year}）"


class ItemKind(models.TextChoices):
    QUANTITATIVE = "quantitative", _("定量指标")
    QUALITATIVE = "qualitative", _("定性评分")
    DEDUCTION = "deduction", _("扣分项")


class Normalisation(models.TextChoices):
    LINEAR = "linear", _("线性隶属度")
    COMPLETION = "completion", _("目标完成率")


class ScorecardItem(models.Model):
    """One line of a scorecard: an indicator with its weight Q and its normalisation to μ ∈ [0, 1]
    (linear membership between x_low and x_high, reversed for lower-is-better, or completion of the target
    letter's figure with a cap), a qualitative item scored 0–100 by the supervisor, or a deduction
    (points per unit of the indicator, e.g. compliance violations) subtracted from 100·Σμ·Q."""

    scorecard = models.ForeignKey(Scorecard, on_delete=models.CASCADE, related_name="items")
    order = models.PositiveSmallIntegerField(_("顺序"), default=0)
    kind = models.CharField(_("类型"), max_length=12, choices=ItemKind.choices, default=ItemKind.QUANTITATIVE)
    indicator = models.ForeignKey(
        IndicatorSetting, verbose_name=_("指标"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    label = models.CharField(_("名称"), max_length=80, blank=True, help_text=_("定性评分项的名称"))
    weight = models.DecimalField(_("权重 Q"), max_digits=8, decimal_places=6, default=Decimal(0))
    normalisation = models.CharField(
        _("标准化方式"), max_length=12, choices=Normalisation.choices, default=Normalisation.LINEAR
    )
    x_low = models.DecimalField(_("下限 x1"), null=True, blank=True, **VALUE)
    x_high = models.DecimalField(_("上限 x2"), null=True, blank=True, **VALUE)
    target = models.DecimalField(_("默认目标"), null=True, blank=True, **VALUE)
    cap = models.DecimalField(_("完成率封顶"), max_digits=6, decimal_places=3, default=Decimal("1"))
    points = models.DecimalField(_("每单位扣分"), max_digits=8, decimal_places=3, default=Decimal("1"))

    class Meta:
        verbose_name = _("考核方案指标")
        verbose_name_plural = _("考核方案指标")
        ordering = ["scorecard", "order", "id"]

    def __str__(self):
        return self.title

    @property
    def title(self):
        return self.label or (self.indicator.name if self.indicator_id else "")


class RunStatus(models.TextChoices):
    COMPUTED = "computed", _("已计算")
    REVIEWED = "reviewed", _("已复核")
    PUBLISHED = "published", _("已发布")
    CLOSED = "closed", _("已关闭")


class AssessmentRun(models.Model):
    """One assessment of a unit's RMs for a period with one scorecard. Computing it snapshots every input
    value (ResultItem), so a published result never changes when the data changes later."""

    scorecard = models.ForeignKey(Scorecard, verbose_name=_("考核方案"), on_delete=models.PROTECT, related_name="runs")
    unit = models.ForeignKey("org.OrgUnit", verbose_name=_("考核机构"), on_delete=models.PROTECT, related_name="+")
    org_path = models.CharField(max_length=255)
    period_type = models.CharField(_("考核周期"), max_length=12, choices=PeriodType.choices)
    period_start = models.DateField(_("期间开始"))
    period_end = models.DateField(_("期间结束"))
    label = models.CharField(_("期间"), max_length=40)
    status = models.CharField(_("状态"), max_length=10, choices=RunStatus.choices, default=RunStatus.COMPUTED)
    computed_at = models.DateTimeField(_("计算时间"), default=timezone.now)
    computed_by = models.ForeignKey(
        USER, verbose_name=_("计算人"), null=True, on_delete=models.SET_NULL, related_name="+"
    )
    reviewed_by = models.ForeignKey(
        USER, verbose_name=_("复核人"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    published_at = models.DateTimeField(_("发布时间"), null=True, blank=True)
    appeal_until = models.DateField(_("申诉截止日"), null=True, blank=True)
    closed_at = models.DateTimeField(_("关闭时间"), null=True, blank=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        verbose_name = _("考核批次")
        verbose_name_plural = _("考核批次")
        ordering = ["-period_start", "-id"]
        indexes = [models.Index(fields=["org_path"], name="perf_run_path_idx", opclasses=["varchar_pattern_ops"])]

    def __str__(self):
        return f"{self.scorecard.name} {self.label}"

    @property
    def is_frozen(self):
        return self.status in (RunStatus.PUBLISHED, RunStatus.CLOSED)


class AssessmentResult(models.Model):
    """One RM's result in a run: score = 100·Σμ·Q − deductions, grade, rank in team and unit."""

    run = models.ForeignKey(AssessmentRun, on_delete=models.CASCADE, related_name="results")
    rm = models.ForeignKey(USER, verbose_name=_("客户经理"), on_delete=models.PROTECT, related_name="+")
    team = models.ForeignKey(
        "org.OrgUnit", verbose_name=_("团队"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    org_path = models.CharField(max_length=255)
    rm_level = models.CharField(_("客户经理等级"), max_length=1, blank=True)
    gross = models.DecimalField(_("加权得分"), **SCORE)
    deductions = models.DecimalField(_("扣分"), **SCORE)
    score = models.DecimalField(_("得分"), **SCORE)
    grade = models.CharField(_("等次"), max_length=10, choices=Grade.choices, blank=True)
    rank_team = models.PositiveIntegerField(_("团队排名"), null=True, blank=True)
    rank_unit = models.PositiveIntegerField(_("机构排名"), null=True, blank=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        verbose_name = _("考核结果")
        verbose_name_plural = _("考核结果")
        ordering = ["run", "rank_unit", "id"]
        constraints = [models.UniqueConstraint(fields=["run", "rm"], name="perf_result_once")]
        indexes = [
            models.Index(fields=["org_path"], name="perf_result_path_idx", opclasses=["varchar_pattern_ops"]),
            models.Index(fields=["rm", "run"], name="perf_result_rm_idx"),
        ]

    def __str__(self):
        return f"{self.rm} {self.score}"


class ResultItem(models.Model):
    """The snapshot of one input of a result: the value (and a rate's numerator and denominator), the target,
    μ and the points it gave, with the item's name, unit and weight as they were."""

    result = models.ForeignKey(AssessmentResult, on_delete=models.CASCADE, related_name="items")
    item = models.ForeignKey(ScorecardItem, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(_("类型"), max_length=12, choices=ItemKind.choices)
    code = models.CharField(_("指标代码"), max_length=60, blank=True)
    name = models.CharField(_("名称"), max_length=80)
    unit = models.CharField(_("单位"), max_length=20, blank=True)
    weight = models.DecimalField(_("权重 Q"), max_digits=8, decimal_places=6)
    value = models.DecimalField(_("数值"), null=True, blank=True, **VALUE)
    numerator = models.DecimalField(_("分子"), null=True, blank=True, **VALUE)
    denominator = models.DecimalField(_("分母"), null=True, blank=True, **VALUE)
    target = models.DecimalField(_("目标"), null=True, blank=True, **VALUE)
    mu = models.DecimalField(_("隶属度 μ"), **SCORE)
    points = models.DecimalField(_("得分"), **SCORE)

    class Meta:
        verbose_name = _("考核明细")
        verbose_name_plural = _("考核明细")
        ordering = ["result", "item__order", "id"]


class AppealStatus(models.TextChoices):
    PENDING = "pending", _("审批中")
    UPHELD = "upheld", _("申诉成立")
    REJECTED = "rejected", _("申诉驳回")
    WITHDRAWN = "withdrawn", _("已撤回")


class Appeal(models.Model):
    """An RM's appeal against a published result within the run's window, decided through the kernel's
    approval chain of kind "performance.appeal". An upheld appeal lets the supervisor re-score the
    qualitative items of that one result (the computed inputs stay as snapshotted)."""

    result = models.ForeignKey(AssessmentResult, on_delete=models.CASCADE, related_name="appeals")
    reason = models.TextField(_("申诉理由"))
    status = models.CharField(_("状态"), max_length=10, choices=AppealStatus.choices, default=AppealStatus.PENDING)
    request = models.ForeignKey(
        "core.ApprovalRequest", verbose_name=_("审批"), null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("申诉时间"), default=timezone.now)
    decided_at = models.DateTimeField(_("处理时间"), null=True, blank=True)
    revised = models.BooleanField(_("已重新评分"), default=False)

    class Meta:
        verbose_name = _("考核申诉")
        verbose_name_plural = _("考核申诉")
        ordering = ["-created_at"]


class LetterStatus(models.TextChoices):
    DRAFT = "draft", _("草稿")
    PENDING = "pending", _("变更审批中")
    SIGNING = "signing", _("待签署")
    ACTIVE = "active", _("生效")
    SUPERSEDED = "superseded", _("已被替代")


class TargetLetter(models.Model):
    """任务目标责任书: per RM per year, proposed by the supervisor, signed electronically by both (SHA-256 of
    the exact text); a change is a new version approved through the chain, which replaces the active one
    once both sign it (SPEC §9; seed 001:277)."""

    rm = models.ForeignKey(USER, verbose_name=_("客户经理"), on_delete=models.PROTECT, related_name="+")
    org_path = models.CharField(max_length=255)
    year = models.PositiveSmallIntegerField(_("年度"))
    number = models.PositiveSmallIntegerField(_("版本"), default=1)
    status = models.CharField(_("状态"), max_length=10, choices=LetterStatus.choices, default=LetterStatus.DRAFT)
    terms = models.TextField(_("奖惩措施及其他约定"), blank=True)
    text = models.TextField(_("责任书全文"), blank=True)
    text_hash = models.CharField(_("全文摘要(SHA-256)"), max_length=64, blank=True)
    proposed_by = models.ForeignKey(USER, verbose_name=_("下达人"), on_delete=models.PROTECT, related_name="+")
    supervisor_signed_at = models.DateTimeField(_("上级签署时间"), null=True, blank=True)
    rm_signed_at = models.DateTimeField(_("客户经理签署时间"), null=True, blank=True)
    request = models.ForeignKey(
        "core.ApprovalRequest",
        verbose_name=_("变更审批"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(default=timezone.now)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        verbose_name = _("任务目标责任书")
        verbose_name_plural = _("任务目标责任书")
        ordering = ["-year", "rm", "-number"]
        constraints = [models.UniqueConstraint(fields=["rm", "year", "number"], name="perf_letter_version_once")]

    def __str__(self):
        return f"{self.rm} {self.year} v{self.number}"


class TargetLine(models.Model):
    """A target of a letter: the year's figure split by quarter and by month."""

    letter = models.ForeignKey(TargetLetter, on_delete=models.CASCADE, related_name="lines")
    indicator = models.ForeignKey(IndicatorSetting, verbose_name=_("指标"), on_delete=models.PROTECT, related_name="+")
    annual = models.DecimalField(_("年度目标"), **VALUE)
    quarters = models.JSONField(_("分季度"), default=list)
    months = models.JSONField(_("分月度"), default=list)

    class Meta:
        verbose_name = _("目标")
        verbose_name_plural = _("目标")
        constraints = [models.UniqueConstraint(fields=["letter", "indicator"], name="perf_target_once")]


class PayRule(models.Model):
    """Incentive configuration (SPEC §9; seed 001:1157): post pay per RM level (岗位工资), performance pay
    per unit of an indicator at its product price (效益工资, 产品计价), reward pay when an indicator reaches a
    threshold (奖励工资), and the deferred share of the performance and reward pay."""

    class Kind(models.TextChoices):
        POST = "post", _("岗位工资")
        PRICE = "price", _("效益工资（产品计价）")
        REWARD = "reward", _("奖励工资")
        DEFER = "defer", _("延期支付比例")

    kind = models.CharField(_("类型"), max_length=8, choices=Kind.choices)
    rm_level = models.CharField(_("客户经理等级"), max_length=1, blank=True)
    indicator = models.ForeignKey(
        IndicatorSetting, verbose_name=_("指标"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    amount = models.DecimalField(_("金额/单价/比例"), max_digits=14, decimal_places=4)
    threshold = models.DecimalField(_("达标值"), null=True, blank=True, **VALUE)
    is_active = models.BooleanField(_("启用"), default=True)
    version = models.PositiveIntegerField(default=1, db_default=1)

    class Meta:
        verbose_name = _("薪酬规则")
        verbose_name_plural = _("薪酬规则")
        ordering = ["kind", "rm_level", "id"]


class PayLine(models.Model):
    """One RM's pay for a run (Decimal yuan): post + performance + reward, of which a share is deferred."""

    result = models.OneToOneField(AssessmentResult, on_delete=models.CASCADE, related_name="pay")
    post_pay = models.DecimalField(_("岗位工资"), **MONEY)
    performance_pay = models.DecimalField(_("效益工资"), **MONEY)
    reward_pay = models.DecimalField(_("奖励工资"), **MONEY)
    total = models.DecimalField(_("应发合计"), **MONEY)
    deferred = models.DecimalField(_("延期支付"), **MONEY)
    paid_now = models.DecimalField(_("本期实发"), **MONEY)
    detail = models.JSONField(_("计算明细"), default=list)

    class Meta:
        verbose_name = _("薪酬明细")
        verbose_name_plural = _("薪酬明细")


class PromotionRule(models.Model):
    """Advice from consecutive grades (SPEC §9): e.g. two annual 优秀 → promote one level; 不合格 twice →
    demote one level."""

    class Move(models.TextChoices):
        UP = "up", _("晋升")
        DOWN = "down", _("降级")

    move = models.CharField(_("建议"), max_length=4, choices=Move.choices)
    grade = models.CharField(_("等次"), max_length=10, choices=Grade.choices)
    consecutive = models.PositiveSmallIntegerField(_("连续次数"), default=2)
    period_type = models.CharField(_("考核周期"), max_length=12, choices=PeriodType.choices, default=PeriodType.ANNUAL)
    is_active = models.BooleanField(_("启用"), default=True)
    version = models.PositiveIntegerField(default=1, db_default=1)

    class Meta:
        verbose_name = _("晋降级规则")
        verbose_name_plural = _("晋降级规则")


_LEVELS = {"3": _("三级客户经理"), "2": _("二级客户经理"), "1": _("一级客户经理")}


def level_label(code: str):
    """The label of an RM level code; blank means removed from the RM grades."""
    return _LEVELS.get(code, _("免去客户经理等级"))


class AdviceStatus(models.TextChoices):
    OPEN = "open", _("待处理")
    PENDING = "pending", _("审批中")
    APPROVED = "approved", _("已批准")
    REJECTED = "rejected", _("未批准")
    DISMISSED = "dismissed", _("不予采纳")


class LevelAdvice(models.Model):
    """A promotion or demotion advice for an RM; the level changes only when its approval is granted. The
    approved advices are the RM's level history."""

    rm = models.ForeignKey(USER, verbose_name=_("客户经理"), on_delete=models.PROTECT, related_name="+")
    org_path = models.CharField(max_length=255)
    rule = models.ForeignKey(PromotionRule, verbose_name=_("规则"), null=True, on_delete=models.SET_NULL)
    move = models.CharField(_("建议"), max_length=4, choices=PromotionRule.Move.choices)
    from_level = models.CharField(_("原等级"), max_length=1, blank=True)
    to_level = models.CharField(_("建议等级"), max_length=1, blank=True)
    basis = models.CharField(_("依据"), max_length=300)
    status = models.CharField(_("状态"), max_length=10, choices=AdviceStatus.choices, default=AdviceStatus.OPEN)
    request = models.ForeignKey(
        "core.ApprovalRequest",
        verbose_name=_("审批"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(default=timezone.now)
    decided_at = models.DateTimeField(null=True, blank=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        verbose_name = _("晋降级建议")
        verbose_name_plural = _("晋降级建议")
        ordering = ["-created_at"]

    @property
    def from_label(self):
        return level_label(self.from_level)

    @property
    def to_label(self):
        return level_label(self.to_level)


class GroupLevel(models.TextChoices):
    TEAM = "team", _("团队")
    UNIT = "unit", _("机构")


class GroupResult(models.Model):
    """A team's or a unit's result in a run, rolled up from its RMs' snapshot rows (SPEC §9 "subject levels
    RM, team, unit"): sums add up, rates are Σnumerator/Σdenominator (the kernel's `rollup`), never a mean of
    rates. Its own score applies the run's scorecard to the per-RM figures (a sum divided by the headcount, a
    rate as it is, completion as Σvalue/Σtarget), so the RM scale x1..x2 still fits; its grade follows the
    scorecard's thresholds. Written with the run's results, so it is as frozen as they are once published."""

    run = models.ForeignKey(AssessmentRun, on_delete=models.CASCADE, related_name="groups")
    unit = models.ForeignKey("org.OrgUnit", verbose_name=_("团队/机构"), on_delete=models.PROTECT, related_name="+")
    org_path = models.CharField(max_length=255)
    level = models.CharField(_("层级"), max_length=8, choices=GroupLevel.choices)
    members = models.PositiveIntegerField(_("客户经理人数"))
    mean_score = models.DecimalField(_("客户经理平均得分"), **SCORE)
    gross = models.DecimalField(_("加权得分"), **SCORE)
    deductions = models.DecimalField(_("人均扣分"), **SCORE)
    score = models.DecimalField(_("得分"), **SCORE)
    grade = models.CharField(_("等次"), max_length=10, choices=Grade.choices, blank=True)
    rank = models.PositiveIntegerField(_("同级排名"), null=True, blank=True)
    items = models.JSONField(_("指标汇总"), default=list)

    class Meta:
        verbose_name = _("团队/机构考核结果")
        verbose_name_plural = _("团队/机构考核结果")
        ordering = ["run", "level", "rank", "id"]
        constraints = [models.UniqueConstraint(fields=["run", "unit"], name="perf_group_once")]
        indexes = [models.Index(fields=["org_path"], name="perf_group_path_idx", opclasses=["varchar_pattern_ops"])]

    def __str__(self):
        return f"{self.unit} {self.score}"
