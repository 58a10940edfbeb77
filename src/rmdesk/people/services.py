"""Business actions of the people app (SPEC §9 job fit, §10 people development): one function per
action, the acting user first, the audit event in the same transaction, field-named Chinese
validation errors (422 in the API), nothing written when an action is refused.

Who does what: supervisors (team lead, branch manager) record DISC results, sessions, attendance and
exam scores, meetings and inspections for the people of their subtree; an RM writes their own career
plan, a supervisor reviews it; administrators keep the configuration (job models, the training-points
rule); branch managers and administrators keep the course catalogue.
"""

import calendar as pycal
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError
from django.db.models import Sum
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from rmdesk.core import audit
from rmdesk.core.actions import business_action, check_version, in_scope
from rmdesk.core.bounds import MAX_DAY, MIN_DAY
from rmdesk.core.notifications import notify, notify_after_commit
from rmdesk.core.roles import SUPERVISORS, WORKERS, RoleCode
from rmdesk.core.scope import covers, get_or_404
from rmdesk.org.models import OrgUnit, Qualification, StaffStatus, User

from . import disc
from .models import (
    FACTORS,
    Attendance,
    CareerPlan,
    Course,
    CourseMode,
    DiscProfile,
    Finding,
    FindingArea,
    Inspection,
    JobModel,
    Meeting,
    PlanStatus,
    TrainingPolicy,
    TrainingSession,
)
from .scope import (
    person_path,
    visible_meetings,
    visible_people,
    visible_plans,
    visible_profiles,
    visible_qualifications,
    visible_sessions,
)

#: who records for the people of their subtree
RECORDERS = SUPERVISORS
#: who keeps the configuration (job models, the points rule)
CONFIGURERS = (RoleCode.ADMIN,)
#: who keeps the course catalogue
CATALOGUE = (RoleCode.ADMIN, RoleCode.BRANCH_MANAGER)
SIDES = ("inner", "outer")
SCORE_FIELDS = tuple(f"{side}_{f}" for side in SIDES for f in FACTORS)
TEXT_MAX = 5000
TENTH = Decimal("0.1")


def _err(field, message):
    return ValidationError({field: [message]})


def _today():
    return timezone.localdate()


def _day(value, field, *, not_future=False) -> dict:
    if value is None:
        return {field: [_("请填写日期。")]}
    if not (MIN_DAY <= value <= MAX_DAY):
        return {field: [_("日期超出范围。")]}
    if not_future and value > _today():
        return {field: [_("日期不能晚于今天。")]}
    return {}


def _score(value, field, *, integer=False) -> dict:
    """A 0–100 score (integer DISC points, or a decimal exam score)."""
    if value is None or value == "":
        return {field: [_("请填写分数。")]}
    try:
        number = Decimal(str(value))
    except (InvalidOperation, ValueError):
        return {field: [_("请输入有效的数字。")]}
    if not number.is_finite() or not (0 <= number <= 100):
        return {field: [_("分数须在 0 至 100 之间。")]}
    if integer and number != number.to_integral_value():
        return {field: [_("分数须为整数。")]}
    return {}


def _text(value, field, *, required=True, limit=TEXT_MAX) -> dict:
    value = (value or "").strip()
    if required and not value:
        return {field: [_("请填写此项。")]}
    if len(value) > limit:
        return {field: [_("不能超过 %(n)d 个字。") % {"n": limit}]}
    return {}


def _person(actor, person_id, field="person_id") -> User:
    """A person the actor may record for (their subtree, write scope); anything else is a field error."""
    person = (
        visible_people(actor, write=True).filter(pk=person_id, is_active=True).select_related("team", "unit").first()
        if person_id
        else None
    )
    if person is None:
        raise _err(field, _("员工不存在或不在您的管辖范围内。"))
    return person


def _raise(errors):
    if errors:
        raise ValidationError(errors)


# --- DISC job fit (SPEC §9) ---------------------------------------------------------------------------


@business_action(roles=RECORDERS)
def record_disc_profile(actor, *, person_id, taken_on, source="", **scores) -> DiscProfile:
    """A supervisor enters a person's DISC test result (inner and outer D, I, S, C, integers 0–100,
    dated, not in the future); earlier results stay as the history (SPEC §9 job fit)."""
    errors = {}
    unknown = set(scores) - set(SCORE_FIELDS)
    if unknown:
        errors["__all__"] = [_("未知的测评项目：%(f)s") % {"f": ", ".join(sorted(unknown))}]
    for name in SCORE_FIELDS:
        errors |= _score(scores.get(name), name, integer=True)
    errors |= _day(taken_on, "taken_on", not_future=True)
    errors |= _text(source, "source", required=False, limit=100)
    _raise(errors)
    person = _person(actor, person_id)
    profile = DiscProfile.objects.create(
        person=person,
        org_path=person_path(person),
        taken_on=taken_on,
        source=(source or "").strip(),
        recorded_by=actor,
        **{k: int(Decimal(str(scores[k]))) for k in SCORE_FIELDS},
    )
    audit.record(actor, "people.disc_record", profile, after={"person": person.pk, "taken_on": taken_on})
    return profile


def _job_model_errors(code, name, scores) -> dict:
    errors = {}
    for f in FACTORS:
        errors |= _score(scores.get(f), f, integer=True)
    errors |= _text(name, "name", limit=60)
    if code is not None:
        errors |= _text(code, "code", limit=30)
    return errors


@business_action(roles=CONFIGURERS)
def create_job_model(actor, *, code, name, d, i, s, c, note="", is_active=True) -> JobModel:
    """An administrator adds a post's DISC model (each organisation builds its own, seed 002:157)."""
    scores = {"d": d, "i": i, "s": s, "c": c}
    _raise(_job_model_errors(code, name, scores) | _text(note, "note", required=False, limit=200))
    code = code.strip()
    if JobModel.objects.filter(code=code).exists():
        raise _err("code", _("模型代码已存在。"))
    model = JobModel.objects.create(
        code=code,
        name=name.strip(),
        note=(note or "").strip(),
        is_active=is_active,
        **{k: int(v) for k, v in scores.items()},
    )
    audit.record(actor, "people.job_model_create", model, after={"code": code, **scores})
    return model


@business_action(roles=CONFIGURERS)
def update_job_model(actor, model_id, *, version, name, d, i, s, c, note="", is_active=True) -> JobModel:
    """An administrator edits a job model's scores; the version they read is required (409 when stale)."""
    model = JobModel.objects.select_for_update().filter(pk=model_id).first()
    if model is None:
        from django.http import Http404

        raise Http404
    check_version(model, version)
    scores = {"d": d, "i": i, "s": s, "c": c}
    _raise(_job_model_errors(None, name, scores) | _text(note, "note", required=False, limit=200))
    before = model.scores()
    for k, v in scores.items():
        setattr(model, k, int(v))
    model.name, model.note, model.is_active = name.strip(), (note or "").strip(), is_active
    model.version += 1
    model.save()
    audit.record(actor, "people.job_model_update", model, before=before, after=scores)
    return model


def latest_profiles(viewer, *, person_ids=None):
    """Each visible person's current profile (the latest by test date, then by id)."""
    qs = visible_profiles(viewer).select_related("person", "person__team", "person__unit")
    if person_ids is not None:
        qs = qs.filter(person_id__in=person_ids)
    latest = {}
    for p in qs.order_by("person_id", "-taken_on", "-id"):
        latest.setdefault(p.person_id, p)
    return list(latest.values())


@dataclass(frozen=True)
class Candidate:
    rank: int
    person: User
    profile: DiscProfile
    match: disc.Match


def ranking(viewer, job_model: JobModel, *, person_ids=None) -> list[Candidate]:
    """Candidates for a post, closest fit first: every person in the viewer's scope with a DISC profile,
    by overall match degree (lower is closer), ties by name. Equal degrees share a rank (1, 1, 3)."""
    rows = [(disc.match_profile(p, job_model), p) for p in latest_profiles(viewer, person_ids=person_ids)]
    rows.sort(key=lambda r: (r[0].overall, r[1].person.display_name, r[1].person_id))
    out, rank, last = [], 0, None
    for n, (m, p) in enumerate(rows, start=1):
        if m.overall != last:
            rank, last = n, m.overall
        out.append(Candidate(rank, p.person, p, m))
    return out


# --- training (SPEC §10) ------------------------------------------------------------------------------


def policy() -> TrainingPolicy:
    """The training-points rule (seeded by migration 0002; a default row if someone deleted it)."""
    found = TrainingPolicy.objects.filter(code="default").first()
    if found is None:
        found, _created = TrainingPolicy.objects.get_or_create(
            code="default",
            defaults={
                "required_points": Decimal("40"),
                "window_months": 12,
                "remind_days": 60,
                "cert_warning_days": 60,
            },
        )
    return found


@business_action(roles=CONFIGURERS)
def update_policy(actor, *, version, required_points, window_months, remind_days, cert_warning_days) -> TrainingPolicy:
    """An administrator sets the renewal threshold (points within the window before renewal) and the
    reminder lead times (SPEC §10: training points count toward contract renewal)."""
    rule = TrainingPolicy.objects.select_for_update().get(pk=policy().pk)
    check_version(rule, version)
    errors = {}
    try:
        points = Decimal(str(required_points))
        if not points.is_finite() or not (0 <= points <= 9999):
            raise InvalidOperation
    except (InvalidOperation, ValueError):
        errors["required_points"] = [_("积分须在 0 至 9999 之间。")]
    for field, value, hi in (
        ("window_months", window_months, 60),
        ("remind_days", remind_days, 366),
        ("cert_warning_days", cert_warning_days, 366),
    ):
        if not isinstance(value, int) or not (1 <= value <= hi):
            errors[field] = [_("须为 1 至 %(n)d 之间的整数。") % {"n": hi}]
    _raise(errors)
    before = {"required_points": str(rule.required_points), "window_months": rule.window_months}
    rule.required_points, rule.window_months = points, window_months
    rule.remind_days, rule.cert_warning_days = remind_days, cert_warning_days
    rule.version += 1
    rule.save()
    audit.record(actor, "people.policy_update", rule, before=before, after={"required_points": str(points)})
    return rule


@business_action(roles=CATALOGUE)
def create_course(actor, *, code, name, mode, hours, points, pass_score=None) -> Course:
    """A course of the catalogue (集中培训 / 到网点一对一 / 网络培训, seed 001:267, 002:173)."""
    errors = _text(code, "code", limit=30) | _text(name, "name", limit=100)
    if mode not in CourseMode.values:
        errors["mode"] = [_("请选择培训方式。")]
    for field, value in (("hours", hours), ("points", points)):
        if value is None or not (0 <= Decimal(str(value)) <= 999):
            errors[field] = [_("须在 0 至 999 之间。")]
    if pass_score is not None:
        errors |= _score(pass_score, "pass_score")
    _raise(errors)
    if Course.objects.filter(code=code.strip()).exists():
        raise _err("code", _("课程代码已存在。"))
    course = Course.objects.create(
        code=code.strip(), name=name.strip(), mode=mode, hours=hours, points=points, pass_score=pass_score
    )
    audit.record(actor, "people.course_create", course, after={"code": course.code, "points": str(points)})
    return course


@business_action(roles=RECORDERS)
def create_session(actor, *, course_id, unit_id, held_on, place="", trainer="") -> TrainingSession:
    """A supervisor schedules a session of a course for a unit of their subtree."""
    errors = _day(held_on, "held_on") | _text(place, "place", required=False, limit=100)
    errors |= _text(trainer, "trainer", required=False, limit=50)
    course = Course.objects.filter(pk=course_id, is_active=True).first() if course_id else None
    if course is None:
        errors["course_id"] = [_("课程不存在或已停用。")]
    unit = OrgUnit.objects.filter(pk=unit_id).first() if unit_id else None
    if unit is None or not covers(actor, unit.path, write=True):
        errors["unit_id"] = [_("机构不存在或不在您的管辖范围内。")]
    _raise(errors)
    session = TrainingSession.objects.create(
        course=course,
        unit=unit,
        org_path=unit.path,
        held_on=held_on,
        place=(place or "").strip(),
        trainer=(trainer or "").strip(),
        created_by=actor,
    )
    audit.record(actor, "people.session_create", session, after={"course": course.code, "held_on": held_on})
    return session


def earned(course: Course, attended: bool, exam_score) -> tuple[Decimal, Decimal]:
    """(points, hours) an attendance earns: hours for attending; the course's points for attending and,
    when the course has a pass mark, passing its exam (SPEC §10)."""
    if not attended:
        return Decimal(0), Decimal(0)
    passed = course.pass_score is None or (exam_score is not None and Decimal(exam_score) >= course.pass_score)
    return (course.points if passed else Decimal(0)), course.hours


def _writable_session(actor, session_id) -> TrainingSession:
    get_or_404(visible_sessions(actor), session_id)
    session = TrainingSession.objects.select_related("course").get(pk=session_id)
    if not visible_sessions(actor, write=True).filter(pk=session_id).exists():
        raise PermissionDenied(_("您对该培训班次只有查看权限。"))
    return session


@business_action(roles=RECORDERS, subject=in_scope(visible_sessions))
def record_attendance(actor, session_id, *, person_id, attended=True, exam_score=None) -> Attendance:
    """A supervisor records a person's attendance and exam score; the points and hours follow from the
    course (a failed or missing exam earns no points when the course has a pass mark). Recording again
    replaces the person's row for the session."""
    session = _writable_session(actor, session_id)
    errors = {}
    if exam_score is not None and exam_score != "":
        errors |= _score(exam_score, "exam_score")
        if not attended and not errors:
            errors["exam_score"] = [_("缺勤人员不能登记考试成绩。")]
    else:
        exam_score = None
    if session.held_on > _today() and attended:
        errors["attended"] = [_("培训尚未举行，不能登记出勤。")]
    _raise(errors)
    person = _person(actor, person_id)
    exam = Decimal(str(exam_score)) if exam_score is not None else None
    points, hours = earned(session.course, attended, exam)
    row, created = Attendance.objects.select_for_update().get_or_create(
        session=session,
        person=person,
        defaults={
            "org_path": person_path(person),
            "held_on": session.held_on,
            "recorded_by": actor,
            "attended": attended,
            "exam_score": exam,
            "points": points,
            "hours": hours,
        },
    )
    if not created:
        row.attended, row.exam_score, row.points, row.hours, row.recorded_by = attended, exam, points, hours, actor
        row.version += 1
        row.save()
    audit.record(
        actor,
        "people.attendance_record",
        row,
        after={"session": session.pk, "person": person.pk, "attended": attended, "exam": exam, "points": points},
    )
    return row


def _add_months(day: date, months: int) -> date:
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    return date(year, month, min(day.day, pycal.monthrange(year, month)[1]))


def renewal_on(person, on: date) -> date:
    """The next renewal date of the person's appointment (聘任): the next anniversary of the appointment
    on or after `on`; without an appointment date, the end of the year."""
    start = person.appointed_on
    if start is None:
        return date(on.year, 12, 31)
    years = max(on.year - start.year, 1)
    candidate = _add_months(start, 12 * years)
    while candidate < on:
        years += 1
        candidate = _add_months(start, 12 * years)
    return candidate


@dataclass(frozen=True)
class PointsStatus:
    person: User
    points: Decimal
    required: Decimal
    window_start: date
    on: date
    renewal_on: date

    @property
    def shortfall(self) -> Decimal:
        return max(self.required - self.points, Decimal(0))

    @property
    def met(self) -> bool:
        return self.points >= self.required


def points_statuses(people, *, on: date | None = None, rule: TrainingPolicy | None = None) -> list[PointsStatus]:
    """Training points of each person within the rule's window ending on `on` (sessions held in
    (on − window, on]) against the renewal threshold; one grouped query for all of them."""
    on = on or _today()
    rule = rule or policy()
    start = _add_months(on, -rule.window_months)
    people = list(people)
    sums = dict(
        Attendance.objects.filter(person__in=[p.pk for p in people], held_on__gt=start, held_on__lte=on)
        .values_list("person_id")
        .annotate(total=Sum("points"))
        .values_list("person_id", "total")
    )
    return [
        PointsStatus(
            p, Decimal(sums.get(p.pk) or 0).quantize(TENTH), rule.required_points, start, on, renewal_on(p, on)
        )
        for p in people
    ]


def points_status(person, *, on=None) -> PointsStatus:
    return points_statuses([person], on=on)[0]


def team_points(viewer, *, on=None) -> list[PointsStatus]:
    """Points of the RMs the viewer may see (themselves included when they are one), lowest first."""
    people = (
        visible_people(viewer)
        .filter(roles__code=RoleCode.RM, is_active=True)
        .exclude(status=StaffStatus.LEFT)
        .distinct()
        .order_by("full_name", "pk")
    )
    return sorted(points_statuses(people, on=on), key=lambda s: (s.points, s.person.display_name))


def expiring_qualifications(viewer, *, within_days=None, on=None):
    """Certificates of people in the viewer's scope that expired or expire within the warning window
    (default: the rule's cert_warning_days), soonest first (SPEC §1: no valid one, no customers)."""
    on = on or _today()
    days = policy().cert_warning_days if within_days is None else within_days
    return (
        visible_qualifications(viewer)
        .filter(revoked=False, expires_on__lte=on + timedelta(days=days))
        .select_related("user", "user__team", "user__unit")
        .order_by("expires_on", "user__full_name")
    )


# --- meetings (SPEC §10, seed 001:271) ----------------------------------------------------------------


def _half_bounds(year: int, half: int) -> tuple[date, date]:
    return (date(year, 1, 1), date(year, 6, 30)) if half == 1 else (date(year, 7, 1), date(year, 12, 31))


def _attendees(actor, ids, field="attendee_ids") -> list[User]:
    ids = {int(i) for i in ids or []}
    if not ids:
        raise _err(field, _("请至少选择一名参会人员。"))
    found = list(visible_people(actor, write=True).filter(pk__in=ids, is_active=True))
    if len(found) != len(ids):
        raise _err(field, _("参会人员不存在或不在您的管辖范围内。"))
    return found


@business_action(roles=RECORDERS)
def create_meeting(actor, *, unit_id, year, half, held_on, title, minutes="", attendee_ids=()) -> Meeting:
    """A supervisor records the half-yearly RM work meeting of a unit of their subtree: the date lies in
    the half-year it is for; attendees are people of the subtree."""
    errors = _text(title, "title", limit=100) | _text(minutes, "minutes", required=False, limit=10000)
    if half not in (1, 2):
        errors["half"] = [_("请选择上半年或下半年。")]
    if not isinstance(year, int) or not (2000 <= year <= 2100):
        errors["year"] = [_("年度无效。")]
    errors |= _day(held_on, "held_on")
    if not errors:
        lo, hi = _half_bounds(year, half)
        if not (lo <= held_on <= hi):
            errors["held_on"] = [_("会议日期须在 %(lo)s 至 %(hi)s 之间。") % {"lo": lo, "hi": hi}]
    unit = OrgUnit.objects.filter(pk=unit_id).first() if unit_id else None
    if unit is None or not covers(actor, unit.path, write=True):
        errors["unit_id"] = [_("机构不存在或不在您的管辖范围内。")]
    _raise(errors)
    people = _attendees(actor, attendee_ids)
    meeting = Meeting.objects.create(
        unit=unit,
        org_path=unit.path,
        year=year,
        half=half,
        held_on=held_on,
        title=title.strip(),
        minutes=(minutes or "").strip(),
        organiser=actor,
    )
    meeting.attendees.set(people)
    audit.record(actor, "people.meeting_create", meeting, after={"unit": unit.pk, "year": year, "half": half})
    return meeting


@business_action(roles=RECORDERS, subject=in_scope(visible_meetings))
def update_meeting(actor, meeting_id, *, version, minutes, attendee_ids=None) -> Meeting:
    """A supervisor completes the minutes (and the attendee list) of a meeting of their subtree."""
    get_or_404(visible_meetings(actor), meeting_id)
    if not visible_meetings(actor, write=True).filter(pk=meeting_id).exists():
        raise PermissionDenied(_("您对该会议只有查看权限。"))
    meeting = Meeting.objects.select_for_update().get(pk=meeting_id)
    check_version(meeting, version)
    _raise(_text(minutes, "minutes", limit=10000))
    if attendee_ids is not None:
        meeting.attendees.set(_attendees(actor, attendee_ids))
    meeting.minutes = minutes.strip()
    meeting.version += 1
    meeting.save(update_fields=["minutes", "version"])
    audit.record(actor, "people.meeting_update", meeting, after={"minutes_chars": len(meeting.minutes)})
    return meeting


# --- inspections (SPEC §10 → §9, seed 001:273) --------------------------------------------------------


def quarter_bounds(year: int, quarter: int) -> tuple[date, date]:
    first = date(year, 3 * quarter - 2, 1)
    last_month = 3 * quarter
    return first, date(year, last_month, pycal.monthrange(year, last_month)[1])


def inspection_score(deductions) -> Decimal:
    """100 minus the findings' deductions, never below 0."""
    return max(Decimal(100) - sum((Decimal(d) for d in deductions), Decimal(0)), Decimal(0))


@business_action(roles=RECORDERS)
def record_inspection(actor, *, person_id, year, quarter, inspected_on, summary="", findings=()) -> Inspection:
    """A supervisor records the quarterly inspection of an RM of their subtree (按季检查): one per RM and
    quarter, dated from the quarter's first day up to today, findings each with an area, a description
    and a deduction (0 < deduction ≤ 100); score = 100 − Σ deductions, at least 0. The RM is told."""
    errors = _text(summary, "summary", required=False)
    if not isinstance(year, int) or not (2000 <= year <= 2100):
        errors["year"] = [_("年度无效。")]
    if quarter not in (1, 2, 3, 4):
        errors["quarter"] = [_("季度须为 1 至 4。")]
    errors |= _day(inspected_on, "inspected_on", not_future=True)
    if not errors and inspected_on < quarter_bounds(year, quarter)[0]:
        errors["inspected_on"] = [_("检查日期不能早于所检查季度的第一天。")]
    rows = []
    for n, item in enumerate(findings or []):
        area, text, deduction = item.get("area"), (item.get("description") or "").strip(), item.get("deduction")
        if area not in FindingArea.values:
            errors[f"findings.{n}.area"] = [_("请选择检查项目。")]
        if not text:
            errors[f"findings.{n}.description"] = [_("请填写发现的问题。")]
        elif len(text) > 300:
            errors[f"findings.{n}.description"] = [_("不能超过 %(n)d 个字。") % {"n": 300}]
        try:
            d = Decimal(str(deduction))
            if not d.is_finite() or not (0 < d <= 100) or d != d.quantize(Decimal("0.1")):
                raise InvalidOperation
        except (InvalidOperation, ValueError):
            errors[f"findings.{n}.deduction"] = [_("扣分须大于 0、不超过 100，最多一位小数。")]
            d = None
        rows.append((area, text, d))
    _raise(errors)
    person = _person(actor, person_id)
    if person.pk == actor.pk:
        raise _err("person_id", _("不能检查本人的工作。"))
    if not person.has_role(RoleCode.RM):
        raise _err("person_id", _("只能检查客户经理的工作。"))
    if Inspection.objects.filter(person=person, year=year, quarter=quarter).exists():
        raise _err("quarter", _("该客户经理本季度已有检查记录。"))
    try:
        inspection = Inspection.objects.create(
            person=person,
            org_path=person_path(person),
            year=year,
            quarter=quarter,
            inspected_on=inspected_on,
            inspector=actor,
            summary=(summary or "").strip(),
            score=inspection_score(d for _a, _t, d in rows),
        )
    except IntegrityError:
        raise _err("quarter", _("该客户经理本季度已有检查记录。")) from None
    for n, (area, text, deduction) in enumerate(rows, 1):  # one by one: the text checks run on save
        Finding.objects.create(inspection=inspection, order=n, area=area, description=text, deduction=deduction)
    audit.record(
        actor,
        "people.inspection_record",
        inspection,
        after={"person": person.pk, "year": year, "quarter": quarter, "score": inspection.score},
    )
    notify_after_commit(
        person,
        "people.inspection",
        _("%(y)s年第%(q)s季度工作检查：%(s)s 分") % {"y": year, "q": quarter, "s": inspection.score},
        url=reverse("people:inspection_detail", args=[inspection.pk]),
        obj=inspection,
    )
    return inspection


def inspections_due(viewer, *, on=None, limit: int | None = None, only: tuple = ()) -> list[User]:
    """RMs of the viewer's writable subtree without an inspection for the current quarter (the first `limit`
    of them when given: the home panel shows eight, and a branch has hundreds of RMs, issue 18). `only`: the
    columns the caller reads (the home panel: the name), so the DISTINCT compares those, not every column."""
    qs = inspections_due_query(viewer, on=on, only=only)
    return list(qs[:limit] if limit is not None else qs)


def inspections_due_query(viewer, *, on=None, only: tuple = ()):
    """`inspections_due`'s queryset; it is built from the viewer's id, their writable subtree paths and the
    quarter of `on` alone (the home panel keeps its compiled SQL under those, issue 18)."""
    on = on or _today()
    quarter = (on.month - 1) // 3 + 1
    done = Inspection.objects.filter(year=on.year, quarter=quarter).values("person_id")
    qs = (
        visible_people(viewer, write=True)
        .filter(roles__code=RoleCode.RM, is_active=True)
        .exclude(status=StaffStatus.LEFT)
        .exclude(pk=viewer.pk)
        .exclude(pk__in=done)
        .distinct()
        .order_by("full_name", "pk")
    )
    return qs.only(*only) if only else qs


# --- career plans (SPEC §10, seed 001:249) ------------------------------------------------------------


def _plan_text(goals, actions) -> dict:
    return _text(goals, "goals") | _text(actions, "actions", required=False)


@business_action(roles=WORKERS)
def create_plan(actor, *, year, goals, actions="", person_id=None) -> CareerPlan:
    """An RM writes their yearly career plan (or a supervisor drafts one for an RM of their subtree):
    one plan per person and year."""
    errors = _plan_text(goals, actions)
    if not isinstance(year, int) or not (2000 <= year <= 2100):
        errors["year"] = [_("年度无效。")]
    _raise(errors)
    person = actor if person_id in (None, actor.pk) else _person(actor, person_id)
    if CareerPlan.objects.filter(person=person, year=year).exists():
        raise _err("year", _("该年度的职业生涯规划已存在。"))
    plan = CareerPlan.objects.create(
        person=person, org_path=person_path(person), year=year, goals=goals.strip(), actions=(actions or "").strip()
    )
    audit.record(actor, "people.plan_create", plan, after={"person": person.pk, "year": year})
    return plan


def _writable_plan(actor, plan_id, version) -> CareerPlan:
    get_or_404(visible_plans(actor), plan_id)
    if not visible_plans(actor, write=True).filter(pk=plan_id).exists():
        raise PermissionDenied(_("您对该规划只有查看权限。"))
    plan = CareerPlan.objects.select_for_update().get(pk=plan_id)
    check_version(plan, version)
    return plan


@business_action(roles=WORKERS, subject=in_scope(visible_plans))
def update_plan(actor, plan_id, *, version, goals, actions="") -> CareerPlan:
    """The RM (or their supervisor) revises the goals and development actions until the plan is reviewed."""
    plan = _writable_plan(actor, plan_id, version)
    if plan.status == PlanStatus.REVIEWED:
        raise _err("status", _("规划已评议，不能再修改。"))
    _raise(_plan_text(goals, actions))
    plan.goals, plan.actions = goals.strip(), (actions or "").strip()
    plan.version += 1
    plan.save()
    audit.record(actor, "people.plan_update", plan)
    return plan


@business_action(roles=WORKERS, subject=in_scope(visible_plans))
def submit_plan(actor, plan_id, *, version) -> CareerPlan:
    """The RM submits their own plan for review."""
    plan = _writable_plan(actor, plan_id, version)
    if plan.person_id != actor.pk:
        raise PermissionDenied(_("只有本人可以提交职业生涯规划。"))
    if plan.status != PlanStatus.DRAFT:
        raise _err("status", _("规划当前状态为“%(s)s”，不能提交。") % {"s": plan.get_status_display()})
    plan.status = PlanStatus.SUBMITTED
    plan.version += 1
    plan.save()
    audit.record(actor, "people.plan_submit", plan)
    return plan


@business_action(roles=RECORDERS, subject=in_scope(visible_plans))
def review_plan(actor, plan_id, *, version, review) -> CareerPlan:
    """A supervisor of the RM's subtree reviews a submitted plan (never their own); the RM is told."""
    plan = _writable_plan(actor, plan_id, version)
    if plan.person_id == actor.pk:
        raise PermissionDenied(_("不能评议本人的规划。"))
    if plan.status != PlanStatus.SUBMITTED:
        raise _err("status", _("只有已提交的规划可以评议。"))
    _raise(_text(review, "review"))
    plan.review, plan.status = review.strip(), PlanStatus.REVIEWED
    plan.reviewed_by, plan.reviewed_at = actor, timezone.now()
    plan.version += 1
    plan.save()
    audit.record(actor, "people.plan_review", plan)
    notify_after_commit(
        plan.person,
        "people.plan_reviewed",
        _("%(y)s年职业生涯规划已评议") % {"y": plan.year},
        url=reverse("people:plan_detail", args=[plan.pk]),
        obj=plan,
    )
    return plan


# --- the daily job (manage.py run_people) -------------------------------------------------------------


def _leads_of(person) -> list[User]:
    """Who follows up a person's certificate and inspection: the team leads of their team, else their
    direct supervisor."""
    if person.team_id:
        leads = list(
            User.objects.filter(team=person.team, roles__code=RoleCode.TEAM_LEAD, is_active=True)
            .exclude(pk=person.pk)
            .distinct()
        )
        if leads:
            return leads
    return [person.supervisor] if person.supervisor_id else []


def daily_reminders(*, on: date | None = None) -> dict:
    """Certificate expiry (holder and supervisor), training points short of the threshold before the
    appointment's renewal (the RM), inspections due in the last two weeks of a quarter (supervisors).
    Deduplicated: an unread reminder is not repeated."""
    on = on or _today()
    rule = policy()
    counts = {"certificates": 0, "points": 0, "inspections": 0}
    for q in (
        Qualification.objects.filter(
            revoked=False, expires_on__lte=on + timedelta(days=rule.cert_warning_days), user__is_active=True
        )
        .exclude(user__status=StaffStatus.LEFT)
        .select_related("user", "user__supervisor", "user__team")
    ):
        title = _("岗位资质证书“%(n)s”%(d)s到期") % {"n": q.name, "d": q.expires_on.isoformat()}
        for who in [q.user, *_leads_of(q.user)]:
            notify(
                who,
                "people.certificate",
                title if who == q.user else f"{q.user.display_name}：{title}",
                url=reverse("people:qualifications"),
                dedupe_key=f"people.cert.{q.pk}.{q.expires_on}.{who.pk}",
            )
            counts["certificates"] += 1
    rms = list(User.objects.filter(roles__code=RoleCode.RM, is_active=True).exclude(status=StaffStatus.LEFT).distinct())
    for status in points_statuses(rms, on=on, rule=rule):
        if not status.met and (status.renewal_on - on).days <= rule.remind_days:
            notify(
                status.person,
                "people.points",
                _("培训积分 %(p)s，续聘（%(d)s）需 %(r)s 分")
                % {"p": status.points, "d": status.renewal_on.isoformat(), "r": status.required},
                url=reverse("people:training_points"),
                dedupe_key=f"people.points.{status.person.pk}.{status.renewal_on}",
            )
            counts["points"] += 1
    quarter = (on.month - 1) // 3 + 1
    if (quarter_bounds(on.year, quarter)[1] - on).days <= 14:
        done = Inspection.objects.filter(year=on.year, quarter=quarter).values("person_id")
        for rm in (
            User.objects.filter(pk__in=[r.pk for r in rms]).exclude(pk__in=done).select_related("supervisor", "team")
        ):
            for lead in _leads_of(rm):
                notify(
                    lead,
                    "people.inspection_due",
                    _("%(n)s 本季度工作检查待完成") % {"n": rm.display_name},
                    url=reverse("people:inspection_list"),
                    dedupe_key=f"people.insp.{rm.pk}.{on.year}Q{quarter}.{lead.pk}",
                )
                counts["inspections"] += 1
    return counts
