"""REST API of the people app (SPEC §9 job fit, §10, §12): DISC profiles, job models and the ranking of
candidates, courses, sessions and attendance, training points, certificate expiry, meetings,
inspections and career plans. Reads go through the scope functions (out of scope answers 404); writes
call the services, which the pages call too."""

from django.http import Http404
from django.utils import timezone
from ninja import Query, Router

from rmdesk.core.bounds import Id
from rmdesk.core.schemas import may_answer

from . import disc, services
from .models import Course, JobModel, Meeting
from .schemas import (
    PeopleAttendanceIn,
    PeopleAttendanceOut,
    PeopleCandidateOut,
    PeopleCourseIn,
    PeopleCourseOut,
    PeopleDiscDetailOut,
    PeopleDiscIn,
    PeopleDiscOut,
    PeopleInspectionIn,
    PeopleInspectionOut,
    PeopleJobModelIn,
    PeopleJobModelOut,
    PeopleJobModelUpdateIn,
    PeopleListFilter,
    PeopleMeetingIn,
    PeopleMeetingOut,
    PeopleMeetingUpdateIn,
    PeoplePlanIn,
    PeoplePlanOut,
    PeoplePlanUpdateIn,
    PeoplePointsOut,
    PeoplePolicyIn,
    PeoplePolicyOut,
    PeopleQualificationFilter,
    PeopleQualificationOut,
    PeopleReviewIn,
    PeopleSessionDetailOut,
    PeopleSessionIn,
    PeopleSessionOut,
    PeopleVersionIn,
)
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
)

router = Router(tags=["people"])


def _page(qs, f: PeopleListFilter):
    if f.person_id:
        qs = qs.filter(person_id=f.person_id)
    return list(qs[f.offset : f.offset + f.limit])


def _match_out(model, m: disc.Match) -> dict:
    return {
        "job_model_id": model.pk,
        "job_model_name": model.name,
        "inner": m.inner,
        "outer": m.outer,
        "inner_total": m.inner_total,
        "outer_total": m.outer_total,
        "overall": m.overall,
    }


# --- DISC ---------------------------------------------------------------------------------------------


@router.get("/job-models", response=list[PeopleJobModelOut], summary="DISC 岗位模型")
def list_job_models(request):
    return list(JobModel.objects.all())


@router.post("/job-models", response={201: PeopleJobModelOut}, summary="新增岗位模型（管理员）")
def create_job_model(request, payload: PeopleJobModelIn):
    return 201, services.create_job_model(request.user, **payload.dict())


@router.put("/job-models/{model_id}", response=PeopleJobModelOut, summary="修改岗位模型（管理员）")
def update_job_model(request, model_id: Id, payload: PeopleJobModelUpdateIn):
    data = payload.dict()
    return services.update_job_model(request.user, model_id, version=data.pop("version"), **data)


@router.get(
    "/job-models/{model_id}/ranking",
    response=list[PeopleCandidateOut],
    summary="岗位候选人匹配排名（按数据权限，匹配度越小越靠前）",
)
def job_model_ranking(request, model_id: Id):
    model = JobModel.objects.filter(pk=model_id).first()
    if model is None:
        raise Http404
    return [
        {
            "rank": c.rank,
            "person_id": c.person.pk,
            "person_name": c.person.display_name,
            "profile_id": c.profile.pk,
            "taken_on": c.profile.taken_on,
            "inner_total": c.match.inner_total,
            "outer_total": c.match.outer_total,
            "overall": c.match.overall,
        }
        for c in services.ranking(request.user, model)
    ]


@router.get("/disc-profiles", response=list[PeopleDiscOut], summary="DISC 测评列表（含历史，按数据权限）")
def list_profiles(request, filters: Query[PeopleListFilter]):
    return _page(visible_profiles(request.user).select_related("person"), filters)


def _profile_detail(request, pk):
    profile = get_profile_or_404(request.user, pk)
    profile.matches = [_match_out(m, disc.match_profile(profile, m)) for m in JobModel.objects.filter(is_active=True)]
    return profile


@router.post("/disc-profiles", response={201: PeopleDiscDetailOut}, summary="登记 DISC 测评结果")
def create_profile(request, payload: PeopleDiscIn):
    profile = services.record_disc_profile(request.user, **payload.dict())
    return 201, _profile_detail(request, profile.pk)


@router.get("/disc-profiles/{profile_id}", response=PeopleDiscDetailOut, summary="DISC 测评详情与岗位匹配度")
def get_profile(request, profile_id: Id):
    return _profile_detail(request, profile_id)


# --- training -----------------------------------------------------------------------------------------


@router.get("/courses", response=list[PeopleCourseOut], summary="培训课程目录")
def list_courses(request):
    return list(Course.objects.all())


@router.post("/courses", response={201: PeopleCourseOut}, summary="新增培训课程")
def create_course(request, payload: PeopleCourseIn):
    return 201, services.create_course(request.user, **payload.dict())


@router.get("/policy", response=PeoplePolicyOut, summary="培训积分规则（续聘门槛）")
def get_policy(request):
    return services.policy()


@router.put("/policy", response=PeoplePolicyOut, summary="修改培训积分规则（管理员）")
def update_policy(request, payload: PeoplePolicyIn):
    return services.update_policy(request.user, **payload.dict())


@router.get("/sessions", response=list[PeopleSessionOut], summary="培训班次（按数据权限）")
def list_sessions(request, filters: Query[PeopleListFilter]):
    from .scope import visible_sessions

    qs = visible_sessions(request.user).select_related("course").order_by("-held_on", "-id")
    if filters.person_id:
        qs = qs.filter(attendances__person_id=filters.person_id).distinct()
    return list(qs[filters.offset : filters.offset + filters.limit])


def _session_detail(request, pk):
    session = get_session_or_404(request.user, pk)
    rows = visible_attendance(request.user).filter(session=session).select_related("person").order_by("person_id")
    session.attendance = list(rows)
    return session


@router.post("/sessions", response={201: PeopleSessionDetailOut}, summary="新建培训班次")
def create_session(request, payload: PeopleSessionIn):
    session = services.create_session(request.user, **payload.dict())
    return 201, _session_detail(request, session.pk)


@router.get("/sessions/{session_id}", response=PeopleSessionDetailOut, summary="培训班次详情与出勤")
def get_session(request, session_id: Id):
    return _session_detail(request, session_id)


@router.post(
    "/sessions/{session_id}/attendance", response=PeopleAttendanceOut, summary="登记出勤与考试成绩（积分随之计算）"
)
def record_attendance(request, session_id: Id, payload: PeopleAttendanceIn):
    row = services.record_attendance(request.user, session_id, **payload.dict())
    return visible_attendance(request.user).select_related("person").get(pk=row.pk)


@router.get("/training-points", response=list[PeoplePointsOut], summary="培训积分与续聘门槛（按数据权限）")
def training_points(request):
    return [
        {
            "person_id": s.person.pk,
            "person_name": s.person.display_name,
            "points": s.points,
            "required": s.required,
            "shortfall": s.shortfall,
            "met": s.met,
            "window_start": s.window_start,
            "renewal_on": s.renewal_on,
        }
        for s in services.team_points(request.user)
    ]


@router.get(
    "/qualifications", response=list[PeopleQualificationOut], summary="已到期或即将到期的岗位资质证书（按数据权限）"
)
def qualifications(request, filters: Query[PeopleQualificationFilter]):
    today = timezone.localdate()
    return [
        {
            "id": q.pk,
            "user_id": q.user_id,
            "person_name": q.user.display_name,
            "name": q.name,
            "number": q.number,
            "issued_on": q.issued_on,
            "expires_on": q.expires_on,
            "expired": q.expires_on < today,
        }
        for q in services.expiring_qualifications(request.user, within_days=filters.within_days)[:1000]
    ]


# --- meetings -----------------------------------------------------------------------------------------


def _meeting(request, pk) -> Meeting:
    get_meeting_or_404(request.user, pk)
    return Meeting.objects.prefetch_related("attendees").get(pk=pk)


@router.get("/meetings", response=list[PeopleMeetingOut], summary="客户经理工作会议（按数据权限）")
def list_meetings(request, filters: Query[PeopleListFilter]):
    qs = visible_meetings(request.user).prefetch_related("attendees").order_by("-held_on", "-id")
    if filters.person_id:
        qs = qs.filter(attendees=filters.person_id)
    return list(qs[filters.offset : filters.offset + filters.limit])


@router.post("/meetings", response={201: PeopleMeetingOut}, summary="登记半年度客户经理工作会议")
def create_meeting(request, payload: PeopleMeetingIn):
    meeting = services.create_meeting(request.user, **payload.dict())
    return 201, _meeting(request, meeting.pk)


@router.get("/meetings/{meeting_id}", response=PeopleMeetingOut, summary="会议详情与纪要")
def get_meeting(request, meeting_id: Id):
    return _meeting(request, meeting_id)


@router.put("/meetings/{meeting_id}", response=PeopleMeetingOut, summary="修改会议纪要与参会人员")
def update_meeting(request, meeting_id: Id, payload: PeopleMeetingUpdateIn):
    data = payload.dict()
    services.update_meeting(request.user, meeting_id, **data)
    return _meeting(request, meeting_id)


# --- inspections --------------------------------------------------------------------------------------


@router.get("/inspections", response=list[PeopleInspectionOut], summary="季度检查（按数据权限）")
def list_inspections(request, filters: Query[PeopleListFilter]):
    qs = visible_inspections(request.user).select_related("person").prefetch_related("findings")
    return _page(qs, filters)


@router.post("/inspections", response={201: PeopleInspectionOut}, summary="登记季度检查结果")
def create_inspection(request, payload: PeopleInspectionIn):
    data = payload.dict()
    inspection = services.record_inspection(request.user, **data)
    return 201, get_inspection_or_404(request.user, inspection.pk)


@router.get("/inspections/{inspection_id}", response=PeopleInspectionOut, summary="季度检查详情")
def get_inspection(request, inspection_id: Id):
    return get_inspection_or_404(request.user, inspection_id)


# --- career plans -------------------------------------------------------------------------------------


@router.get("/career-plans", response=list[PeoplePlanOut], summary="职业生涯规划（按数据权限）")
def list_plans(request, filters: Query[PeopleListFilter]):
    return _page(visible_plans(request.user), filters)


@router.post("/career-plans", response={201: PeoplePlanOut}, summary="编写年度职业生涯规划")
def create_plan(request, payload: PeoplePlanIn):
    return 201, services.create_plan(request.user, **payload.dict())


@router.get("/career-plans/{plan_id}", response=PeoplePlanOut, summary="职业生涯规划详情")
def get_plan(request, plan_id: Id):
    return get_plan_or_404(request.user, plan_id)


@router.put("/career-plans/{plan_id}", response=PeoplePlanOut, summary="修改职业生涯规划")
def update_plan(request, plan_id: Id, payload: PeoplePlanUpdateIn):
    return services.update_plan(request.user, plan_id, **payload.dict())


@router.post(
    "/career-plans/{plan_id}/submit",
    response=PeoplePlanOut,
    summary="提交规划评议（本人）",
    openapi_extra=may_answer(403),
)
def submit_plan(request, plan_id: Id, payload: PeopleVersionIn):
    return services.submit_plan(request.user, plan_id, version=payload.version)


@router.post("/career-plans/{plan_id}/review", response=PeoplePlanOut, summary="评议职业生涯规划（上级）")
def review_plan(request, plan_id: Id, payload: PeopleReviewIn):
    return services.review_plan(request.user, plan_id, **payload.dict())
