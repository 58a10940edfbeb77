"""Demo data of RM daily work (SPEC §3): a year of interaction history, appointments, weekly visit
schedules (last, this and next week), journals in every state, tasks and reminders, so that the RM
and team-lead screens show real work. Idempotent: skipped when interactions exist; does nothing when
there are no customers yet. bulk_create throughout."""

from datetime import datetime, time, timedelta

from django.utils import timezone

from rmdesk.core import calendar as bizcal
from rmdesk.org.models import RoleCode, User

from . import cadence, reminders, services
from .models import (
    Appointment,
    CadenceRule,
    Interaction,
    InteractionKind,
    Journal,
    JournalEvent,
    JournalStatus,
    JournalTemplate,
    ScheduleStatus,
    Task,
    TaskSource,
    VisitSchedule,
    staff_path,
)
from .periods import due_date, period_bounds, shift_period
from .scope import supervisor_of

PURPOSES = {
    InteractionKind.VISIT: ["上门拜访，资产配置检视", "上门送达理财产品说明书", "节日上门慰问", "陪同客户办理大额业务"],
    InteractionKind.PHONE: ["电话回访理财到期安排", "电话告知存款利率调整", "电话预约面谈", "生日电话问候"],
    InteractionKind.WECHAT: ["微信推送基金周报", "微信沟通保险方案", "微信提醒信用卡还款"],
    InteractionKind.BRANCH: ["网点接待，办理定期存款转存", "网点接待，咨询大额存单", "网点理财沙龙接待"],
    InteractionKind.SPECIAL: ["客户大额资金转出，特殊访问了解原因", "客户投诉后特殊访问致歉"],
}
PRODUCTS = ["稳盈理财90天", "一年期定期存款", "三年期大额存单", "债券基金A", "年金保险", ""]
NEEDS = ["子女教育金规划", "养老储备", "房贷提前还款咨询", "企业流动资金周转", ""]
KIND_WEIGHTS = [
    (InteractionKind.PHONE, 40),
    (InteractionKind.WECHAT, 25),
    (InteractionKind.VISIT, 15),
    (InteractionKind.BRANCH, 17),
    (InteractionKind.SPECIAL, 3),
]
DEMO_RMS = ("rm_senior", "rm_mid", "rm_junior")


def _kind(rng):
    r = rng.uniform(0, 100)
    for kind, w in KIND_WEIGHTS:
        if r < w:
            return kind
        r -= w
    return InteractionKind.PHONE


def build(ctx):
    from rmdesk.customers.models import Customer

    if Interaction.objects.exists():
        ctx.log("work: demo work already present, skipped")
        return
    customers = list(Customer.objects.filter(a_rm__isnull=False).select_related("tier", "tier__rule_set", "a_rm"))
    if not customers:
        ctx.log("work: no customers yet, skipped")
        return
    rng = ctx.rng
    tz = timezone.get_current_timezone()
    now = timezone.now()
    today = timezone.localdate()
    rules = {(r.rule_set_code, r.tier_code): r for r in CadenceRule.objects.filter(is_active=True)}
    team_rms = {}
    for u in User.objects.filter(roles__code=RoleCode.RM, is_active=True).distinct():
        team_rms.setdefault(u.team_id, []).append(u)

    # --- a year of interactions -------------------------------------------------------------------
    rows, companions = [], []
    for c in customers:
        rule = rules.get((c.tier.rule_set.code, c.tier.code)) if c.tier else None
        interval = (rule.interval_months * 30 + rule.interval_days) if rule else 120
        # the last contact: most recent for most, overdue for some, never for a few
        r = rng.random()
        if r < 0.05:
            continue
        last_gap = rng.randint(0, interval - 1) if r < 0.72 else rng.randint(interval, interval + 90)
        day = today - timedelta(days=last_gap)
        first = today - timedelta(days=365)
        while day >= first:
            kind = _kind(rng)
            at = datetime.combine(day, time(rng.randint(9, 17), rng.choice((0, 15, 30, 45))), tz)
            if at > now:
                at = now - timedelta(minutes=rng.randint(5, 120))
            door = kind == InteractionKind.VISIT or (kind == InteractionKind.SPECIAL and rng.random() < 0.5)
            rows.append(
                Interaction(
                    customer_id=c.pk,
                    kind=kind,
                    occurred_at=at,
                    occurred_on=timezone.localtime(at, tz).date(),
                    place=(c.address or "") if door else ("网点" if kind == InteractionKind.BRANCH else ""),
                    door_to_door=door,
                    recorded_by_id=c.a_rm_id,
                    purpose=rng.choice(PURPOSES[kind]),
                    content="了解客户近期资金安排与风险偏好变化。",
                    needs_found=rng.choice(NEEDS),
                    products_recommended=rng.choice(PRODUCTS),
                    confirmed_by_name=c.name if door else "",
                    confirmed_at=at + timedelta(minutes=40) if door else None,
                    minutes_spent=rng.randint(20, 90) if door else rng.randint(3, 20),
                    created_at=at,
                )
            )
            if door:
                mates = [u for u in team_rms.get(c.a_rm.team_id, []) if u.pk != c.a_rm_id]
                companions.append((len(rows) - 1, (rng.choice(mates) if mates else None)))
            day -= timedelta(days=max(3, int(interval * rng.uniform(0.5, 1.1))))
    Interaction.objects.bulk_create(rows, batch_size=2000)
    through = Interaction.companions.through
    links = [through(interaction_id=rows[i].pk, user_id=u.pk) for i, u in companions if u is not None and rows[i].pk]
    through.objects.bulk_create(links, batch_size=2000)
    out = cadence.recompute_all(today=today, from_interactions=True)
    ctx.log(f"work: {len(rows)} interactions over a year, cadence {out}")

    # --- appointments, schedules, tasks, journals for every RM; richest for the named demo RMs --------
    rms = list(User.objects.filter(roles__code=RoleCode.RM, is_active=True, a_customers__isnull=False).distinct())
    by_rm = {}
    for c in customers:
        by_rm.setdefault(c.a_rm_id, []).append(c)
    appts, tasks = [], []
    for rm in rms:
        mine = by_rm.get(rm.pk, [])
        if not mine:
            continue
        n = 8 if rm.username in DEMO_RMS else 3
        for i in range(n):
            c = rng.choice(mine)
            day = bizcal.add_working_days(today, rng.randint(0, 9)) if i else today
            start = datetime.combine(day, time(rng.choice((9, 10, 14, 15, 16)), rng.choice((0, 30))), tz)
            appts.append(
                Appointment(
                    owner=rm,
                    org_path=staff_path(rm),
                    customer=c,
                    start_at=start,
                    end_at=start + timedelta(hours=1),
                    place=c.address or "网点贵宾室",
                    subject=rng.choice(
                        ["理财到期续作面谈", "资产配置方案讲解", "保险方案签约", "贷款资料收取", "生日礼品送达"]
                    ),
                )
            )
        for _ in range(3 if rm.username in DEMO_RMS else 1):
            c = rng.choice(mine)
            tasks.append(
                Task(
                    owner=rm,
                    org_path=staff_path(rm),
                    customer=c,
                    source=TaskSource.MANUAL,
                    created_by=rm,
                    title=rng.choice(["补充客户风险测评", "整理客户家庭资产表", "寄送产品说明书"]),
                    due_on=today + timedelta(days=rng.randint(-3, 7)),
                )
            )
    Appointment.objects.bulk_create(appts)
    Task.objects.bulk_create(tasks)

    # Schedules week by week, oldest first: each week is generated from the cadence as it stands after
    # the previous week's visits are recorded (and the cadence recomputed), as the RM would have made
    # it, so a customer visited last week is not planned again this week.
    monday = today - timedelta(days=today.weekday())
    demo_rms = [u for u in rms if u.username in DEMO_RMS]
    for week, state in (
        (monday - timedelta(days=7), "done"),
        (monday, "confirmed"),
        (monday + timedelta(days=7), "draft"),
    ):
        for rm in demo_rms:
            s = services.generate_schedule(rm, week)
            if state == "draft":
                continue
            VisitSchedule.objects.filter(pk=s.pk).update(
                status=ScheduleStatus.CONFIRMED, confirmed_at=datetime.combine(week - timedelta(days=2), time(17), tz)
            )
            visits = []
            for item in s.items.all():
                if item.day < today and rng.random() < 0.75:
                    at = datetime.combine(item.day, time(rng.randint(9, 16), 0), tz)
                    visits.append(
                        Interaction(
                            customer_id=item.customer_id,
                            kind=InteractionKind.PHONE,
                            occurred_at=at,
                            occurred_on=item.day,
                            recorded_by=rm,
                            purpose="按访问日程联系客户",
                            minutes_spent=10,
                            created_at=at,
                        )
                    )
            Interaction.objects.bulk_create(visits)
        cadence.recompute_all(today=today, from_interactions=True)

    # journals: required ones due around now for all RMs (drafts, some overdue), plus history in every state
    services.ensure_required_journals(today)
    templates = {t.code: t for t in JournalTemplate.objects.all()}
    states = [JournalStatus.APPROVED, JournalStatus.APPROVED, JournalStatus.SUBMITTED, JournalStatus.RETURNED]
    journals, events = [], []
    for idx, rm in enumerate(demo_rms):
        reviewer = supervisor_of(rm)
        if reviewer is None:
            continue
        plan = []
        start, _end = period_bounds("month", today)
        for n in range(2, 6):
            plan.append((templates["monthly_sales_analysis"], shift_period("month", start, -n)))
            plan.append((templates["monthly_summary"], shift_period("month", start, -n)))
        wk, _e = period_bounds("week", today)
        for n in range(1, 5):
            plan.append((templates["weekly_summary"], shift_period("week", wk, -n)))
        for d in range(1, 6):
            day = today - timedelta(days=d)
            plan.append((templates["daily_summary"], (day, day)))
        for j, (t, (ps, pe)) in enumerate(plan):
            if Journal.objects.filter(template=t, owner=rm, period_start=ps).exists():
                continue
            state = (
                states[(j + idx) % len(states)]
                if j > 1
                else (JournalStatus.SUBMITTED if idx == 0 else JournalStatus.RETURNED)
            )
            due = due_date(t, ps, pe)
            sub = datetime.combine(due, time(16), tz) - timedelta(days=rng.randint(0, 2))
            content = {s["key"]: f"{s['title']}：本期情况正常，重点客户维护到位。" for s in t.sections}
            journals.append(
                Journal(
                    template=t,
                    owner=rm,
                    org_path=staff_path(rm),
                    period_start=ps,
                    period_end=pe,
                    due_on=due,
                    content=content,
                    status=state,
                    reviewer=reviewer,
                    submitted_at=sub,
                    reviewed_at=None if state == JournalStatus.SUBMITTED else sub + timedelta(days=1),
                    review_comment={
                        JournalStatus.APPROVED: "同意。",
                        JournalStatus.RETURNED: "请补充重点客户的问题分析。",
                    }.get(state, ""),
                )
            )
    Journal.objects.bulk_create(journals)
    for j in journals:
        events.append(JournalEvent(journal=j, actor=j.owner, action="submit", at=j.submitted_at))
        if j.status != JournalStatus.SUBMITTED:
            events.append(
                JournalEvent(
                    journal=j,
                    actor=j.reviewer,
                    action="approve" if j.status == "approved" else "return",
                    comment=j.review_comment,
                    at=j.reviewed_at,
                )
            )
    JournalEvent.objects.bulk_create(events)
    from rmdesk.core.notifications import notify

    for j in journals:
        if j.status == JournalStatus.SUBMITTED:
            notify(
                j.reviewer,
                "journal.review",
                f"{j.owner.display_name} 提交了{j.template.name}，请审阅",
                url=f"/work/journals/{j.pk}/",
                obj=j,
                dedupe_key=f"journal-review:{j.pk}",
            )
    counts = reminders.generate_reminders(today)
    counts["appointments"] = reminders.appointment_reminders(now + timedelta(hours=2))
    ctx.log(
        f"work: {len(appts)} appointments, {len(tasks)} tasks, {Journal.objects.count()} journals, "
        f"schedules for {len(demo_rms)} demo RMs, reminders {counts}"
    )
