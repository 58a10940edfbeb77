"""Request and response schemas of the performance API (SPEC §9, §12). Names carry the app's prefix
(schema names are unique across apps); every edit of a shared record names the `version` it read."""

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated

from ninja import Schema
from pydantic import Field

from rmdesk.core.bounds import Count, Day, Id

Text = Annotated[str, Field(max_length=200)]
LongText = Annotated[str, Field(max_length=5000)]
Value = Annotated[Decimal, Field(max_digits=20, decimal_places=4, ge=-(10**15), le=10**15)]
Cell = Annotated[float, Field(allow_inf_nan=False)]
Year = Annotated[int, Field(ge=2000, le=2100)]


class PerformanceAhpIn(Schema):
    matrix: list[list[Cell]] = Field(..., max_length=15, description="判断矩阵：a[i][j] 为指标 i 相对 j 的重要性")


class PerformanceAhpOut(Schema):
    weights: list[float]
    lambda_max: float
    ci: float
    cr: float
    consistent: bool


class PerformanceIndicatorOut(Schema):
    id: int
    code: str
    name: str
    unit: str
    direction: str
    source: str
    is_kpi: bool
    for_rm: bool
    for_team: bool
    for_unit: bool
    description: str
    version: int


class PerformanceIndicatorIn(Schema):
    code: Annotated[str, Field(max_length=60)] = ""
    name: Annotated[str, Field(max_length=80)]
    unit: Annotated[str, Field(max_length=20)] = ""
    direction: Annotated[str, Field(max_length=8)] = "higher"
    is_kpi: bool = True
    description: Annotated[str, Field(max_length=300)] = ""
    for_rm: bool = True
    for_team: bool = True
    for_unit: bool = True


class PerformanceIndicatorUpdateIn(PerformanceIndicatorIn):
    version: Count


class PerformanceManualValueIn(Schema):
    indicator_id: Id
    rm_id: Id
    period_start: Day
    period_end: Day
    value: Value
    note: Annotated[str, Field(max_length=300)]
    version: Count | None = Field(None, description="已有同一客户经理、同一期间的数值时必填：读取到的版本号")


class PerformanceManualValueOut(Schema):
    id: int
    indicator_id: int
    rm_id: int
    period_start: date
    period_end: date
    value: Decimal
    note: str


class PerformanceItemIn(Schema):
    kind: Annotated[str, Field(max_length=12)] = "quantitative"
    indicator_id: Id | None = None
    label: Annotated[str, Field(max_length=80)] = ""
    weight: Annotated[Decimal, Field(ge=0, le=1, max_digits=8, decimal_places=6)] = Decimal(0)
    normalisation: Annotated[str, Field(max_length=12)] = "linear"
    x_low: Value | None = None
    x_high: Value | None = None
    target: Value | None = None
    cap: Annotated[Decimal, Field(ge=1, le=5, max_digits=6, decimal_places=3)] = Decimal(1)
    points: Annotated[Decimal, Field(ge=0, le=1000, max_digits=8, decimal_places=3)] = Decimal(1)


class PerformanceItemOut(PerformanceItemIn):
    id: int
    indicator_id: int | None = None


class PerformanceScorecardIn(Schema):
    name: Annotated[str, Field(max_length=100)]
    year: Year
    period_type: Annotated[str, Field(max_length=12)]
    unit_id: Id | None = None
    position: Annotated[str, Field(max_length=50)] = ""
    rm_level: Annotated[str, Field(max_length=1)] = ""
    weight_method: Annotated[str, Field(max_length=8)] = "direct"
    ahp_matrix: list[list[Cell]] | None = Field(None, max_length=15)
    grade_method: Annotated[str, Field(max_length=12)] = "thresholds"
    thresholds: dict[Annotated[str, Field(max_length=12)], Annotated[Decimal, Field(ge=0, le=1000)]] = {}
    quotas: dict[Annotated[str, Field(max_length=12)], Annotated[Decimal, Field(ge=0, le=100)]] = {}
    appeal_days: Annotated[int, Field(ge=0, le=60)] = 5
    items: list[PerformanceItemIn] = Field(..., max_length=50)


class PerformanceScorecardUpdateIn(PerformanceScorecardIn):
    version: Count


class PerformanceScorecardOut(Schema):
    id: int
    name: str
    year: int
    period_type: str
    unit_id: int | None
    position: str
    rm_level: str
    weight_method: str
    ahp_matrix: list
    ahp_cr: Decimal | None
    grade_method: str
    thresholds: dict
    quotas: dict
    appeal_days: int
    is_active: bool
    version: int
    items: list[PerformanceItemOut]


class PerformanceComputeIn(Schema):
    unit_id: Id
    year: Year
    number: Annotated[int, Field(ge=1, le=12)] = 1
    start: Day | None = None
    end: Day | None = None


class PerformanceVersionIn(Schema):
    version: Count


class PerformanceRunOut(Schema):
    id: int
    scorecard_id: int
    unit_id: int
    period_type: str
    period_start: date
    period_end: date
    label: str
    status: str
    computed_at: datetime
    published_at: datetime | None
    appeal_until: date | None
    version: int


class PerformanceResultOut(Schema):
    id: int
    run_id: int
    rm_id: int
    rm_name: str
    team_id: int | None
    gross: Decimal
    deductions: Decimal
    score: Decimal
    grade: str
    rank_team: int | None
    rank_unit: int | None
    version: int

    @staticmethod
    def resolve_rm_name(obj):
        rm = obj["rm"] if isinstance(obj, dict) else obj.rm
        return rm.display_name


class PerformanceRunDetailOut(PerformanceRunOut):
    results: list[PerformanceResultOut]


class PerformanceResultItemOut(Schema):
    id: int
    item_id: int
    kind: str
    code: str
    name: str
    unit: str
    weight: Decimal
    value: Decimal | None
    numerator: Decimal | None
    denominator: Decimal | None
    target: Decimal | None
    mu: Decimal
    points: Decimal


class PerformanceTrendOut(Schema):
    label: str
    score: Decimal
    grade: str
    result_id: int


class PerformanceResultDetailOut(PerformanceResultOut):
    items: list[PerformanceResultItemOut]
    trend: list[PerformanceTrendOut]


class PerformanceScoresIn(Schema):
    scores: dict[Annotated[str, Field(max_length=20)], Annotated[Decimal, Field(ge=0, le=100)]]
    version: Count


class PerformanceAppealIn(Schema):
    reason: LongText


class PerformanceAppealOut(Schema):
    id: int
    result_id: int
    reason: str
    status: str
    request_id: int | None


class PerformanceTargetIn(Schema):
    indicator_id: Id
    annual: Value
    quarters: list[Value] = Field([], max_length=4)
    months: list[Value] = Field([], max_length=12)


class PerformanceLetterIn(Schema):
    rm_id: Id
    year: Year
    targets: list[PerformanceTargetIn] = Field(..., max_length=50)
    terms: LongText = ""


class PerformanceTargetOut(Schema):
    indicator_id: int
    annual: Decimal
    quarters: list[Decimal]
    months: list[Decimal]


class PerformanceLetterOut(Schema):
    id: int
    rm_id: int
    year: int
    number: int
    status: str
    text: str
    text_hash: str
    supervisor_signed_at: datetime | None
    rm_signed_at: datetime | None
    version: int
    lines: list[PerformanceTargetOut]


class PerformanceSignIn(Schema):
    text_hash: Annotated[str, Field(max_length=64)]
    version: Count


class PerformancePayOut(Schema):
    result_id: int
    post_pay: Decimal
    performance_pay: Decimal
    reward_pay: Decimal
    total: Decimal
    deferred: Decimal
    paid_now: Decimal


class PerformanceAdviceOut(Schema):
    id: int
    rm_id: int
    move: str
    from_level: str
    to_level: str
    basis: str
    status: str
    version: int


class PerformanceAdviceIn(Schema):
    version: Count
    reason: Text = ""


class PerformanceNewVersionIn(Schema):
    year: Year


class PerformanceGroupItemOut(Schema):
    item: int
    kind: str
    code: str
    name: str
    unit: str
    weight: Decimal
    total: Decimal | None = None
    per_rm: Decimal | None = None
    numerator: Decimal | None = None
    denominator: Decimal | None = None
    target: Decimal | None = None
    mu: Decimal
    points: Decimal


class PerformanceGroupOut(Schema):
    id: int
    run_id: int
    unit_id: int
    unit_name: str
    level: str
    members: int
    mean_score: Decimal
    gross: Decimal
    deductions: Decimal
    score: Decimal
    grade: str
    rank: int | None

    @staticmethod
    def resolve_unit_name(obj):
        return obj.unit.name


class PerformanceGroupTrendOut(Schema):
    label: str
    score: Decimal
    mean: Decimal
    grade: str
    id: int


class PerformanceGroupDetailOut(PerformanceGroupOut):
    items: list[PerformanceGroupItemOut]
    trend: list[PerformanceGroupTrendOut]


# --- manual values with their history; pay rules and promotion rules (SPEC §9) -------------------------


class PerformanceManualVersionOut(Schema):
    version: int
    value: Decimal
    note: str
    entered_by_id: int
    entered_at: datetime


class PerformanceManualValueDetailOut(PerformanceManualValueOut):
    version: int
    entered_by_id: int
    entered_at: datetime
    history: list[PerformanceManualVersionOut]

    @staticmethod
    def resolve_history(obj):
        return list(obj.history.all())


class PerformanceManualValueChangeIn(Schema):
    value: Value
    note: Annotated[str, Field(max_length=300)]
    version: Count


class PerformancePayRuleIn(Schema):
    kind: Annotated[
        str,
        Field(
            max_length=8,
            description="post 岗位工资 · price 效益工资(产品计价) · reward 奖励工资 · defer 延期支付比例(%)",
        ),
    ]
    rm_level: Annotated[str, Field(max_length=1, description="岗位工资：客户经理等级 1/2/3")] = ""
    indicator_id: Id | None = None
    amount: Annotated[Decimal, Field(max_digits=14, decimal_places=4, ge=0)]
    threshold: Value | None = None
    is_active: bool = True


class PerformancePayRuleUpdateIn(PerformancePayRuleIn):
    version: Count


class PerformancePayRuleOut(Schema):
    id: int
    kind: str
    rm_level: str
    indicator_id: int | None
    amount: Decimal
    threshold: Decimal | None
    is_active: bool
    version: int


class PerformancePromotionRuleIn(Schema):
    move: Annotated[str, Field(max_length=4, description="up 晋升 · down 降级")]
    grade: Annotated[str, Field(max_length=10)]
    consecutive: Annotated[int, Field(ge=1, le=10)] = 2
    period_type: Annotated[str, Field(max_length=12)] = "annual"
    is_active: bool = True


class PerformancePromotionRuleUpdateIn(PerformancePromotionRuleIn):
    version: Count


class PerformancePromotionRuleOut(Schema):
    id: int
    move: str
    grade: str
    consecutive: int
    period_type: str
    is_active: bool
    version: int
