"""Request and response schemas of the service API (SPEC §5, §12).

Every edit of a shared record (a case's steps, the quality feedback form, a survey response, a watch
entry) names the `version` the client read: it is required, a stale one answers 409
(rmdesk.core.actions.check_version).
"""

from datetime import date, datetime

from ninja import Schema

from rmdesk.core.bounds import Id, Limit, Offset


class ChecklistItemOut(Schema):
    order: int
    text: str


class CategoryOut(Schema):
    """A case category; `requires_feedback` and `checklist` are what the organisation's pack sets (issue 19)."""

    id: int
    code: str
    name: str
    kind: str
    requires_feedback: bool
    checklist: list[ChecklistItemOut]

    @staticmethod
    def resolve_checklist(obj):
        return [i for i in obj.checklist_items.all() if i.is_active]


class PolicyOut(Schema):
    id: int
    name: str
    category_id: int | None
    severity: str
    ack_amount: int
    ack_unit: str
    answer_amount: int
    answer_unit: str
    warn_hours: int
    escalate_every_hours: int
    notify_supervisor_at_once: bool


class StepOut(Schema):
    action: str
    actor_id: int | None
    at: datetime
    status_from: str
    status_to: str
    note: str
    cycle: int


class CaseOut(Schema):
    id: int
    number: str | None
    kind: str
    channel: str
    category_id: int
    severity: str
    customer_id: int
    customer_name: str
    product: str
    title: str
    description: str
    status: str
    status_display: str
    responsible_unit_id: int
    owner_id: int
    registered_by_id: int
    registered_at: datetime
    cause: str
    root_cause: str
    plan: str
    plan_by_id: int | None
    instruction: str
    approved_by_id: int | None
    result: str
    customer_confirmed: bool | None
    satisfaction: int | None
    is_valid: bool | None
    responsibility: str
    cycle: int
    reopen_count: int
    ack_due_at: datetime | None
    answer_due_at: datetime | None
    acknowledged_at: datetime | None
    answered_at: datetime | None
    paused_at: datetime | None
    ack_breached: bool
    answer_breached: bool
    escalation_level: int
    closed_at: datetime | None
    version: int

    @staticmethod
    def resolve_customer_name(obj):
        return obj.customer.name

    @staticmethod
    def resolve_status_display(obj):
        return str(obj.get_status_display())


class CheckOut(Schema):
    """One checklist item of a case (issue 19; seed 001 §4.3 入网/退网)."""

    order: int
    text: str
    done: bool
    done_by_id: int | None
    done_at: datetime | None
    note: str


class CaseDetailOut(CaseOut):
    steps: list[StepOut]
    checks: list[CheckOut]

    @staticmethod
    def resolve_steps(obj):
        return list(obj.steps.all())

    @staticmethod
    def resolve_checks(obj):
        return list(obj.checks.all())


class CaseIn(Schema):
    customer_id: int
    kind: str = "complaint"
    channel: str
    category_id: int
    severity: str = "normal"
    title: str
    description: str
    product: str = ""
    owner_id: int | None = None


class ServiceVersionIn(Schema):
    """Every step of a case is an edit of a shared record: the version the client read is required."""

    version: int


class NoteIn(ServiceVersionIn):
    note: str = ""


class CheckIn(ServiceVersionIn):
    """Tick or untick a checklist item; `version` is the case's."""

    done: bool
    note: str = ""


class InvestigateIn(ServiceVersionIn):
    cause: str
    root_cause: str = ""


class PlanIn(ServiceVersionIn):
    plan: str


class DecideIn(ServiceVersionIn):
    approve: bool
    instruction: str = ""


class ResultIn(ServiceVersionIn):
    result: str


class FollowUpIn(ServiceVersionIn):
    customer_confirmed: bool
    satisfaction: int | None = None
    note: str = ""


class ReasonIn(ServiceVersionIn):
    reason: str


class AssessIn(ServiceVersionIn):
    is_valid: bool
    responsibility: str = ""
    root_cause: str = ""
    responsible_staff_id: int | None = None
    note: str = ""


class ServiceAssignIn(ServiceVersionIn):
    owner_id: int
    note: str = ""


class FeedbackIn(Schema):
    product: str
    problem: str
    quantity: str = ""
    customer_opinion: str = ""
    handling: str = ""
    version: int  # the form's version as read; 0 when the case has no form yet


class FeedbackOut(Schema):
    id: int
    case_id: int
    product: str
    quantity: str
    problem: str
    customer_opinion: str
    handling: str
    filled_by_id: int
    filled_at: datetime
    reviewed_by_id: int | None
    reviewed_at: datetime | None
    review_note: str
    customer_signed_name: str
    customer_signed_at: datetime | None
    version: int


class SignIn(Schema):
    version: int  # the feedback form's version
    signed_name: str


class ServiceReviewIn(Schema):
    version: int  # the feedback form's version
    note: str = ""


class CaseFilter(Schema):
    status: str | None = None
    customer_id: Id | None = None
    owner_id: Id | None = None
    breached: bool | None = None
    limit: Limit = 50
    offset: Offset = 0


class SlaRow(Schema):
    key: int | None
    name: str
    total: int
    open: int
    ack_late: int
    answer_late: int
    breached: int
    escalated: int
    valid_complaints: int
    on_time_rate: float | None


class QuestionOut(Schema):
    id: int
    order: int
    text: str
    kind: str
    weight: float


class ServiceTemplateOut(Schema):
    id: int
    name: str
    description: str
    questions: list[QuestionOut]

    @staticmethod
    def resolve_questions(obj):
        return list(obj.questions.all())


class QuestionIn(Schema):
    text: str
    kind: str = "score"
    weight: float = 1


class TemplateIn(Schema):
    name: str
    description: str = ""
    questions: list[QuestionIn]


class RoundIn(Schema):
    template_id: int
    name: str
    tier_ids: list[int] = []
    stages: list[str] = []
    unit_id: int | None = None
    due_on: date | None = None


class RoundOut(Schema):
    id: int
    template_id: int
    name: str
    segment: dict
    unit_id: int
    created_by_id: int
    created_at: datetime
    due_on: date | None
    is_closed: bool


class ResponseOut(Schema):
    id: int
    round_id: int
    customer_id: int
    rm_id: int | None
    answered_at: datetime | None
    source: str
    score: float | None
    comment: str
    version: int


class AnswersIn(Schema):
    version: int  # the response's version as read (answers recorded again replace the earlier ones)
    answers: dict[int, str | int | None]
    comment: str = ""


class IndexRow(Schema):
    key: int | None
    name: str
    responses: int
    index: float


class ChurnRow(Schema):
    tier_id: int
    tier: str
    rank: int
    customers: int
    churned: int
    at_risk: int
    rate: float | None
    target: float | None
    ok: bool | None


class WatchIn(Schema):
    customer_id: int
    reason: str = "manual"
    note: str = ""
    assigned_to_id: int | None = None


class ActionOut(Schema):
    id: int
    kind: str
    description: str
    assigned_to_id: int
    due_on: date
    done_at: datetime | None
    result: str


class WatchOut(Schema):
    id: int
    customer_id: int
    customer_name: str
    reason: str
    note: str
    assigned_to_id: int | None
    status: str
    added_at: datetime
    closed_at: datetime | None
    outcome: str
    version: int
    actions: list[ActionOut]

    @staticmethod
    def resolve_customer_name(obj):
        return obj.customer.name

    @staticmethod
    def resolve_actions(obj):
        return list(obj.actions.all())


class ActionIn(Schema):
    kind: str
    description: str
    due_on: date
    assigned_to_id: int | None = None


class ResultOnlyIn(Schema):
    result: str


class CloseWatchIn(Schema):
    version: int
    status: str
    outcome: str = ""


class RunOut(Schema):
    checked: int
    at_risk: int
    breached: int
    escalated: int
