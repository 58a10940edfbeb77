"""Request and response schemas of the compliance API (SPEC §8, §12). Names carry the app's prefix
(schema names are unique across apps). Edits of shared records name the `version` the client read."""

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated

from ninja import Schema
from pydantic import Field

from rmdesk.core.bounds import Count, Day, Id

Money = Annotated[Decimal, Field(max_digits=18, decimal_places=2)]
Text = Annotated[str, Field(max_length=200)]
LongText = Annotated[str, Field(max_length=5000)]
Role = Annotated[str, Field(max_length=20)]


class ComplianceTemplateOut(Schema):
    id: int
    kind: str
    title: str
    version: int
    body: str
    is_public: bool


class ComplianceRoundIn(Schema):
    template_id: Id
    unit_id: Id
    roles: list[Role] = Field(max_length=10)
    deadline: Day
    name: Text = ""


class ComplianceRoundOut(Schema):
    id: int
    name: str
    template_id: int
    unit_id: int
    roles: list[str]
    deadline: date
    status: str


class ComplianceUnitProgressOut(Schema):
    org_path: str
    unit_name: str
    total: int
    signed: int
    outstanding: int


class ComplianceRoundDetailOut(ComplianceRoundOut):
    units: list[ComplianceUnitProgressOut]


class ComplianceObligationOut(Schema):
    id: int
    round_id: int
    signer_id: int
    unit_name: str
    signed_at: datetime | None


class ComplianceObligationDetailOut(ComplianceObligationOut):
    text: str = Field(description="签署时将存储的全文（本人阅读的版本）")
    text_sha256: str


class ComplianceSignIn(Schema):
    text_sha256: Annotated[str, Field(min_length=64, max_length=64)]
    read_confirmed: bool


class ComplianceSignatureOut(Schema):
    id: int
    obligation_id: int
    template_id: int
    signer_id: int
    signed_at: datetime
    ip: str | None
    text: str
    sha256: str


class ComplianceViolationIn(Schema):
    person_id: Id
    rule_id: Id
    occurred_on: Day
    facts: LongText


class ComplianceViolationOut(Schema):
    id: int
    person_id: int
    rule_id: int
    occurred_on: date
    facts: str
    reported_by_id: int
    statement: str
    statement_waived: bool
    status: str
    ladder_step: int | None
    penalty: str
    points: Decimal
    version: int


class ComplianceStatementIn(Schema):
    statement: LongText = ""
    waive: bool = False
    version: Count


class ComplianceDecideIn(Schema):
    decision: Annotated[str, Field(max_length=10)]
    opinion: LongText = ""
    version: Count


class ComplianceGiftIn(Schema):
    giver: Annotated[str, Field(max_length=100)]
    offered_on: Day
    description: Text
    value: Money
    outcome: Annotated[str, Field(max_length=12)]
    customer_id: Id | None = None


class ComplianceGiftOut(Schema):
    id: int
    staff_id: int
    customer_id: int | None
    giver: str
    offered_on: date
    description: str
    value: Decimal
    outcome: str
    status: str
    reviewed_at: datetime | None
    review_note: str
    version: int


class ComplianceNoteIn(Schema):
    note: LongText
    version: Count


class ComplianceServiceIn(Schema):
    customer_id: Id
    second_staff_id: Id
    visit_on: Day
    place: Text
    purpose: Text
    cash_or_valuables: bool = False
    escort: Annotated[str, Field(max_length=100)] = ""


class ComplianceServiceOut(Schema):
    id: int
    customer_id: int
    applicant_id: int
    second_staff_id: int
    visit_on: date
    place: str
    purpose: str
    cash_or_valuables: bool
    escort: str
    status: str
    approved_by_id: int | None
    approved_at: datetime | None
    interaction_id: int | None


class ComplianceFindingOut(Schema):
    id: int
    rule: str
    rule_label: str
    person_id: int
    day: date
    count: int
    detail: str
    status: str
    note: str
    version: int

    @staticmethod
    def resolve_rule_label(obj):
        return str(obj.get_rule_display())


class ComplianceAccessEventOut(Schema):
    at: datetime
    person: str
    action: str
    customer: str
    detail: str


# --- conduct rule sets (SPEC §8) -------------------------------------------------------------------------


class ComplianceRuleIn(Schema):
    text: Annotated[str, Field(max_length=300)]
    severity: Annotated[str, Field(max_length=10)]
    points: Annotated[Decimal, Field(max_digits=6, decimal_places=2)]


class ComplianceRuleSetIn(Schema):
    code: Annotated[str, Field(max_length=30)]
    name: Annotated[str, Field(max_length=100)]
    source: Annotated[str, Field(max_length=300)] = ""
    is_active: bool = True
    rules: list[ComplianceRuleIn] = Field(max_length=50)


class ComplianceRuleSetPatch(Schema):
    """A change names the version read; fields left out keep their value; `rules`, when given, is the
    whole new list (matched to the present rules by position)."""

    version: int
    code: Annotated[str, Field(max_length=30)] | None = None
    name: Annotated[str, Field(max_length=100)] | None = None
    source: Annotated[str, Field(max_length=300)] | None = None
    is_active: bool | None = None
    rules: list[ComplianceRuleIn] | None = Field(default=None, max_length=50)


class ComplianceRuleOut(Schema):
    id: int
    order: int
    text: str
    severity: str
    severity_label: str
    points: Decimal

    @staticmethod
    def resolve_severity_label(obj):
        return str(obj.get_severity_display())


class ComplianceRuleSetOut(Schema):
    id: int
    code: str
    name: str
    source: str
    is_active: bool
    version: int
    rules: list[ComplianceRuleOut]

    @staticmethod
    def resolve_rules(obj):
        return list(obj.rules.all())


# --- fee grants and thresholds (SPEC §8 account-change monitoring; thresholds in the database) -----------


class ComplianceFeeGrantIn(Schema):
    customer_id: Id
    fee_kind: Annotated[str, Field(max_length=12)]
    standard_fee: Money
    charged_fee: Money
    granted_on: Day
    note: Text = ""


class ComplianceFeeGrantEdit(ComplianceFeeGrantIn):
    """A correction: the whole grant as for recording it, plus the version read (409 when stale)."""

    version: int


class ComplianceFeeGrantOut(Schema):
    id: int
    customer_id: int
    fee_kind: str
    standard_fee: Decimal
    charged_fee: Decimal
    discount_percent: Decimal
    granted_on: date
    granted_by_id: int
    tier_id: int | None
    note: str
    version: int


Percent = Annotated[Decimal, Field(max_digits=5, decimal_places=2)]


class ComplianceEntitlementIn(Schema):
    """What customers of a tier are entitled to on one kind of fee (SPEC §8)."""

    tier_id: Id
    fee_kind: Annotated[str, Field(max_length=12)]
    max_discount_percent: Percent
    max_discount_amount: Money | None = None
    note: Text = ""


class ComplianceEntitlementEdit(ComplianceEntitlementIn):
    version: int


class ComplianceEntitlementOut(Schema):
    id: int
    tier_id: int
    tier_name: str
    fee_kind: str
    fee_kind_label: str
    max_discount_percent: Decimal
    max_discount_amount: Decimal | None
    note: str
    version: int

    @staticmethod
    def resolve_tier_name(obj):
        return obj.tier.name

    @staticmethod
    def resolve_fee_kind_label(obj):
        return str(obj.get_fee_kind_display())


class ComplianceThresholdOut(Schema):
    id: int
    code: str
    name: str
    value: Decimal
    description: str
    version: int


class ComplianceThresholdPatch(Schema):
    value: Money
    version: int
