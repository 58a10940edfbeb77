"""Demo data of the credit app (SPEC §6): applications in every state (draft, under investigation, in
review, returned, approved with a loan and its post-loan schedule, rejected after a recommended
rejection, withdrawn), a large loan investigated by two RMs, warnings from the yearly financials and
by hand. Everything goes through the services, and the chain is decided by the people the kernel
names as eligible (never the RM or an investigator).

Runs after the customers' demo builder; does nothing without customers, and nothing when demo
applications already exist (idempotent).
"""

from datetime import timedelta
from decimal import Decimal

from django.apps import apps as django_apps
from django.core.files.base import ContentFile
from django.utils import timezone

from rmdesk.core import approvals
from rmdesk.core.models import ApprovalStatus
from rmdesk.customers.models import Customer, CustomerKind, FinancialYear
from rmdesk.org.models import User

from . import services
from .defaults import seed
from .models import AppStatus, CreditApplication, CreditProduct

#: (target state, recommendation, purpose)
PLAN = [
    ("draft", "approve", "购置家用车辆"),
    ("investigating", "approve", "房屋装修"),
    ("ready", "approve", "购置农机具"),
    ("in_review", "approve", "子女教育"),
    ("returned", "approve", "经营周转"),
    ("approved", "approve", "购置经营设备"),
    ("loan", "approve", "补充流动资金"),
    ("rejected", "reject", "偿还他行借款"),
    ("withdrawn", "approve", "旅游消费"),
    ("in_review_reject", "reject", "投资理财"),
]


def _ver(app):
    return CreditApplication.objects.values_list("version", flat=True).get(pk=app.pk)


def _complete(app, rm, recommendation, *, items=None):
    app.refresh_from_db()
    for kind in app.product.required_materials:
        services.add_material(rm, app.pk, kind=kind, file=ContentFile(b"%PDF-1.4 demo", name=f"{kind}.pdf"))
    for entry in app.checklist.all()[: items or 99]:
        services.record_checklist(
            rm,
            app.pk,
            order=entry.order,
            finding="经实地走访及资料核验，情况属实。",
            conclusion="符合要求",
            version=entry.version,
        )
    if items:
        return app
    reasons = (
        "借款人收入稳定，还款来源充足，风险可控。" if recommendation == "approve" else "负债过高，第一还款来源不足。"
    )
    services.recommend(rm, app.pk, recommendation=recommendation, reasons=reasons, version=_ver(app))
    services.sign_pledge(rm, app.pk)
    return app


def _decide_all(app, last: str = "approve", steps: int = 3):
    """Decide up to `steps` steps, each by the first eligible person the kernel names; the last with `last`."""
    app.refresh_from_db()
    req = app.approval
    for n in range(steps):
        req.refresh_from_db()
        if req.status != ApprovalStatus.PENDING:
            return
        people = approvals.eligible_deciders(req)
        if not people:
            return
        decision = last if n == steps - 1 else "approve"
        approvals.decide(
            people[0], req.pk, decision, opinion="同意" if decision == "approve" else "请补充调查", version=req.version
        )


def build(ctx):
    if CreditApplication.objects.exists():
        ctx.log("credit: demo applications already present, skipped")
        return
    seed(django_apps)
    named = list(
        Customer.objects.filter(a_rm__username__in=("rm_senior", "rm_mid", "rm_junior"), kind=CustomerKind.INDIVIDUAL)
        .select_related("a_rm")
        .order_by("id")[:40]
    )
    others = list(
        Customer.objects.filter(a_rm__isnull=False, kind=CustomerKind.INDIVIDUAL)
        .select_related("a_rm")
        .order_by("id")[:200]
    )
    pool = named + [c for c in others if c not in named]
    if not pool:
        ctx.log("credit: no customers yet, skipped")
        return
    products = {p.code: p for p in CreditProduct.objects.all()}
    today = timezone.localdate()
    made = 0
    for i, (target, recommendation, purpose) in enumerate(PLAN):
        customer = pool[i % len(pool)]
        rm = customer.a_rm
        app = services.create_application(
            rm,
            customer_id=customer.pk,
            product_id=products["PL01"].pk,
            amount=Decimal(50000 + 10000 * i),
            term_months=12 + 6 * (i % 4),
            purpose=purpose,
            repayment_source="工资及经营收入",
            collateral="信用" if i % 2 else "房产抵押",
        )
        made += 1
        if target == "draft":
            continue
        if target == "investigating":
            _visit(app, rm)
            _complete(app, rm, recommendation, items=3)
            continue
        _visit(app, rm)
        _complete(app, rm, recommendation)
        if target == "ready":  # complete, not yet submitted: the submission deadline runs
            continue
        if target == "withdrawn":
            services.withdraw(rm, app.pk, version=_ver(app))
            continue
        app = services.submit(rm, app.pk, version=_ver(app))
        if target in ("in_review", "in_review_reject"):
            continue
        if target == "returned":
            _decide_all(app, "return", steps=2)
        elif target == "rejected":
            _decide_all(app, "reject", steps=1)
        else:
            _decide_all(app)
        app.refresh_from_db()
        if target == "loan" and app.status == AppStatus.APPROVED:
            services.record_loan(
                rm,
                app.pk,
                cms_ref=f"CMS{today:%Y%m%d}{app.pk:05d}",
                amount=app.amount,
                start_on=today - timedelta(days=40),
                end_on=today - timedelta(days=40) + timedelta(days=30 * app.term_months),
                rate=Decimal("3.850"),
                version=_ver(app),
            )
    made += _large_loan(pool, products)
    warnings = _warnings(ctx, pool)
    ratings = _ratings(pool)
    ctx.log(f"credit: {made} applications, {warnings} warnings, {ratings} ratings")


def _visit(app, rm):
    """An investigation interview at the branch (网点接待), recorded in daily work and linked."""
    from rmdesk.work import services as work

    interaction = work.record_interaction(
        rm,
        app.customer_id,
        kind="branch",
        occurred_at=timezone.now() - timedelta(days=2, hours=3),
        purpose=f"授信调查：申请 #{app.pk}",
        content="面谈了解借款用途、家庭收支及还款来源，核对身份证明与收入证明原件。",
    )
    services.link_visit(rm, app.pk, interaction_id=interaction.pk)


def _ratings(pool) -> int:
    """Last year's and this year's credit rating and line of the first borrowers (with history)."""
    year = timezone.localdate().year
    grades = ("AA", "A", "BBB", "AAA", "BB", "A")
    count = 0
    for i, customer in enumerate(pool[:6]):
        for y, grade, line in (
            (year - 1, grades[(i + 1) % 6], 200000 + 50000 * i),
            (year, grades[i], 300000 + 50000 * i),
        ):
            services.rate_customer(
                customer.a_rm,
                customer_id=customer.pk,
                year=y,
                grade=grade,
                credit_line=Decimal(line),
                note="年度信用等级评定",
            )
            count += 1
    return count


def _large_loan(pool, products) -> int:
    """A large loan (≥ the product's threshold) investigated and signed by two RMs of the same branch."""
    for customer in pool:
        rm = customer.a_rm
        home = rm.team or rm.unit
        if home is None:
            continue
        second = next(
            (
                u
                for u in User.objects.filter(is_active=True, roles__code="rm")
                .exclude(pk=rm.pk)
                .select_related("unit", "team")[:200]
                if (u.team or u.unit) and services._same_branch((u.team or u.unit).path, customer.org_path)
            ),
            None,
        )
        if second is None:
            continue
        app = services.create_application(
            rm,
            customer_id=customer.pk,
            product_id=products["PL01"].pk,
            amount=products["PL01"].large_threshold + Decimal("50000"),
            term_months=36,
            purpose="购置住房装修及家具",
            repayment_source="夫妻双方工资收入",
            collateral="房产抵押",
            guarantors=[{"name": "配偶", "relation": "配偶"}],
        )
        services.add_investigator(rm, app.pk, user_id=second.pk, version=_ver(app))
        _complete(app, rm, "approve")
        services.sign_pledge(second, app.pk)
        services.submit(rm, app.pk, version=_ver(app))
        return 1
    return 0


def _warnings(ctx, pool) -> int:
    """Yearly financials showing a rising debt ratio and falling revenue for one borrower (so the scan
    raises a 财务报表 warning), and an overdue warning entered by hand a week ago (escalated)."""
    count = 0
    borrowers = list(Customer.objects.filter(credit_applications__isnull=False).distinct().order_by("id")[:2])
    if borrowers:
        b = borrowers[0]
        year = timezone.localdate().year
        for y, revenue, liabilities in ((year - 2, "5200000", "2400000"), (year - 1, "4100000", "3300000")):
            FinancialYear.objects.get_or_create(
                customer=b,
                year=y,
                defaults={
                    "revenue": Decimal(revenue),
                    "assets": Decimal("5000000"),
                    "liabilities": Decimal(liabilities),
                },
            )
        count += len(services.scan_financials())
    if len(borrowers) > 1:
        b = borrowers[1]
        w = services.raise_warning(
            b.a_rm,
            customer_id=b.pk,
            category="overdue",
            level="orange",
            title="贷款本息逾期 15 天",
            detail="客户资金链紧张，已电话催收。",
        )
        type(w).objects.filter(pk=w.pk).update(raised_at=timezone.now() - timedelta(days=10))
        services.escalate_warnings()
        count += 1
    return count
