"""Request and response schemas of the sales API (SPEC §4, §12). Names carry the app's prefix (schema
names are unique across apps). Edits of shared records name the `version` the client read (stale: 409)."""

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Literal

from ninja import Schema
from pydantic import Field

from rmdesk.core.bounds import Count, Day, Id, Limit, Offset

Money = Annotated[Decimal, Field(max_digits=18, decimal_places=2)]
Text = Annotated[str, Field(max_length=200)]
Name = Annotated[str, Field(max_length=100)]
LongText = Annotated[str, Field(max_length=5000)]
Percent = Annotated[int, Field(ge=0, le=100)]


class SalesProductOut(Schema):
    id: int
    code: str
    name: str
    category: str
    category_label: str
    risk_level: str
    is_risk_product: bool
    sale_starts_on: date | None
    sale_ends_on: date | None
    term_days: int | None
    price_per_sale: Decimal
    price_rate: Decimal

    @staticmethod
    def resolve_category_label(obj):
        return str(obj.get_category_display())


class SalesStageOut(Schema):
    id: int
    code: str
    name: str
    order: int
    kind: str
    probability: int
    required_fields: list[str]


class SalesLostReasonOut(Schema):
    id: int
    code: str
    name: str


class SalesPage(Schema):
    offset: Offset = 0
    limit: Limit = 50


class SalesOpportunityFilter(SalesPage):
    stage: Annotated[str, Field(max_length=20)] = ""
    customer_id: Id | None = None
    mine: bool = False


class SalesOpportunityIn(Schema):
    customer_id: Id
    product_id: Id
    amount: Money | None = None
    expected_on: Day | None = None
    next_step: Text = ""
    stage_id: Id | None = None
    campaign_id: Id | None = None


class SalesMoveIn(Schema):
    stage_id: Id
    version: Count
    amount: Money | None = None
    expected_on: Day | None = None
    next_step: Text | None = None
    probability: Percent | None = None
    lost_reason_id: Id | None = None
    lost_note: Text = ""
    sold_on: Day | None = None
    risk_disclosed: bool = False
    customer_confirmed: bool = False
    note: Text = ""


class SalesStageChangeOut(Schema):
    from_stage: str | None
    to_stage: str
    by: str | None
    at: datetime
    note: str

    @staticmethod
    def resolve_from_stage(obj):
        return obj.from_stage.code if obj.from_stage_id else None

    @staticmethod
    def resolve_to_stage(obj):
        return obj.to_stage.code

    @staticmethod
    def resolve_by(obj):
        return obj.by.username if obj.by_id else None


class SalesOpportunityOut(Schema):
    id: int
    customer_id: int
    customer_name: str
    product_id: int
    product_name: str
    amount: Decimal | None
    stage: str
    stage_name: str
    probability: int
    expected_on: date | None
    next_step: str
    owner_id: int
    source: str
    campaign_id: int | None
    lost_reason_id: int | None
    closed_on: date | None
    version: int

    @staticmethod
    def resolve_customer_name(obj):
        return obj.customer.name

    @staticmethod
    def resolve_product_name(obj):
        return obj.product.name

    @staticmethod
    def resolve_stage(obj):
        return obj.stage.code

    @staticmethod
    def resolve_stage_name(obj):
        return obj.stage.name


class SalesOpportunityDetailOut(SalesOpportunityOut):
    history: list[SalesStageChangeOut]

    @staticmethod
    def resolve_history(obj):
        return list(obj.history.select_related("from_stage", "to_stage", "by"))


class SalesFunnelLevelOut(Schema):
    stage: str
    name: str
    count: int
    conversion: Decimal | None


class SalesFunnelOut(Schema):
    key: int | None
    name: str | None
    total: int
    won: int
    win_rate: Decimal
    levels: list[SalesFunnelLevelOut]


class SalesSaleIn(Schema):
    customer_id: Id
    product_id: Id
    amount: Money
    sold_on: Day
    risk_disclosed: bool = False
    customer_confirmed: bool = False
    disclosure_note: Text = ""
    note: Text = ""
    campaign_id: Id | None = None


class SalesSaleOut(Schema):
    id: int
    rm_id: int
    customer_id: int
    product_id: int
    amount: Decimal
    priced_amount: Decimal
    sold_on: date
    opportunity_id: int | None
    campaign_id: int | None
    risk_disclosed: bool
    customer_confirmed: bool


class SalesSaleFilter(SalesPage):
    start: Day | None = None
    end: Day | None = None
    rm_id: Id | None = None


class SalesRecommendationIn(Schema):
    customer_id: Id
    product_id: Id
    note: Text = ""


class SalesRecommendationOut(Schema):
    id: int
    customer_id: int
    product_id: int
    note: str
    at: datetime


class SalesCriteria(Schema):
    kind: Annotated[str, Field(max_length=12)] | None = None
    tiers: list[Annotated[str, Field(max_length=60)]] | None = None
    stages: list[Annotated[str, Field(max_length=12)]] | None = None
    aum_min: Money | None = None
    aum_max: Money | None = None
    holds_product: Annotated[str, Field(max_length=30)] | None = None
    lacks_product: Annotated[str, Field(max_length=30)] | None = None
    holds_category: Annotated[str, Field(max_length=12)] | None = None
    lacks_category: Annotated[str, Field(max_length=12)] | None = None
    tags: list[Annotated[str, Field(max_length=30)]] | None = None
    no_contact_days: Annotated[int, Field(ge=1, le=3650)] | None = None
    district: Annotated[str, Field(max_length=60)] | None = None


class SalesSegmentIn(Schema):
    name: Annotated[str, Field(max_length=60)]
    criteria: SalesCriteria


class SalesSegmentOut(Schema):
    id: int
    name: str
    criteria: dict
    created_at: datetime


class SalesCountOut(Schema):
    count: int


class SalesCampaignIn(Schema):
    name: Name
    segment_id: Id
    starts_on: Day
    ends_on: Day
    product_ids: list[Id] = Field(max_length=50)
    script: LongText = ""
    target_count: Count = 0
    target_amount: Money = Decimal("0")


class SalesCampaignEditIn(Schema):
    """A running campaign's editable terms; `version` is the one the client read (stale: 409)."""

    version: Count
    name: Name
    ends_on: Day
    product_ids: list[Id] = Field(max_length=50)
    script: LongText = ""
    target_count: Count = 0
    target_amount: Money = Decimal("0")


class SalesCampaignCancelIn(Schema):
    version: Count
    reason: Text


class SalesQuotaOut(Schema):
    id: int
    parent_id: int | None
    unit_id: int | None
    rm_id: int | None
    holder: str
    target_count: int
    target_amount: Decimal
    done_count: int = 0
    done_amount: Decimal = Decimal("0")
    version: int


class SalesCampaignOut(Schema):
    id: int
    name: str
    segment_id: int
    starts_on: date
    ends_on: date
    status: str
    unit_id: int
    target_count: int
    target_amount: Decimal
    script: str
    version: int
    cancel_reason: str = ""


class SalesCampaignDetailOut(SalesCampaignOut):
    product_ids: list[int]
    quotas: list[SalesQuotaOut]


class SalesShareIn(Schema):
    unit_id: Id | None = None
    rm_id: Id | None = None
    target_count: Annotated[int, Field(ge=-(2**31), le=2**31 - 1)] = 0
    target_amount: Money = Decimal("0")


class SalesSplitIn(Schema):
    shares: list[SalesShareIn] = Field(max_length=500)
    version: Count


class SalesTargetOut(Schema):
    id: int
    campaign_id: int
    customer_id: int
    customer_name: str
    rm_id: int | None
    status: str
    refusal_reason: str
    note: str
    amount: Decimal
    version: int

    @staticmethod
    def resolve_customer_name(obj):
        return obj.customer.name


class SalesResultIn(Schema):
    status: Annotated[str, Field(max_length=12)]
    version: Count
    refusal_reason: Text = ""
    note: Text = ""
    amount: Money | None = None


class SalesTaskIn(Schema):
    assignee_id: Id
    title: Name
    due_on: Day
    target_count: Count = 0
    target_amount: Money = Decimal("0")
    campaign_id: Id | None = None


class SalesTaskProgressIn(Schema):
    done_count: Count
    done_amount: Money
    version: Count


class SalesTaskOut(Schema):
    id: int
    title: str
    assignee_id: int
    assigned_by_id: int
    campaign_id: int | None
    target_count: int
    target_amount: Decimal
    done_count: int
    done_amount: Decimal
    due_on: date
    status: str
    progress: int
    version: int


class SalesReferralIn(Schema):
    customer_no: Annotated[str, Field(max_length=32)]
    need: Text
    category: Annotated[str, Field(max_length=12)] = ""
    rm_id: Id | None = None


class SalesReferralOut(Schema):
    id: int
    referrer_id: int
    customer_name: str
    rm_id: int
    rm_name: str
    need: str
    category: str
    status: str
    decline_reason: str
    opportunity_id: int | None
    created_at: datetime
    credited_on: date | None
    version: int

    @staticmethod
    def resolve_customer_name(obj):
        return obj.customer.name

    @staticmethod
    def resolve_rm_name(obj):
        return obj.rm.display_name


class SalesAcceptIn(Schema):
    version: Count
    product_id: Id | None = None


class SalesDeclineIn(Schema):
    version: Count
    reason: Text


class SalesReferralStatOut(Schema):
    key: int | None
    name: str | None
    referred: int
    accepted: int
    declined: int
    credited: int
    rate: Decimal


class SalesCrossSellOut(Schema):
    key: int | None
    name: str
    customers: int
    products: int
    per_customer: Decimal
    penetration: Decimal
    coverage: dict[str, Decimal]


class SalesHintOut(Schema):
    product_id: int
    product_name: str
    risk_level: str
    reason: str


class SalesMaterialOut(Schema):
    id: int
    name: str
    unit_name: str
    stock: int


class SalesLedgerFilter(SalesPage):
    """Filters of the materials' stock ledger; a wrong one answers 422 with ["query", field]."""

    material_id: Id | None = None
    start: Day | None = None
    end: Day | None = None
    kind: Literal["opening", "receipt", "handout", "writeoff"] | None = None


class SalesLedgerLineOut(Schema):
    """One ledger line; `shown` false: a hand-out outside the viewer's scope (no customer, RM, campaign)."""

    id: int
    material_id: int
    material_name: str
    unit_name: str
    at: datetime
    kind: str
    kind_label: str
    quantity: int
    balance: int
    by_name: str
    customer_id: int | None
    customer_no: str
    customer_name: str
    campaign_id: int | None
    campaign_name: str
    handout_id: int | None
    note: str
    shown: bool


class SalesLedgerSummaryOut(Schema):
    material_id: int
    material_name: str
    unit_name: str
    opening: int
    receipts: int
    handouts: int
    writeoffs: int
    closing: int


class SalesLedgerOut(Schema):
    """The ledger of the period: per material the opening and closing balance with the movements between
    (closing = opening + receipts − hand-outs − write-offs), and one page of the lines in date order."""

    summary: list[SalesLedgerSummaryOut]
    count: int
    lines: list[SalesLedgerLineOut]


class SalesHandoutIn(Schema):
    material_id: Id
    customer_id: Id
    quantity: Annotated[int, Field(ge=1, le=10000)]
    campaign_id: Id | None = None


class SalesHandoutOut(Schema):
    id: int
    material_id: int
    customer_id: int
    quantity: int
    handed_at: datetime
    signed_by: str
    signed_at: datetime | None


class SalesSignIn(Schema):
    signed_by: Annotated[str, Field(max_length=50)]


class SalesNominationIn(Schema):
    customer_id: Id
    material_id: Id
    quantity: Annotated[int, Field(ge=1, le=10000)] = 1
    reason: Text


class SalesNominationOut(Schema):
    id: int
    customer_id: int
    rm_id: int
    material_id: int
    quantity: int
    reason: str
    status: str
    approval_id: int | None


# --- configuration (SPEC §4): stages, lost reasons, cross-sell rules, materials ------------------------------
# Create bodies name every field; PATCH bodies name the `version` read and only what changes. The services
# (sales/config.py) validate both, so the pages and the API answer the same field errors.

Code = Annotated[str, Field(max_length=20)]
Short = Annotated[str, Field(max_length=60)]
Order = Annotated[int, Field(ge=0, le=999)]
Stock = Annotated[int, Field(ge=-10_000_000, le=10_000_000)]


class SalesStageConfigOut(Schema):
    id: int
    code: str
    name: str
    order: int
    kind: str
    probability: int
    required_fields: list[str]
    is_active: bool
    version: int


class SalesStageCreateIn(Schema):
    code: Code
    name: Short
    order: Order
    kind: Annotated[str, Field(max_length=6)] = "open"
    probability: Percent = 0
    required_fields: list[Annotated[str, Field(max_length=20)]] = Field(default_factory=list, max_length=10)
    is_active: bool = True


class SalesStagePatchIn(Schema):
    version: Count
    code: Code | None = None
    name: Short | None = None
    order: Order | None = None
    kind: Annotated[str, Field(max_length=6)] | None = None
    probability: Percent | None = None
    required_fields: list[Annotated[str, Field(max_length=20)]] | None = Field(default=None, max_length=10)
    is_active: bool | None = None


class SalesLostReasonConfigOut(Schema):
    id: int
    code: str
    name: str
    order: int
    is_active: bool
    version: int


class SalesLostReasonCreateIn(Schema):
    code: Code
    name: Short
    order: Order = 0
    is_active: bool = True


class SalesLostReasonPatchIn(Schema):
    version: Count
    code: Code | None = None
    name: Short | None = None
    order: Order | None = None
    is_active: bool | None = None


class SalesRuleOut(Schema):
    id: int
    name: str
    holds_category: str
    lacks_category: str
    min_tolerance: str
    min_aum: Decimal
    product_id: int
    reason: str
    order: int
    is_active: bool
    version: int


class SalesRuleCreateIn(Schema):
    name: Short
    holds_category: Annotated[str, Field(max_length=12)] = ""
    lacks_category: Annotated[str, Field(max_length=12)]
    min_tolerance: Annotated[str, Field(max_length=2)] = ""
    min_aum: Money = Decimal("0")
    product_id: Id
    reason: Text = ""
    order: Order = 100
    is_active: bool = True


class SalesRulePatchIn(Schema):
    version: Count
    name: Short | None = None
    holds_category: Annotated[str, Field(max_length=12)] | None = None
    lacks_category: Annotated[str, Field(max_length=12)] | None = None
    min_tolerance: Annotated[str, Field(max_length=2)] | None = None
    min_aum: Money | None = None
    product_id: Id | None = None
    reason: Text | None = None
    order: Order | None = None
    is_active: bool | None = None


class SalesMaterialConfigOut(Schema):
    id: int
    name: str
    unit_name: str
    stock: int
    is_active: bool
    version: int


class SalesMaterialCreateIn(Schema):
    name: Short
    unit_name: Annotated[str, Field(max_length=10)] = "件"
    stock: Stock = 0
    is_active: bool = True


class SalesMaterialPatchIn(Schema):
    version: Count
    name: Short | None = None
    unit_name: Annotated[str, Field(max_length=10)] | None = None
    is_active: bool | None = None


class SalesMaterialReceiptIn(Schema):
    """A stock movement: a receipt (入库, > 0) or a write-off (报损, < 0); the stock never goes below zero."""

    quantity: Stock
    note: Text = ""
