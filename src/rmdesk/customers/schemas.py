"""Request and response schemas of the customer archive's REST API (SPEC §2, §12). Sensitive fields
are masked on the way out (SPEC §2 protection). Every edit schema requires the `version` it was
made on (optimistic locking: a stale one answers 409)."""

from datetime import date, datetime
from decimal import Decimal

from ninja import Field, Schema

from rmdesk.core.bounds import Int, Limit, Page

from .protection import mask


class TierOut(Schema):
    id: int
    code: str
    name: str
    rank: int


class CustomerRow(Schema):
    id: int
    customer_no: str
    kind: str
    name: str
    name_initials: str
    tier: TierOut | None
    stage: str
    aum: Decimal
    a_rm_id: int | None
    b_rm_id: int | None
    org_unit_id: int
    completeness: int
    mobile: str
    id_number: str
    credit_code: str

    @staticmethod
    def resolve_mobile(obj):
        return mask("mobile", obj.mobile)

    @staticmethod
    def resolve_id_number(obj):
        return mask("id_number", obj.id_number)


class CustomerList(Schema):
    items: list[CustomerRow]
    next_cursor: str | None
    page: int | None
    page_size: int
    has_next: bool


class HoldingOut(Schema):
    id: int
    product_code: str
    product_name: str
    category: str
    risk_level: str
    account_no: str
    balance: Decimal
    opened_on: date | None
    closed_on: date | None
    matures_on: date | None


class TierChangeOut(Schema):
    at: datetime
    from_tier: str | None
    to_tier: str | None
    direction: str
    reason: str


class CustomerDetail(CustomerRow):
    gender: str
    birth_date: date | None
    id_type: str
    email: str
    address: str
    occupation: str
    employer: str
    annual_income: str
    risk_tolerance: str
    family: str
    hobbies: str
    preferences: str
    industry: str
    legal_rep: str
    registered_capital: Decimal | None
    founded_on: date | None
    deposits: Decimal
    loans: Decimal
    contribution: Decimal
    source: str
    metrics: dict
    is_key_account: bool
    is_anonymised: bool
    version: int
    tags: list[str]
    holdings: list[HoldingOut]
    tier_history: list[TierChangeOut]
    created_at: datetime
    updated_at: datetime

    @staticmethod
    def resolve_address(obj):
        return mask("address", obj.address)

    @staticmethod
    def resolve_annual_income(obj):
        return mask("annual_income", obj.annual_income)

    @staticmethod
    def resolve_tags(obj):
        return [t.name for t in obj.tags.all()]

    @staticmethod
    def resolve_holdings(obj):
        return [
            HoldingOut(
                id=h.pk,
                product_code=h.product.code,
                product_name=h.product.name,
                category=h.product.category,
                risk_level=h.product.risk_level,
                account_no=h.account_no,
                balance=h.balance,
                opened_on=h.opened_on,
                closed_on=h.closed_on,
                matures_on=h.matures_on,
            )
            for h in obj.holdings.select_related("product")
        ]

    @staticmethod
    def resolve_tier_history(obj):
        return [
            TierChangeOut(
                at=t.at,
                from_tier=t.from_tier.code if t.from_tier else None,
                to_tier=t.to_tier.code if t.to_tier else None,
                direction=t.direction,
                reason=t.reason,
            )
            for t in obj.tier_changes.select_related("from_tier", "to_tier")[:50]
        ]


class CustomerIn(Schema):
    kind: str = "individual"
    customer_no: str = ""
    name: str
    gender: str = ""
    birth_date: date | None = None
    id_type: str = "resident_id"
    id_number: str = ""
    mobile: str = ""
    email: str = ""
    address: str = ""
    occupation: str = ""
    employer: str = ""
    annual_income: Decimal | None = None
    risk_tolerance: str = ""
    family: str = ""
    hobbies: str = ""
    preferences: str = ""
    credit_code: str = ""
    industry: str = ""
    legal_rep: str = ""
    registered_capital: Decimal | None = None
    founded_on: date | None = None
    source: str = "self"
    stage: str = "potential"
    metrics: dict = {}
    tags: list[str] = []


class CustomerPatch(Schema):
    version: int
    name: str | None = None
    gender: str | None = None
    birth_date: date | None = None
    id_number: str | None = None
    mobile: str | None = None
    email: str | None = None
    address: str | None = None
    occupation: str | None = None
    employer: str | None = None
    annual_income: Decimal | None = None
    risk_tolerance: str | None = None
    family: str | None = None
    hobbies: str | None = None
    preferences: str | None = None
    credit_code: str | None = None
    industry: str | None = None
    legal_rep: str | None = None
    registered_capital: Decimal | None = None
    founded_on: date | None = None
    source: str | None = None
    stage: str | None = None
    metrics: dict | None = None
    tags: list[str] | None = None


class ConflictOut(Schema):
    """A conflict. `existing_id` is null for a viewer outside the existing archive's scope (e.g. the
    claimant): they learn only that their claim went to a supervisor (SPEC §2 不争夺客户)."""

    id: int
    existing_id: int | None
    subject_id: int | None
    match_field: str
    source: str
    status: str
    claimant_id: int
    created_at: datetime
    resolved_by_id: int | None
    resolved_at: datetime | None

    @staticmethod
    def resolve_existing_id(obj):
        # shown only where services.mark_existing_visibility found the archive in the viewer's scope
        return obj.existing_id if getattr(obj, "existing_visible", False) else None


class CreatedOut(Schema):
    customer: CustomerDetail | None = None
    conflict: ConflictOut | None = None


class RevealIn(Schema):
    field: str
    reason: str


class RevealOut(Schema):
    field: str
    value: str


class CustomersAssignIn(Schema):
    customer_ids: list[int]
    a_rm: int
    b_rm: int | None = None
    reason: str = ""


class CustomersApprovalOut(Schema):
    id: int
    kind: str
    title: str
    status: str


class HandoverIn(Schema):
    from_rm: int
    to_rm: int
    customer_ids: list[int] | None = None
    notes: dict[str, str] = {}
    reason: str = ""


class HandoverPreviewOut(Schema):
    from_rm: int
    to_rm: int | None
    customers: list[CustomerRow]  # at most HANDOVER_MAX_CUSTOMERS, by AUM
    total: int  # how many the RM holds in the caller's scope


class ResolveIn(Schema):
    action: str
    owner: int | None = None
    note: str = ""


class ImportJobOut(Schema):
    id: int
    kind: str
    original_name: str
    status: str
    total_rows: int
    processed_rows: int
    percent: int
    created_count: int
    updated_count: int
    unchanged_count: int
    conflict_count: int
    error_count: int
    errors: list
    message: str


class HoldingIn(Schema):
    product_code: str
    balance: Decimal
    account_no: str = ""
    opened_on: date | None = None
    closed_on: date | None = None
    matures_on: date | None = None  # 到期日; empty keeps the holding's current date


class TextIn(Schema):
    text: str
    category: str = ""


class AnonymiseIn(Schema):
    reason: str


class RuleSetOut(Schema):
    id: int
    code: str
    name: str
    metric: str
    is_active: bool
    tiers: list[TierOut]

    @staticmethod
    def resolve_tiers(obj):
        return list(obj.tiers.all())


class ListFilters(Schema):
    q: str = ""
    tier: str = ""
    stage: str = ""
    kind: str = ""
    owner: str = ""
    tag: str = ""
    min_completeness: Int | None = None
    max_completeness: Int | None = None
    contact: str = Field("", description="联系状态 (overdue/due/soon/ok): offered by the work app as a list filter")
    watch: str = Field("", description="1: only customers on the downgrade watch (关注) of their tier")
    cursor: str = ""
    page: Page | None = None
    page_size: Limit = 50
    sort: str = "-aum"


# --- key-account qualification (packnew; services.qualification) ---


class QualificationCriterionOut(Schema):
    code: str
    metric: str
    label: str
    op: str = Field(description="gte: 不低于门槛; lte: 不高于门槛")
    threshold: str
    value: str | None = Field(description="客户数值（缺少数据时为 null）")
    unit: str
    weight: Decimal
    required: bool = Field(description="一票否决")
    passed: bool
    reason: str


class QualificationOut(Schema):
    customer_id: int
    applicable: bool = Field(description="false: 没有适用于该客户类型的资格规则")
    rule_code: str | None = None
    rule_name: str | None = None
    pass_mark: Decimal | None = None
    score: Decimal | None = None
    qualified: bool | None = None
    reasons: list[str] = []
    criteria: list[QualificationCriterionOut] = []


class QualificationQuery(Schema):
    rule: str = Field("", max_length=30, description="资格规则代码；不填则用该客户类型启用的规则")
