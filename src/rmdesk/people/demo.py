"""Demo data of the people app (SPEC §9 job fit, §10): DISC profiles for every RM of the 鼓楼支行 subtree
(two for 周建国, so the history shows) and a second job model; a year of training sessions organised by
the sub-branch with attendance and exam scores; the last two half-yearly RM meetings; the last two
quarters' inspections (the current quarter still due for 郑雨桐); career plans in every state; one
certificate of the named team close to expiry. Services write what users would write; the bulk rows
(profiles, attendance) are bulk_create'd.

Runs after org's builder; does nothing without the demo bank, and nothing when demo DISC profiles
already exist (idempotent).
"""

from datetime import date, timedelta
from decimal import Decimal

from django.utils import timezone

from rmdesk.org.models import OrgUnit, RoleCode, User

from . import services
from .defaults import seed
from .models import Attendance, CareerPlan, Course, DiscProfile, JobModel, PlanStatus, TrainingSession
from .scope import person_path

BRANCH = "3201"  # 鼓楼支行, the named branch manager's unit
TEAM = "32010101"  # 湖南路一队, the named team


def _half_before(today: date, n: int) -> tuple[int, int]:
    half = 1 if today.month <= 6 else 2
    year = today.year
    for _i in range(n):
        year, half = (year, 1) if half == 2 else (year - 1, 2)
    return year, half


def _quarter_before(today: date, n: int) -> tuple[int, int]:
    year, quarter = today.year, (today.month - 1) // 3 + 1
    for _i in range(n):
        year, quarter = (year, quarter - 1) if quarter > 1 else (year - 1, 4)
    return year, quarter


def build(ctx):
    from django.apps import apps as django_apps

    if DiscProfile.objects.exists():
        ctx.log("people: demo already present, skipped")
        return
    branch = OrgUnit.objects.filter(code=BRANCH).first()
    manager = User.objects.filter(username="branchmgr").first()
    lead = User.objects.filter(username="teamlead").first()
    if branch is None or manager is None or lead is None:
        ctx.log("people: no demo bank, skipped")
        return
    seed(django_apps)
    rng = ctx.rng
    today = timezone.localdate()
    rms = list(
        User.objects.filter(roles__code=RoleCode.RM, unit__path__startswith=branch.path)
        .select_related("team", "unit")
        .distinct()
        .order_by("pk")
    )
    named = {u.username: u for u in User.objects.filter(username__in=["rm_senior", "rm_mid", "rm_junior"])}

    # --- DISC: one profile per RM near the RM model, a second (older) one for 周建国 ------------------
    JobModel.objects.get_or_create(
        code="team_lead",
        defaults={"name": "团队长", "d": 62, "i": 66, "s": 40, "c": 52, "note": "演示：本行自建模型示例"},
    )
    model = JobModel.objects.get(code="rm")

    def near(centre, spread):
        return max(0, min(100, centre + rng.randint(-spread, spread)))

    profiles = []
    for rm in rms:
        spread = rng.choice((6, 12, 20))
        scores = {}
        for f in ("d", "i", "s", "c"):
            scores[f"inner_{f}"] = near(getattr(model, f), spread + 4)
            scores[f"outer_{f}"] = near(getattr(model, f), spread)
        profiles.append(
            DiscProfile(
                person=rm,
                org_path=person_path(rm),
                taken_on=today - timedelta(days=rng.randint(20, 200)),
                source="DISC 行为风格测评（演示）",
                recorded_by=manager,
                **scores,
            )
        )
    senior = named.get("rm_senior")
    if senior:
        profiles.append(
            DiscProfile(
                person=senior,
                org_path=person_path(senior),
                taken_on=today - timedelta(days=700),
                source="入职测评",
                recorded_by=manager,
                inner_d=45,
                inner_i=58,
                inner_s=50,
                inner_c=60,
                outer_d=38,
                outer_i=66,
                outer_s=47,
                outer_c=58,
            )  # fmt: skip
        )
    DiscProfile.objects.bulk_create(profiles)

    # --- training: a session every two months at the sub-branch, everyone of it attending -------------
    courses = list(Course.objects.filter(is_active=True).order_by("code"))
    sessions = []
    for n in range(6):
        course = courses[n % len(courses)]
        held = today - timedelta(days=20 + 60 * n)
        sessions.append(
            TrainingSession(
                course=course,
                unit=branch,
                org_path=branch.path,
                held_on=held,
                place=rng.choice(["鼓楼支行三楼培训室", "网点会议室", "线上"]),
                trainer=rng.choice(["张老师", "李老师", "王老师"]),
                created_by=manager,
            )
        )
    TrainingSession.objects.bulk_create(sessions)
    rows = []
    for session in sessions:
        for rm in rms:
            attended = rng.random() > 0.12
            exam = None
            if attended and session.course.pass_score is not None:
                exam = Decimal(rng.randint(52, 98))
            points, hours = services.earned(session.course, attended, exam)
            rows.append(
                Attendance(
                    session=session,
                    person=rm,
                    org_path=person_path(rm),
                    held_on=session.held_on,
                    attended=attended,
                    exam_score=exam,
                    points=points,
                    hours=hours,
                    recorded_by=manager,
                )
            )
    Attendance.objects.bulk_create(rows)

    # --- meetings: the last two half-years ------------------------------------------------------------
    for n in (1, 2):
        year, half = _half_before(today, n)
        services.create_meeting(
            manager,
            unit_id=branch.pk,
            year=year,
            half=half,
            held_on=date(year, 6 if half == 1 else 12, 20),
            title=f"{year}年{'上' if half == 1 else '下'}半年个人客户经理工作会议",
            minutes="一、通报半年业绩与考核结果；二、交流优秀营销案例与话术；三、部署下半年营销计划与重点客户维护。",
            attendee_ids=[u.pk for u in rms],
        )

    # --- inspections: the last two quarters for every RM of the named team, the last one for the rest --
    areas = ["archive", "contact", "journal", "sales", "compliance", "service"]
    texts = {
        "archive": "部分客户档案信息不完整",
        "contact": "重点客户走访未按周期完成",
        "journal": "工作日志提交不及时",
        "sales": "营销记录与产品销售台账不一致",
        "compliance": "风险揭示书签署不全",
        "service": "客户投诉回访记录缺失",
    }
    for back in (1, 2):
        year, quarter = _quarter_before(today, back)
        inspected = min(today, date(year, quarter * 3, 28) + timedelta(days=5))
        for rm in rms:
            team_member = rm.team and rm.team.code == TEAM
            if back == 2 and not team_member:
                continue
            findings = [
                {"area": a, "description": texts[a], "deduction": Decimal(rng.choice((2, 3, 5, 8)))}
                for a in rng.sample(areas, rng.randint(0, 3))
            ]
            services.record_inspection(
                lead if team_member else manager,
                person_id=rm.pk,
                year=year,
                quarter=quarter,
                inspected_on=inspected,
                summary="按季检查客户经理工作：档案、走访、日志、营销与合规。",
                findings=findings,
            )

    # --- career plans in every state ------------------------------------------------------------------
    goals = "一年内管户资产增长 20%，取得理财规划师资格，争取晋升上一级客户经理。"
    actions = "参加理财与信贷课程各一期；每月复盘两个营销案例；跟随一级客户经理走访重点客户。"
    if senior:
        last = services.create_plan(senior, year=today.year - 1, goals=goals, actions=actions)
        services.submit_plan(senior, last.pk, version=last.version)
        services.review_plan(lead, last.pk, version=last.version + 1, review="目标基本达成，建议继续深化对公联动。")
        services.create_plan(senior, year=today.year, goals=goals, actions=actions)
    if "rm_mid" in named:
        plan = services.create_plan(named["rm_mid"], year=today.year, goals=goals, actions=actions)
        services.submit_plan(named["rm_mid"], plan.pk, version=plan.version)
    if "rm_junior" in named:
        services.create_plan(named["rm_junior"], year=today.year, goals="熟悉个人业务产品，通过岗位资质复审。")
        named["rm_junior"].qualifications.update(expires_on=today + timedelta(days=40))
    ctx.log(
        f"people: {len(profiles)} DISC profiles, {len(sessions)} sessions, {len(rows)} attendances, "
        f"{CareerPlan.objects.count()} plans ({CareerPlan.objects.filter(status=PlanStatus.REVIEWED).count()} reviewed)"
    )


run = build
