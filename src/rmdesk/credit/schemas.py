"""Request and response schemas of the credit API (SPEC §6, §12). Names carry the app's prefix
(schema names are unique across apps). Every edit of a shared record names the `version` the client
read: required, a stale one answers 409 (rmdesk.core.actions.check_version)."""

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Literal

from ninja import Schema
from pydantic import Field

from rmdesk.core.bounds import Count, Day, Id, Limit, Offset

Money = Annotated[Decimal, Field(max_digits=18, decimal_places=2)]
Rate = Annotated[Decimal, Field(max_digits=6, decimal_places=3)]
Text = Annotated[str, Field(max_length=200)]
LongText = Annotated[str, Field(max_length=5000)]
Months = Annotated[int, Field(ge=0, le=600)]


class CreditProductOut(Schema):
    id: int
    code: str
    name: str
    kind: str
    min_amount: Decimal
    max_amount: Decimal
    min_term: int
    max_term: int
    large_threshold: Decimal
    required_materials: list[str]
    checklist: list[str]
    review_sla_days: int
    first_check_days: int
    check_every_months: int


class CreditGuarantorIn(Schema):
    name: Text = ""
    relation: Text = ""
    amount: Money = Decimal("0")
    customer_id: Id | None = None


class CreditApplicationIn(Schema):
    customer_id: Id
    product_id: Id
    amount: Money
    term_months: Months
    purpose: Text
    repayment_source: Text = ""
    collateral: Text = ""
    guarantors: list[CreditGuarantorIn] = []


class CreditApplicationUpdateIn(Schema):
    version: Count
    amount: Money | None = None
    term_months: Months | None = None
    purpose: Text | None = None
    repayment_source: Text | None = None
    collateral: Text | None = None


class CreditVersionIn(Schema):
    version: Count


class CreditDecideIn(Schema):
    """A decision on the application's pending approval step (SPEC §6 审查→审核→审批); `version` is the approval
    request's, shown as the application's `approval_version`."""

    decision: Literal["approve", "reject", "return"]
    opinion: Annotated[str, Field(max_length=2000)] = ""
    version: Count


class CreditChecklistIn(Schema):
    finding: LongText
    conclusion: Text
    evidence_ids: list[Id] = []
    version: Count


class CreditInvestigatorIn(Schema):
    user_id: Id
    version: Count


class CreditRecommendIn(Schema):
    recommendation: Annotated[str, Field(max_length=10)]
    reasons: LongText
    version: Count


class CreditLoanIn(Schema):
    cms_ref: Annotated[str, Field(max_length=40)]
    amount: Money
    start_on: Day
    end_on: Day
    rate: Rate
    version: Count


class CreditApplicationOut(Schema):
    id: int
    customer_id: int
    customer_name: str
    product_id: int
    product_name: str
    amount: Decimal
    term_months: int
    purpose: str
    repayment_source: str
    collateral: str
    status: str
    status_display: str
    rm_id: int
    recommendation: str
    is_large: bool
    completed_at: datetime | None
    submit_due_on: date | None
    submitted_at: datetime | None
    review_due_on: date | None
    approval_id: int | None
    version: int

    @staticmethod
    def resolve_customer_name(obj):
        return obj.customer.name

    @staticmethod
    def resolve_product_name(obj):
        return obj.product.name

    @staticmethod
    def resolve_status_display(obj):
        return str(obj.get_status_display())


class CreditChecklistOut(Schema):
    id: int
    order: int
    item: str
    finding: str
    conclusion: str
    evidence_ids: list[int]
    version: int

    @staticmethod
    def resolve_evidence_ids(obj):
        return [m.pk for m in obj.evidence.all()]


class CreditMaterialOut(Schema):
    id: int
    kind: str
    name: str
    uploaded_by_id: int
    uploaded_at: datetime


class CreditPledgeOut(Schema):
    id: int
    signer_id: int
    signed_at: datetime
    text: str
    sha256: str


class CreditGuarantorOut(Schema):
    id: int
    name: str
    relation: str
    amount: Decimal
    customer_id: int | None


class CreditDecisionOut(Schema):
    round: int
    step_order: int
    step_name: str
    decided_by_id: int
    decision: str
    opinion: str
    decided_at: datetime


class CreditVisitOut(Schema):
    """An investigation visit: the linked interaction of the work app."""

    id: int
    interaction_id: int
    customer_id: int
    kind: str
    occurred_at: datetime
    place: str
    content: str
    recorded_by_id: int
    companion_ids: list[int]
    linked_by_id: int
    linked_at: datetime

    @staticmethod
    def resolve_customer_id(obj):
        return obj.interaction.customer_id

    @staticmethod
    def resolve_kind(obj):
        return obj.interaction.kind

    @staticmethod
    def resolve_occurred_at(obj):
        return obj.interaction.occurred_at

    @staticmethod
    def resolve_place(obj):
        return obj.interaction.place

    @staticmethod
    def resolve_content(obj):
        return obj.interaction.content

    @staticmethod
    def resolve_recorded_by_id(obj):
        return obj.interaction.recorded_by_id

    @staticmethod
    def resolve_companion_ids(obj):
        return sorted(u.pk for u in obj.interaction.companions.all())


class CreditVisitLinkIn(Schema):
    interaction_id: Id


class CreditVisitRecordIn(Schema):
    occurred_at: datetime
    content: LongText
    place: Text = ""
    companion_ids: Annotated[list[Id], Field(max_length=10)] = []
    customer_id: Id | None = None
    special_service_id: Id | None = None


class CreditApplicationDetailOut(CreditApplicationOut):
    recommendation_reasons: str
    recommended_at: datetime | None
    investigator_ids: list[int]
    visits: list[CreditVisitOut]
    checklist: list[CreditChecklistOut]
    materials: list[CreditMaterialOut]
    pledges: list[CreditPledgeOut]
    guarantors: list[CreditGuarantorOut]
    decisions: list[CreditDecisionOut]
    missing: dict[str, list[str]]
    approval_version: int | None = None

    @staticmethod
    def resolve_approval_version(obj):
        return obj.approval.version if obj.approval_id else None

    @staticmethod
    def resolve_investigator_ids(obj):
        return sorted(u.pk for u in obj.investigators.all())

    @staticmethod
    def resolve_visits(obj):
        from .services import visits_of

        return visits_of(obj)

    @staticmethod
    def resolve_checklist(obj):
        return list(obj.checklist.prefetch_related("evidence"))

    @staticmethod
    def resolve_materials(obj):
        return list(obj.materials.all())

    @staticmethod
    def resolve_pledges(obj):
        return list(obj.pledges.all())

    @staticmethod
    def resolve_guarantors(obj):
        return list(obj.guarantors.all())

    @staticmethod
    def resolve_decisions(obj):
        from .services import opinion_history

        return opinion_history(obj)

    @staticmethod
    def resolve_missing(obj):
        """What still keeps it from review (empty once complete), by field."""
        from .services import submission_errors

        return {k: [str(m) for m in v] for k, v in submission_errors(obj).items()} if obj.is_editable else {}


class CreditApplicationFilter(Schema):
    status: Annotated[str, Field(max_length=20)] = ""
    customer_id: Id | None = None
    offset: Offset = 0
    limit: Limit = 100


class CreditCheckOut(Schema):
    id: int
    loan_id: int
    seq: int
    due_on: date
    done_at: datetime | None
    findings: str
    by_id: int | None
    version: int


class CreditCheckIn(Schema):
    findings: LongText
    version: Count


class CreditClassificationOut(Schema):
    before: str
    after: str
    reason: str
    by_id: int
    at: datetime


class CreditLoanOut(Schema):
    id: int
    application_id: int
    customer_id: int
    customer_name: str
    rm_id: int
    cms_ref: str
    amount: Decimal
    start_on: date
    end_on: date
    rate: Decimal
    classification: str
    version: int

    @staticmethod
    def resolve_customer_name(obj):
        return obj.customer.name


class CreditLoanDetailOut(CreditLoanOut):
    checks: list[CreditCheckOut]
    classifications: list[CreditClassificationOut]

    @staticmethod
    def resolve_checks(obj):
        return list(obj.checks.all())

    @staticmethod
    def resolve_classifications(obj):
        return list(obj.classifications.all())


class CreditClassifyIn(Schema):
    classification: Annotated[str, Field(max_length=12)]
    reason: Text
    version: Count


class CreditWarningIn(Schema):
    customer_id: Id
    loan_id: Id | None = None
    category: Annotated[str, Field(max_length=12)]
    level: Annotated[str, Field(max_length=8)]
    title: Text
    detail: LongText = ""


class CreditWarningHandleIn(Schema):
    actions: LongText
    status: Annotated[str, Field(max_length=10)]
    version: Count


class CreditWarningOut(Schema):
    id: int
    customer_id: int
    customer_name: str
    loan_id: int | None
    category: str
    level: str
    title: str
    detail: str
    status: str
    owner_id: int
    actions: str
    auto: bool
    escalation_level: int
    escalated_unit_id: int | None
    raised_at: datetime
    version: int

    @staticmethod
    def resolve_customer_name(obj):
        return obj.customer.name


class CreditRatingIn(Schema):
    customer_id: Id
    year: Annotated[int, Field(ge=1900, le=2999)]
    grade: Annotated[str, Field(max_length=3)]
    credit_line: Money
    note: Text = ""


class CreditRatingOut(Schema):
    id: int
    customer_id: int
    year: int
    grade: str
    credit_line: Decimal
    note: str
    rated_by_id: int
    rated_at: datetime
