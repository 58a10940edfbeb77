"""Pages of the people app (SPEC §9 job fit, §10): thin views over services.py and the scope functions.
Every record is fetched through its scope (out of scope is 404); a refused action re-renders the page
with the errors next to the fields (422); a write the role may not take is 403."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _, gettext_lazy as _l
from django.views.decorators.http import require_POST

from rmdesk.core.actions import StaleVersion
from rmdesk.core.forms import errors_by_field
from rmdesk.core.roles import SUPERVISORS, RoleCode, is_admin

from . import disc, services
from .forms import (
    AttendanceForm,
    CourseForm,
    DiscForm,
    InspectionForm,
    JobModelForm,
    MeetingForm,
    MinutesForm,
    PlanEditForm,
    PlanForm,
    PolicyForm,
    ReviewForm,
    SessionForm,
)
from .models import Course, JobModel, PlanStatus
from .scope import (
    get_inspection_or_404,
    get_meeting_or_404,
    get_plan_or_404,
    get_profile_or_404,
    get_session_or_404,
    visible_attendance,
    visible_inspections,
    visible_meetings,
    visible_plans,
    visible_profiles,
    visible_sessions,
)

#: D 支配型, I 影响型, S 稳健型, C 谨慎型 (seed 002:79)
FACTOR_LABELS = (_l("支配型 D"), _l("影响型 I"), _l("稳健型 S"), _l("谨慎型 C"))


def _apply_errors(form, exc: ValidationError, mapping=None):
    """Put a service's field errors next to the form's fields (the rest on the form)."""
    mapping = mapping or {}
    for field, msgs in errors_by_field(exc).items():
        name = mapping.get(field, field)
        for msg in msgs:
            form.add_error(name if name in form.fields else None, msg)


def _call(form, fn, mapping=None):
    """Run a service with a valid form; (result, True) or (None, False) with the errors on the form."""
    try:
        return fn(), True
    except ValidationError as exc:
        _apply_errors(form, exc, mapping)
        return None, False


def _require(user, roles):
    if not (user.has_role(*roles) or ("admin" in roles and is_admin(user))):
        raise PermissionDenied(_("您的角色无权执行此操作。"))


def _rm_model():
    return JobModel.objects.filter(code="rm").first() or JobModel.objects.filter(is_active=True).first()


# --- my page ------------------------------------------------------------------------------------------


@login_required
def home(request):
    """The RM's own page (usable on a phone): current DISC fit, points, training, inspections, plans,
    meetings; supervisors find their team's records through the menu entries."""
    user = request.user
    today = timezone.localdate()
    profile = visible_profiles(user).filter(person=user).first()
    model = _rm_model()
    return render(
        request,
        "people/home.html",
        {
            "profile": profile,
            "model": model,
            "match": disc.match_profile(profile, model) if profile and model else None,
            "points": services.points_status(user, on=today),
            "attendance": visible_attendance(user).filter(person=user).select_related("session__course")[:20],
            "inspections": visible_inspections(user).filter(person=user).select_related("inspector")[:8],
            "plans": visible_plans(user).filter(person=user)[:5],
            "meetings": visible_meetings(user).filter(attendees=user).select_related("unit")[:5],
            "certificates": user.qualifications.order_by("-expires_on")[:5],
            "today": today,
            "is_supervisor": user.has_role(*SUPERVISORS),
        },
    )


# --- DISC ---------------------------------------------------------------------------------------------


@login_required
def disc_list(request):
    user = request.user
    can_record = user.has_role(*services.RECORDERS)
    form = DiscForm(user, request.POST or None) if can_record else None
    status = 200
    if request.method == "POST":
        _require(user, services.RECORDERS)
        if form.is_valid():
            d = dict(form.cleaned_data)
            person = d.pop("person")
            profile, ok = _call(
                form,
                lambda: services.record_disc_profile(user, person_id=person.pk, **d),
                {"person_id": "person"},
            )
            if ok:
                messages.success(request, _("DISC 测评结果已登记。"))
                return redirect("people:disc_detail", profile.pk)
        status = 422
    model = _rm_model()
    latest = services.latest_profiles(user)
    rows = [(p, disc.match_profile(p, model) if model else None) for p in latest]
    return render(
        request,
        "people/disc_list.html",
        {"rows": rows, "model": model, "form": form, "models": JobModel.objects.filter(is_active=True)},
        status=status,
    )


def disc_radar(profile, job_models) -> dict:
    """The DISC radar (SPEC §9 job fit; ECharts through core's {% chart %}, no inline script): the person's
    inner and outer D/I/S/C against each active job model, every axis 0–100, with the same figures as a table."""
    inner = [getattr(profile, f"inner_{f}") for f in disc.FACTORS]
    outer = [getattr(profile, f"outer_{f}") for f in disc.FACTORS]
    series = [(str(_("内在")), inner), (str(_("外在")), outer)]
    series += [(m.name, [getattr(m, f) for f in disc.FACTORS]) for m in job_models]
    labels = [str(label) for label in FACTOR_LABELS]
    return {
        "id": "disc-radar",
        "title": str(_("DISC 行为风格雷达图")),
        "height": 320,
        "option": {
            "tooltip": {},
            "legend": {"bottom": 0},
            "radar": {"indicator": [{"name": label, "max": 100} for label in labels], "radius": "62%"},
            "series": [
                {
                    "type": "radar",
                    "data": [{"name": name, "value": [int(v) for v in values]} for name, values in series],
                }
            ],
        },
        "columns": [str(_("系列")), *labels],
        "rows": [[name, *[int(v) for v in values]] for name, values in series],
    }


@login_required
def disc_detail(request, pk):
    profile = get_profile_or_404(request.user, pk)
    models_ = list(JobModel.objects.filter(is_active=True))
    history = visible_profiles(request.user).filter(person_id=profile.person_id)
    return render(
        request,
        "people/disc_detail.html",
        {
            "profile": profile,
            "factors": [
                (label, getattr(profile, f"inner_{f}"), getattr(profile, f"outer_{f}"))
                for f, label in zip(disc.FACTORS, FACTOR_LABELS, strict=True)
            ],
            "matches": [(m, disc.match_profile(profile, m)) for m in models_],
            "radar": disc_radar(profile, models_),
            "history": history,
        },
    )


@login_required
def disc_ranking(request):
    user = request.user
    models_ = list(JobModel.objects.filter(is_active=True))
    chosen = None
    wanted = request.GET.get("model", "")
    for m in models_:
        if str(m.pk) == wanted:
            chosen = m
    chosen = chosen or _rm_model()
    return render(
        request,
        "people/disc_ranking.html",
        {"models": models_, "model": chosen, "rows": services.ranking(user, chosen) if chosen else []},
    )


# --- configuration: job models, the points rule, courses ------------------------------------------------


@login_required
def job_models(request):
    """Job models (everyone reads them; administrators add and edit) and the training-points rule."""
    user = request.user
    admin = is_admin(user)
    form = JobModelForm(request.POST or None) if admin else None
    rule = services.policy()
    policy_form = (
        PolicyForm(
            initial={
                "required_points": rule.required_points,
                "window_months": rule.window_months,
                "remind_days": rule.remind_days,
                "cert_warning_days": rule.cert_warning_days,
            }
        )
        if admin
        else None
    )
    status = 200
    if request.method == "POST":
        _require(user, services.CONFIGURERS)
        if form.is_valid():
            _m, ok = _call(form, lambda: services.create_job_model(user, **form.cleaned_data))
            if ok:
                messages.success(request, _("岗位模型已添加。"))
                return redirect("people:job_models")
        status = 422
    return render(
        request,
        "people/job_models.html",
        {
            "models": JobModel.objects.all(),
            "form": form,
            "policy": rule,
            "policy_form": policy_form,
            "admin": admin,
        },
        status=status,
    )


@login_required
@require_POST
def job_model_edit(request, pk):
    user = request.user
    _require(user, services.CONFIGURERS)
    model = JobModel.objects.filter(pk=pk).first()
    if model is None:
        raise Http404
    form = JobModelForm(request.POST)
    if form.is_valid():
        data = {k: v for k, v in form.cleaned_data.items() if k != "code"}
        try:
            services.update_job_model(user, pk, version=request.POST.get("version"), **data)
        except ValidationError as exc:
            messages.error(request, "；".join(m for ms in errors_by_field(exc).values() for m in ms))
        else:
            messages.success(request, _("岗位模型已保存。"))
    else:
        messages.error(request, "；".join(f"{form.fields[k].label}：{v[0]}" for k, v in form.errors.items()))
    return redirect("people:job_models")


@login_required
@require_POST
def policy_edit(request):
    user = request.user
    _require(user, services.CONFIGURERS)
    form = PolicyForm(request.POST)
    if form.is_valid():
        try:
            services.update_policy(user, version=request.POST.get("version"), **form.cleaned_data)
        except ValidationError as exc:
            messages.error(request, "；".join(m for ms in errors_by_field(exc).values() for m in ms))
        else:
            messages.success(request, _("培训积分规则已保存。"))
    else:
        messages.error(request, "；".join(f"{form.fields[k].label}：{v[0]}" for k, v in form.errors.items()))
    return redirect("people:job_models")


@login_required
def course_list(request):
    user = request.user
    can_edit = user.has_role(*services.CATALOGUE) or is_admin(user)
    form = CourseForm(request.POST or None) if can_edit else None
    status = 200
    if request.method == "POST":
        _require(user, services.CATALOGUE)
        if form.is_valid():
            _c, ok = _call(form, lambda: services.create_course(user, **form.cleaned_data))
            if ok:
                messages.success(request, _("课程已添加。"))
                return redirect("people:course_list")
        status = 422
    return render(request, "people/course_list.html", {"courses": Course.objects.all(), "form": form}, status=status)


# --- training -------------------------------------------------------------------------------------------


@login_required
def session_list(request):
    user = request.user
    can_record = user.has_role(*services.RECORDERS)
    form = SessionForm(user, request.POST or None) if can_record else None
    status = 200
    if request.method == "POST":
        _require(user, services.RECORDERS)
        if form.is_valid():
            d = form.cleaned_data
            session, ok = _call(
                form,
                lambda: services.create_session(
                    user,
                    course_id=d["course"].pk,
                    unit_id=d["unit"].pk,
                    held_on=d["held_on"],
                    place=d["place"],
                    trainer=d["trainer"],
                ),
                {"course_id": "course", "unit_id": "unit"},
            )
            if ok:
                messages.success(request, _("培训班次已创建，请登记出勤与成绩。"))
                return redirect("people:session_detail", session.pk)
        status = 422
    qs = visible_sessions(user).select_related("course", "unit").order_by("-held_on", "-id")
    page = Paginator(qs, 30).get_page(request.GET.get("page"))
    return render(request, "people/session_list.html", {"page": page, "form": form}, status=status)


@login_required
def session_detail(request, pk):
    user = request.user
    session = get_session_or_404(user, pk)
    writable = user.has_role(*services.RECORDERS) and visible_sessions(user, write=True).filter(pk=pk).exists()
    form = AttendanceForm(user, request.POST or None) if writable else None
    status = 200
    if request.method == "POST":
        if not writable:
            raise PermissionDenied(_("您对该培训班次只有查看权限。"))
        if form.is_valid():
            d = form.cleaned_data
            _a, ok = _call(
                form,
                lambda: services.record_attendance(
                    user, pk, person_id=d["person"].pk, attended=d["attended"], exam_score=d["exam_score"]
                ),
                {"person_id": "person"},
            )
            if ok:
                messages.success(request, _("出勤与成绩已登记。"))
                return redirect("people:session_detail", pk)
        status = 422
    rows = visible_attendance(user).filter(session=session).select_related("person").order_by("person__full_name")
    return render(
        request,
        "people/session_detail.html",
        {"session": session, "rows": rows, "form": form},
        status=status,
    )


@login_required
def training_points(request):
    user = request.user
    return render(
        request,
        "people/training_points.html",
        {"rows": services.team_points(user), "policy": services.policy()},
    )


@login_required
def qualifications(request):
    """Certificates (org.Qualification) of the people in scope that expired or expire soon."""
    user = request.user
    try:
        days = int(request.GET.get("days", ""))
        days = min(max(days, 0), 3660)
    except ValueError:
        days = services.policy().cert_warning_days
    return render(
        request,
        "people/qualifications.html",
        {
            "rows": services.expiring_qualifications(user, within_days=days)[:500],
            "days": days,
            "today": timezone.localdate(),
        },
    )


# --- meetings -----------------------------------------------------------------------------------------


@login_required
def meeting_list(request):
    user = request.user
    can_record = user.has_role(*services.RECORDERS)
    form = MeetingForm(user, request.POST or None) if can_record else None
    status = 200
    if request.method == "POST":
        _require(user, services.RECORDERS)
        if form.is_valid():
            d = form.cleaned_data
            meeting, ok = _call(
                form,
                lambda: services.create_meeting(
                    user,
                    unit_id=d["unit"].pk,
                    year=d["year"],
                    half=d["half"],
                    held_on=d["held_on"],
                    title=d["title"],
                    minutes=d["minutes"],
                    attendee_ids=[u.pk for u in d["attendees"]],
                ),
                {"unit_id": "unit", "attendee_ids": "attendees"},
            )
            if ok:
                messages.success(request, _("会议已登记。"))
                return redirect("people:meeting_detail", meeting.pk)
        status = 422
    meetings = visible_meetings(user).select_related("unit", "organiser").order_by("-held_on", "-id")[:100]
    return render(request, "people/meeting_list.html", {"meetings": meetings, "form": form}, status=status)


@login_required
def meeting_detail(request, pk):
    user = request.user
    meeting = get_meeting_or_404(user, pk)
    writable = user.has_role(*services.RECORDERS) and visible_meetings(user, write=True).filter(pk=pk).exists()
    form = MinutesForm(request.POST or None, initial={"minutes": meeting.minutes}) if writable else None
    status = 200
    if request.method == "POST":
        if not writable:
            raise PermissionDenied(_("您对该会议只有查看权限。"))
        if form.is_valid():
            try:
                services.update_meeting(
                    user, pk, version=request.POST.get("version"), minutes=form.cleaned_data["minutes"]
                )
            except ValidationError as exc:
                _apply_errors(form, exc, {"version": None})
            else:
                messages.success(request, _("会议纪要已保存。"))
                return redirect("people:meeting_detail", pk)
        status = 422
    return render(
        request,
        "people/meeting_detail.html",
        {"meeting": meeting, "attendees": meeting.attendees.order_by("full_name"), "form": form},
        status=status,
    )


# --- inspections --------------------------------------------------------------------------------------


@login_required
def inspection_list(request):
    user = request.user
    can_record = user.has_role(*services.RECORDERS)
    form = InspectionForm(user, request.POST or None) if can_record else None
    status = 200
    if request.method == "POST":
        _require(user, services.RECORDERS)
        if form.is_valid():
            d = form.cleaned_data
            rows = form.findings()
            mapping = {"person_id": "person"}
            for i, (n, _row) in enumerate(rows):
                for key in ("area", "description", "deduction"):
                    mapping[f"findings.{i}.{key}"] = f"{key}_{n}"
            inspection, ok = _call(
                form,
                lambda: services.record_inspection(
                    user,
                    person_id=d["person"].pk,
                    year=d["year"],
                    quarter=d["quarter"],
                    inspected_on=d["inspected_on"],
                    summary=d["summary"],
                    findings=[r for _n, r in rows],
                ),
                mapping,
            )
            if ok:
                messages.success(request, _("检查结果已登记，已通知客户经理。"))
                return redirect("people:inspection_detail", inspection.pk)
        status = 422
    qs = visible_inspections(user).select_related("person", "inspector").order_by("-year", "-quarter", "-id")
    page = Paginator(qs, 30).get_page(request.GET.get("page"))
    return render(
        request,
        "people/inspection_list.html",
        {"page": page, "form": form, "due": services.inspections_due(user) if can_record else []},
        status=status,
    )


@login_required
def inspection_detail(request, pk):
    inspection = get_inspection_or_404(request.user, pk)
    return render(
        request,
        "people/inspection_detail.html",
        {"inspection": inspection, "findings": inspection.findings.all()},
    )


# --- career plans ---------------------------------------------------------------------------------------


@login_required
def plan_list(request):
    user = request.user
    form = PlanForm(request.POST or None) if user.has_role(RoleCode.RM) else None
    status = 200
    if request.method == "POST":
        _require(user, (RoleCode.RM,))
        if form.is_valid():
            plan, ok = _call(form, lambda: services.create_plan(user, **form.cleaned_data))
            if ok:
                messages.success(request, _("职业生涯规划已保存。"))
                return redirect("people:plan_detail", plan.pk)
        status = 422
    plans = visible_plans(user).select_related("person").order_by("-year", "person__full_name")[:200]
    return render(request, "people/plan_list.html", {"plans": plans, "form": form}, status=status)


def _plan_page(request, plan, *, edit_form=None, review_form=None, status=200):
    user = request.user
    writable = visible_plans(user, write=True).filter(pk=plan.pk).exists()
    own = plan.person_id == user.pk
    can_edit = writable and plan.status != PlanStatus.REVIEWED and user.has_role(*services.WORKERS)
    can_review = writable and not own and plan.status == PlanStatus.SUBMITTED and user.has_role(*services.RECORDERS)
    return render(
        request,
        "people/plan_detail.html",
        {
            "plan": plan,
            "edit_form": edit_form
            or (PlanEditForm(initial={"goals": plan.goals, "actions": plan.actions}) if can_edit else None),
            "review_form": review_form or (ReviewForm() if can_review else None),
            "can_submit": own and writable and plan.status == PlanStatus.DRAFT,
        },
        status=status,
    )


@login_required
def plan_detail(request, pk):
    return _plan_page(request, get_plan_or_404(request.user, pk))


@login_required
@require_POST
def plan_action(request, pk, action):
    user = request.user
    plan = get_plan_or_404(user, pk)
    version = request.POST.get("version")
    forms_ = {}
    try:
        if action == "edit":
            form = forms_["edit_form"] = PlanEditForm(request.POST)
            if not form.is_valid():
                return _plan_page(request, plan, status=422, **forms_)
            services.update_plan(user, pk, version=version, **form.cleaned_data)
            messages.success(request, _("规划已保存。"))
        elif action == "submit":
            services.submit_plan(user, pk, version=version)
            messages.success(request, _("规划已提交评议。"))
        elif action == "review":
            form = forms_["review_form"] = ReviewForm(request.POST)
            if not form.is_valid():
                return _plan_page(request, plan, status=422, **forms_)
            services.review_plan(user, pk, version=version, review=form.cleaned_data["review"])
            messages.success(request, _("评议意见已保存。"))
        else:
            raise Http404
    except StaleVersion as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("people:plan_detail", pk)
    except ValidationError as exc:
        form = next(iter(forms_.values()), None)
        if form is not None:
            _apply_errors(form, exc)
        else:
            messages.error(request, " ".join(m for ms in errors_by_field(exc).values() for m in ms))
        plan.refresh_from_db()
        return _plan_page(request, plan, status=422, **forms_)
    return redirect("people:plan_detail", pk)
