"""Request and response schemas of the contracts API (SPEC §7, §12). Names carry the app's prefix (schema
names are unique across apps). Every edit of a shared record names the `version` the client read:
required, a stale one answers 409 (rmdesk.core.actions.check_version)."""

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated

from ninja import Schema
from pydantic import Field

from rmdesk.core.bounds import Count, Day, Id, Limit, Offset

Money = Annotated[Decimal, Field(max_digits=18, decimal_places=2)]
Text = Annotated[str, Field(max_length=200)]
LongText = Annotated[str, Field(max_length=5000)]
Code = Annotated[str, Field(max_length=20)]


class ContractsTermsIn(Schema):
    subject: LongText = ""
    quantity: Text = ""
    price: Text = ""
    term: Text = ""
    place_method: Text = ""
    liability: LongText = ""
    disputes: LongText = ""


class ContractsContractIn(ContractsTermsIn):
    customer_id: Id
    kind: Code
    title: Text
    amount: Money
    start_on: Day
    end_on: Day
    party_a: Annotated[str, Field(max_length=120)] = ""
    credit_application_id: Id | None = None
    opportunity_id: Id | None = None


class ContractsContractUpdateIn(Schema):
    version: Count
    title: Text | None = None
    party_a: Annotated[str, Field(max_length=120)] | None = None
    amount: Money | None = None
    start_on: Day | None = None
    end_on: Day | None = None
    subject: LongText | None = None
    quantity: Text | None = None
    price: Text | None = None
    term: Text | None = None
    place_method: Text | None = None
    liability: LongText | None = None
    disputes: LongText | None = None


class ContractsVersionIn(Schema):
    version: Count


class ContractsRenewalIn(Schema):
    decision: Code
    reason: Text = ""
    version: Count


class ContractsBorrowIn(Schema):
    purpose: Text
    due_on: Day
    copy_id: Id | None = None


class ContractsBorrowDecisionIn(Schema):
    approve: bool
    note: Text = ""
    version: Count


class ContractsAcknowledgeIn(Schema):
    location: Annotated[str, Field(max_length=120)]


class ContractsInstallmentIn(Schema):
    due_on: Day
    amount: Money


class ContractsPaymentIn(Schema):
    amount: Money
    paid_on: Day
    note: Text = ""


class ContractsFollowUpIn(Schema):
    note: Annotated[str, Field(max_length=500)]
    next_on: Day | None = None


class ContractsWriteOffIn(Schema):
    reason: Text
    version: Count


class ContractsFilter(Schema):
    status: Code | None = None
    kind: Code | None = None
    customer_id: Id | None = None
    offset: Offset = 0
    limit: Limit = 100


class ContractsCollectionFilter(Schema):
    start: Day
    end: Day
    by: Code = "rm"


class ContractsTemplateOut(Schema):
    id: int
    kind: str
    name: str
    version: int
    body: str


class ContractsContractOut(Schema):
    id: int
    number: str | None
    customer_id: int
    customer_name: str
    kind: str
    kind_display: str
    title: str
    party_a: str
    party_b: str
    amount: Decimal
    start_on: date
    end_on: date
    status: str
    status_display: str
    rm_id: int
    credit_application_id: int | None
    opportunity_id: int | None
    original_id: int | None
    approval_id: int | None
    signed_on: date | None
    signatories: str
    renewal: str
    renewal_reason: str
    version: int

    @staticmethod
    def resolve_customer_name(obj):
        return obj.customer.name

    @staticmethod
    def resolve_kind_display(obj):
        return str(obj.get_kind_display())

    @staticmethod
    def resolve_status_display(obj):
        return str(obj.get_status_display())


class ContractsVersionOut(Schema):
    number: int
    subject: str
    quantity: str
    price: str
    term: str
    place_method: str
    liability: str
    disputes: str
    based_on_id: int | None
    submitted_at: datetime | None
    frozen_at: datetime | None
    sha256: str


class ContractsCopyOut(Schema):
    id: int
    role_id: int
    role_name: str
    delivered_at: datetime
    acknowledged_by_id: int | None
    acknowledged_at: datetime | None
    location: str

    @staticmethod
    def resolve_role_name(obj):
        return obj.role.name


class ContractsBorrowingOut(Schema):
    id: int
    contract_id: int
    copy_id: int
    borrower_id: int
    purpose: str
    due_on: date
    status: str
    requested_at: datetime
    decided_by_id: int | None
    lent_at: datetime | None
    returned_at: datetime | None
    version: int


class ContractsPaymentOut(Schema):
    id: int
    installment_id: int
    amount: Decimal
    paid_on: date
    note: str


class ContractsFollowUpOut(Schema):
    id: int
    installment_id: int
    note: str
    next_on: date | None
    by_id: int
    at: datetime


class ContractsInstallmentOut(Schema):
    id: int
    contract_id: int
    seq: int
    due_on: date
    amount: Decimal
    paid: Decimal
    written_off: Decimal
    outstanding: Decimal
    write_off_reason: str
    version: int


class ContractsAttachmentOut(Schema):
    id: int
    name: str
    uploaded_at: datetime


class ContractsContractDetailOut(ContractsContractOut):
    versions: list[ContractsVersionOut]
    copies: list[ContractsCopyOut]
    installments: list[ContractsInstallmentOut]
    attachments: list[ContractsAttachmentOut]

    @staticmethod
    def resolve_versions(obj):
        return list(obj.versions.all())

    @staticmethod
    def resolve_copies(obj):
        return list(obj.copies.select_related("role"))

    @staticmethod
    def resolve_installments(obj):
        return list(obj.installments.all())

    @staticmethod
    def resolve_attachments(obj):
        return list(obj.attachments.all())


class ContractsDiffRowOut(Schema):
    term: str
    before: str
    after: str
    changed: bool


class ContractsDiffOut(Schema):
    before_version: int | None
    after_version: int | None
    rows: list[ContractsDiffRowOut]


class ContractsCollectionRowOut(Schema):
    label: str
    due: Decimal
    collected: Decimal
    bad: Decimal
    collection_rate: Decimal
    bad_debt_rate: Decimal
    bad_debt_ok: bool
    collection_ok: bool
