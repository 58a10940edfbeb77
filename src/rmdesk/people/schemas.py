"""Request and response schemas of the people API (SPEC §9 job fit, §10, §12). Names carry the app's
prefix (schema names are unique across apps). Edits of shared records name the `version` the client
read: required, a stale one answers 409 (rmdesk.core.actions.check_version)."""

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated

from ninja import Schema
from pydantic import Field

from rmdesk.core.bounds import Count, Day, Id, Limit, Offset

Score = Annotated[int, Field(ge=0, le=100)]
Mark = Annotated[Decimal, Field(ge=0, le=100, max_digits=5, decimal_places=1)]
Small = Annotated[Decimal, Field(ge=0, le=999, max_digits=5, decimal_places=1)]
Year = Annotated[int, Field(ge=2000, le=2100)]
Text = Annotated[str, Field(max_length=200)]
LongText = Annotated[str, Field(max_length=10000)]


class PeopleListFilter(Schema):
    person_id: Id | None = None
    offset: Offset = 0
    limit: Limit = 100


# --- DISC ---------------------------------------------------------------------------------------------


class PeopleJobModelIn(Schema):
    code: Annotated[str, Field(max_length=30)]
    name: Annotated[str, Field(max_length=60)]
    d: Score
    i: Score
    s: Score
    c: Score
    note: Text = ""
    is_active: bool = True


class PeopleJobModelUpdateIn(Schema):
    name: Annotated[str, Field(max_length=60)]
    d: Score
    i: Score
    s: Score
    c: Score
    note: Text = ""
    is_active: bool = True
    version: Count


class PeopleJobModelOut(Schema):
    id: int
    code: str
    name: str
    d: int
    i: int
    s: int
    c: int
    note: str
    is_active: bool
    version: int


class PeopleDiscIn(Schema):
    person_id: Id
    taken_on: Day
    source: Annotated[str, Field(max_length=100)] = ""
    inner_d: Score
    inner_i: Score
    inner_s: Score
    inner_c: Score
    outer_d: Score
    outer_i: Score
    outer_s: Score
    outer_c: Score


class PeopleDiscOut(Schema):
    id: int
    person_id: int
    person_name: str
    taken_on: date
    source: str
    inner_d: int
    inner_i: int
    inner_s: int
    inner_c: int
    outer_d: int
    outer_i: int
    outer_s: int
    outer_c: int

    @staticmethod
    def resolve_person_name(obj):
        return obj.person.display_name


class PeopleFactorGaps(Schema):
    d: Decimal
    i: Decimal
    s: Decimal
    c: Decimal


class PeopleMatchOut(Schema):
    """The ten match values of a profile against a job model (lower is a closer fit; docs/people.md)."""

    job_model_id: int
    job_model_name: str
    inner: PeopleFactorGaps
    outer: PeopleFactorGaps
    inner_total: Decimal
    outer_total: Decimal
    overall: Decimal


class PeopleDiscDetailOut(PeopleDiscOut):
    matches: list[PeopleMatchOut]


class PeopleCandidateOut(Schema):
    rank: int
    person_id: int
    person_name: str
    profile_id: int
    taken_on: date
    inner_total: Decimal
    outer_total: Decimal
    overall: Decimal


# --- training -----------------------------------------------------------------------------------------


class PeopleCourseIn(Schema):
    code: Annotated[str, Field(max_length=30)]
    name: Annotated[str, Field(max_length=100)]
    mode: Annotated[str, Field(max_length=20)]
    hours: Small
    points: Small
    pass_score: Mark | None = None


class PeopleCourseOut(Schema):
    id: int
    code: str
    name: str
    mode: str
    mode_display: str
    hours: Decimal
    points: Decimal
    pass_score: Decimal | None
    is_active: bool

    @staticmethod
    def resolve_mode_display(obj):
        return str(obj.get_mode_display())


class PeoplePolicyIn(Schema):
    required_points: Annotated[Decimal, Field(ge=0, le=9999, max_digits=6, decimal_places=1)]
    window_months: Annotated[int, Field(ge=1, le=60)]
    remind_days: Annotated[int, Field(ge=1, le=366)]
    cert_warning_days: Annotated[int, Field(ge=1, le=366)]
    version: Count


class PeoplePolicyOut(Schema):
    required_points: Decimal
    window_months: int
    remind_days: int
    cert_warning_days: int
    version: int


class PeopleSessionIn(Schema):
    course_id: Id
    unit_id: Id
    held_on: Day
    place: Annotated[str, Field(max_length=100)] = ""
    trainer: Annotated[str, Field(max_length=50)] = ""


class PeopleSessionOut(Schema):
    id: int
    course_id: int
    course_name: str
    unit_id: int
    held_on: date
    place: str
    trainer: str

    @staticmethod
    def resolve_course_name(obj):
        return obj.course.name


class PeopleAttendanceIn(Schema):
    person_id: Id
    attended: bool = True
    exam_score: Mark | None = None


class PeopleAttendanceOut(Schema):
    id: int
    session_id: int
    person_id: int
    person_name: str
    held_on: date
    attended: bool
    exam_score: Decimal | None
    points: Decimal
    hours: Decimal
    version: int

    @staticmethod
    def resolve_person_name(obj):
        return obj.person.display_name


class PeopleSessionDetailOut(PeopleSessionOut):
    attendance: list[PeopleAttendanceOut]


class PeoplePointsOut(Schema):
    person_id: int
    person_name: str
    points: Decimal
    required: Decimal
    shortfall: Decimal
    met: bool
    window_start: date
    renewal_on: date


class PeopleQualificationFilter(Schema):
    within_days: Annotated[int, Field(ge=0, le=3660)] | None = None


class PeopleQualificationOut(Schema):
    id: int
    user_id: int
    person_name: str
    name: str
    number: str
    issued_on: date
    expires_on: date
    expired: bool


# --- meetings, inspections, plans ---------------------------------------------------------------------


class PeopleMeetingIn(Schema):
    unit_id: Id
    year: Year
    half: Annotated[int, Field(ge=1, le=2)]
    held_on: Day
    title: Annotated[str, Field(max_length=100)]
    minutes: LongText = ""
    attendee_ids: Annotated[list[Id], Field(max_length=500)]


class PeopleMeetingUpdateIn(Schema):
    minutes: LongText
    attendee_ids: Annotated[list[Id], Field(max_length=500)] | None = None
    version: Count


class PeopleMeetingOut(Schema):
    id: int
    unit_id: int
    year: int
    half: int
    held_on: date
    title: str
    minutes: str
    attendee_ids: list[int]
    organiser_id: int
    version: int

    @staticmethod
    def resolve_attendee_ids(obj):
        return sorted(u.pk for u in obj.attendees.all())


class PeopleFindingIn(Schema):
    area: Annotated[str, Field(max_length=20)]
    description: Annotated[str, Field(max_length=300)]
    deduction: Annotated[Decimal, Field(max_digits=5, decimal_places=1)]


class PeopleInspectionIn(Schema):
    person_id: Id
    year: Year
    quarter: Annotated[int, Field(ge=1, le=4)]
    inspected_on: Day
    summary: Annotated[str, Field(max_length=5000)] = ""
    findings: Annotated[list[PeopleFindingIn], Field(max_length=50)] = []


class PeopleFindingOut(Schema):
    area: str
    area_display: str
    description: str
    deduction: Decimal

    @staticmethod
    def resolve_area_display(obj):
        return str(obj.get_area_display())


class PeopleInspectionOut(Schema):
    id: int
    person_id: int
    person_name: str
    year: int
    quarter: int
    inspected_on: date
    inspector_id: int
    summary: str
    score: Decimal
    findings: list[PeopleFindingOut]

    @staticmethod
    def resolve_person_name(obj):
        return obj.person.display_name

    @staticmethod
    def resolve_findings(obj):
        return list(obj.findings.all())


class PeoplePlanIn(Schema):
    year: Year
    goals: Annotated[str, Field(max_length=5000)]
    actions: Annotated[str, Field(max_length=5000)] = ""
    person_id: Id | None = None


class PeoplePlanUpdateIn(Schema):
    goals: Annotated[str, Field(max_length=5000)]
    actions: Annotated[str, Field(max_length=5000)] = ""
    version: Count


class PeopleVersionIn(Schema):
    version: Count


class PeopleReviewIn(Schema):
    review: Annotated[str, Field(max_length=5000)]
    version: Count


class PeoplePlanOut(Schema):
    id: int
    person_id: int
    year: int
    goals: str
    actions: str
    status: str
    status_display: str
    review: str
    reviewed_by_id: int | None
    reviewed_at: datetime | None
    version: int

    @staticmethod
    def resolve_status_display(obj):
        return str(obj.get_status_display())
