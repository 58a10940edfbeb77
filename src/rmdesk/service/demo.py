"""Demo data of the service app (SPEC §5): complaints and service requests in every state (some
breached and escalated), a satisfaction survey round with answers, churn history and a watch list.

Runs after the customers' demo builder; does nothing when there are no customers yet, and nothing
when demo cases already exist (idempotent).
"""

from datetime import timedelta

from django.apps import apps as django_apps
from django.utils import timezone

from rmdesk.customers.models import Customer, Stage

from . import churn, services, sla, surveys
from .defaults import ensure_top_tier_targets, seed
from .models import Case, CaseCategory, ChurnEvent, SurveyRound, SurveyTemplate, WatchEntry, WatchStatus

TITLES = [
    (
        "理财产品到期收益低于宣传",
        "marketing",
        "marketing",
        "客户反映购买的理财产品到期收益明显低于客户经理介绍的预期收益。",
    ),
    ("跨行转账长时间未到账", "operation", "system", "客户跨行转账 5 万元两天未到账，多次致电未获答复。"),
    ("网点排队时间过长", "channel", "process", "客户在网点办理业务等候超过一小时，对服务效率不满。"),
    ("客户经理服务态度生硬", "attitude", "attitude", "客户反映客户经理电话沟通时态度生硬、不耐烦。"),
    ("信用卡年费争议", "fees", "pricing", "客户认为办卡时被告知免年费，现被扣收年费。"),
    ("个人信息被泄露的疑虑", "privacy", "process", "客户接到陌生推销电话，怀疑信息在我行被泄露。"),
    ("大额存单提前支取咨询", "request", "", "客户申请了解大额存单提前支取的利息计算方式。"),
    ("基金赎回款到账延迟", "product", "system", "客户赎回基金后资金迟迟未到账。"),
]


def _head(case):
    ladder = sla.escalation_ladder(case)
    return ladder[0][1][0] if ladder else None


def build(ctx):
    if Case.objects.exists():
        ctx.log("service: demo cases already present, skipped")
        return
    customers = list(
        Customer.objects.filter(a_rm__isnull=False)
        .exclude(stage=Stage.LOST)
        .select_related("a_rm", "org_unit")
        .order_by("id")[:4000]
    )
    if not customers:
        ctx.log("service: no customers yet, skipped")
        return
    rng = ctx.rng
    seed(django_apps)
    ensure_top_tier_targets()
    cats = {c.code: c for c in CaseCategory.objects.all()}
    now = timezone.now()
    # the named RMs' customers first, so the demo logins have something to show
    named = [c for c in customers if c.a_rm.username in ("rm_senior", "rm_mid", "rm_junior")]
    pool = named[:40] + rng.sample(customers, min(len(customers), 60))
    targets = [
        "registered",
        "accepted",
        "investigated",
        "proposed",
        "approved",
        "implemented",
        "visited",
        "closed",
        "closed",
        "closed",
        "reopened",
    ]
    made = 0
    for i, customer in enumerate(pool[: max(24, int(60 * ctx.scale))]):
        title, cat, root, desc = TITLES[i % len(TITLES)]
        target = targets[i % len(targets)]
        start = now - timedelta(days=rng.randint(10, 50), hours=rng.randint(0, 6))
        severity = "serious" if i % 9 == 4 else ("major" if i % 4 == 1 else "normal")
        kind = "request" if cat == "request" else "complaint"
        rm = customer.a_rm
        try:
            case = services.register_case(
                rm,
                customer_id=customer.pk,
                kind=kind,
                channel=rng.choice(["branch", "phone", "online", "visit", "regulator"]),
                category_id=cats[cat].pk,
                severity=severity,
                title=title,
                description=desc,
                product="稳盈理财90天" if cat in ("marketing", "product") else "",
                now=start,
            )
        except Exception as exc:  # noqa: BLE001 - a customer the demo RM may not handle; skip it
            ctx.log(f"service: skipped a demo case ({exc})")
            continue
        made += 1
        t = start
        order = ["accepted", "investigated", "proposed", "approved", "implemented", "visited", "closed"]
        wanted = order.index(target) + 1 if target in order else len(order) if target == "reopened" else 0
        late = i % 5 == 0  # some cases are handled late (breached)
        gap = 30 if late else 3
        head = _head(case)
        if head is None and wanted >= 4:
            wanted = 3

        def v(case=case):  # the version the handler's page shows now
            return Case.objects.values_list("version", flat=True).get(pk=case.pk)

        for stage in order[:wanted]:
            t = t + timedelta(hours=gap)
            if t > now:
                break
            if stage == "accepted":
                services.accept_case(rm, case.pk, now=t, version=v())
            elif stage == "investigated":
                services.record_investigation(
                    rm, case.pk, cause="经调取业务记录核实，" + desc[:20], root_cause=root, now=t, version=v()
                )
            elif stage == "proposed":
                services.propose_plan(rm, case.pk, plan="向客户说明情况并致歉，按规定予以处理。", now=t, version=v())
            elif stage == "approved":
                services.decide_plan(
                    head, case.pk, approve=True, instruction="同意，按时回复客户。", now=t, version=v()
                )
            elif stage == "implemented":
                services.implement_plan(rm, case.pk, result="已向客户答复处理结果。", now=t, version=v())
            elif stage == "visited":
                services.record_follow_up(
                    rm,
                    case.pk,
                    customer_confirmed=rng.random() > 0.15,
                    satisfaction=rng.choice([3, 4, 4, 5, 5]),
                    note="电话回访",
                    now=t,
                    version=v(),
                )
            elif stage == "closed":
                c = Case.objects.get(pk=case.pk)
                services.close_case(rm if c.customer_confirmed else head or rm, case.pk, now=t, version=v())
        if target == "reopened" and Case.objects.get(pk=case.pk).status == "closed":
            services.reopen_case(
                rm,
                case.pk,
                reason="客户再次来电，表示问题未彻底解决。",
                now=min(t + timedelta(hours=5), now),
                version=v(),
            )
        if kind == "complaint" and head and i % 3 == 0:
            services.assess_case(
                head,
                case.pk,
                is_valid=i % 2 == 0,
                responsibility="bank" if i % 2 == 0 else "customer",
                root_cause=root or "",
                version=v(),
            )
        if i % 7 == 3 and Case.objects.get(pk=case.pk).status not in ("closed",):
            services.pause_case(
                rm, case.pk, reason="等待客户提供交易凭证", now=min(t + timedelta(hours=1), now), version=v()
            )
    res = sla.run(now)
    ctx.log(f"service: {made} cases; SLA run {res}")

    # a satisfaction survey round for the named team, most customers answered
    tpl = SurveyTemplate.objects.filter(is_active=True).order_by("id").first()
    lead = next((h for c in (named or customers)[:1] for h in sla.unit_heads(c.a_rm.team or c.a_rm.unit)), None)
    if tpl and lead and not SurveyRound.objects.exists():
        try:
            rnd = surveys.start_round(
                lead,
                template_id=tpl.pk,
                name=f"{timezone.localdate().year} 年客户满意度调查",
                due_on=timezone.localdate() + timedelta(days=20),
            )
        except Exception as exc:  # noqa: BLE001
            ctx.log(f"service: survey skipped ({exc})")
        else:
            questions = list(tpl.questions.all())
            responses = list(rnd.responses.select_related("rm")[:150])
            for resp in responses:
                if rng.random() < 0.3 or resp.rm is None:
                    continue
                base = rng.choice([3, 4, 4, 5, 5, 5])
                answers = {
                    q.pk: (max(1, min(5, base + rng.choice([-1, 0, 0, 1]))) if q.kind == "score" else "")
                    for q in questions
                }
                surveys.record_answers(
                    resp.rm,
                    resp.pk,
                    answers=answers,
                    comment="",
                    version=resp.version,
                    now=now - timedelta(days=rng.randint(0, 15)),
                )
            ctx.log(f"service: survey round with {rnd.responses.filter(answered_at__isnull=False).count()} answers")

    # churn history over the past year, and customers at risk on the watch list
    tiered = [c for c in customers if c.tier_id]
    rng.shuffle(tiered)
    lost, at_risk = tiered[: max(6, len(tiered) // 60)], tiered[len(tiered) // 60 + 6 : len(tiered) // 60 + 18]
    Customer.objects.filter(pk__in=[c.pk for c in lost]).update(stage=Stage.LOST)
    Customer.objects.filter(pk__in=[c.pk for c in at_risk]).update(stage=Stage.AT_RISK)
    res = churn.scan(now)
    for ev in ChurnEvent.objects.filter(recovered_on__isnull=True):
        ChurnEvent.objects.filter(pk=ev.pk).update(
            occurred_on=timezone.localdate() - timedelta(days=rng.randint(0, 330))
        )
    for entry in WatchEntry.objects.filter(status=WatchStatus.OPEN, reason="at_risk").select_related("assigned_to")[
        :10
    ]:
        if entry.assigned_to:
            churn.add_retention_action(
                entry.assigned_to,
                entry.pk,
                kind=rng.choice(["visit", "call", "offer", "senior"]),
                description="了解资金转出原因，介绍新发行产品",
                due_on=timezone.localdate() + timedelta(days=rng.randint(3, 20)),
            )
    ctx.log(f"service: churn history {res}, watch list {WatchEntry.objects.count()}")
