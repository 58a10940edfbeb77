"""Request and response schemas of the work API (SPEC §3, §12).

Every edit of a shared record (appointment, schedule, journal) names the `version` the client read:
it is required, a stale one answers 409 (rmdesk.core.actions.check_version).
"""

from datetime import date, datetime

from ninja import Schema
from pydantic import Field

from rmdesk.core.bounds import Count

from . import services


class NotificationOut(Schema):
    id: int
    kind: str
    title: str
    body: str
    url: str
    object_type: str
    object_id: str
    created_at: datetime
    due_at: datetime | None
    read_at: datetime | None


class ReadIn(Schema):
    ids: list[int] | None = None


class CountOut(Schema):
    count: int


class WorkingDayOut(Schema):
    day: date
    is_working_day: bool
    next_working_day: date


class AddWorkingDaysOut(Schema):
    start: date
    n: int
    result: date


class ContactStatusOut(Schema):
    customer_id: int
    customer_name: str
    a_rm_id: int | None
    rule_id: int | None
    last_contact_at: datetime | None
    next_due_on: date | None
    status: str
    #: why it is due then: rule (the tier's cadence), chosen (the customer's chosen interval), declined (issue 19)
    due_basis: str

    @staticmethod
    def resolve_customer_name(obj):
        return obj.customer.name


class ChosenIntervalOut(Schema):
    """A customer's chosen callback interval (issue 19). `mode`: how this industry uses it (off, shorter,
    customer); `version` 0 and `recorded_at` empty when nothing is recorded."""

    customer_id: int
    mode: str
    interval_months: int
    interval_days: int
    declined: bool
    note: str
    recorded_by_id: int | None
    recorded_at: datetime | None
    version: int


class ChosenIntervalIn(Schema):
    """Months and days (not both zero unless `declined`); `version`: the one read (0 when none recorded)."""

    interval_months: Count = 0
    interval_days: Count = 0
    declined: bool = False
    note: str | None = None
    version: Count


class RMSummaryOut(Schema):
    a_rm: int | None
    name: str
    overdue: int
    due: int
    soon: int
    ok: int
    total: int

    @staticmethod
    def resolve_name(obj):
        return obj.get("a_rm__full_name") or obj.get("a_rm__username") or ""


class InteractionIn(Schema):
    customer_id: int
    kind: str
    occurred_at: datetime
    purpose: str
    content: str = ""
    place: str = ""
    door_to_door: bool | None = None
    companion_ids: list[int] = []
    needs_found: str = ""
    products_recommended: str = ""
    next_step: str = ""
    next_step_kind: str = "none"
    next_step_at: datetime | None = None
    confirmed_by_name: str = ""
    confirmed_at: datetime | None = None
    minutes_spent: int | None = None
    appointment_id: int | None = None
    #: a door-to-door visit's approved special-service request (SPEC §8); empty: the only one for the day
    special_service_id: int | None = Field(default=None, ge=1, le=2**63 - 1)


class InteractionOut(Schema):
    id: int
    customer_id: int
    kind: str
    occurred_at: datetime
    place: str
    door_to_door: bool
    recorded_by_id: int
    companion_ids: list[int]
    purpose: str
    content: str
    needs_found: str
    products_recommended: str
    next_step: str
    next_step_kind: str
    next_step_at: datetime | None
    confirmed_by_name: str
    confirmed_at: datetime | None
    minutes_spent: int | None

    @staticmethod
    def resolve_companion_ids(obj):
        return [u.pk for u in obj.companions.all()]


class AppointmentIn(Schema):
    customer_id: int
    subject: str
    start_at: datetime
    end_at: datetime | None = None
    place: str = ""
    notes: str = ""
    remind_minutes: int = 60


class AppointmentPatch(Schema):
    version: int
    subject: str | None = None
    start_at: datetime | None = None
    end_at: datetime | None = None
    place: str | None = None
    notes: str | None = None
    remind_minutes: int | None = None


class CancelIn(Schema):
    version: int
    reason: str = ""


class AppointmentOut(Schema):
    id: int
    owner_id: int
    customer_id: int
    subject: str
    start_at: datetime
    end_at: datetime
    place: str
    notes: str
    status: str
    remind_minutes: int
    version: int


class ScheduleItemOut(Schema):
    id: int
    customer_id: int
    customer_name: str
    day: date
    position: int
    source: str
    area: str
    note: str

    @staticmethod
    def resolve_customer_name(obj):
        return obj.customer.name


class ScheduleOut(Schema):
    id: int
    owner_id: int
    week_start: date
    status: str
    version: int
    confirmed_at: datetime | None
    visited: int
    planned: int
    items: list[ScheduleItemOut]

    @staticmethod
    def resolve_items(obj):
        return list(obj.items.select_related("customer"))

    @staticmethod
    def resolve_visited(obj):
        return services.schedule_completion(obj)[0]

    @staticmethod
    def resolve_planned(obj):
        return services.schedule_completion(obj)[1]


class GenerateIn(Schema):
    week_start: date | None = None
    per_day: int = 6


class ItemIn(Schema):
    customer_id: int
    day: date
    version: int
    note: str = ""


class MoveIn(Schema):
    version: int
    day: date | None = None
    direction: str = ""


class WorkVersionIn(Schema):
    """An edit that carries no other input: only the version the client read (required)."""

    version: int


class TaskIn(Schema):
    title: str
    due_on: date | None = None
    detail: str = ""
    customer_id: int | None = None


class TaskOut(Schema):
    id: int
    owner_id: int
    customer_id: int | None
    title: str
    detail: str
    due_on: date | None
    status: str
    source: str


class WorkTemplateOut(Schema):
    code: str
    name: str
    period: str
    sections: list[dict]
    required: bool


class JournalOut(Schema):
    id: int
    template: str
    template_name: str
    owner_id: int
    period_start: date
    period_end: date
    due_on: date
    status: str
    content: dict
    reviewer_id: int | None
    submitted_at: datetime | None
    reviewed_at: datetime | None
    review_comment: str
    version: int

    @staticmethod
    def resolve_template(obj):
        return obj.template.code

    @staticmethod
    def resolve_template_name(obj):
        return obj.template.name


class JournalOpenIn(Schema):
    template: str
    day: date | None = None


class JournalSaveIn(Schema):
    version: int
    content: dict


class JournalSubmitIn(Schema):
    version: int
    content: dict | None = None


class WorkReviewIn(Schema):
    version: int
    approve: bool
    comment: str = ""
