"""The monthly sales report (客户月度销售情况分析报告, SPEC §3) starts filled from the RM's own data of
the report's month: product sales, new customers, contacts by kind, complaints, special visits.

Scope: the RM's book as A-post RM (主办), whose sales and service the report analyses; contacts and
special visits are the ones the RM recorded. Figures are computed when the report is opened, never
stored apart from the text the RM edits and submits (the figures card on the page is recomputed).

Complaints come from the service app when it is installed, through its public models module (work and
service are peers in the import contract); without it the report says nothing about complaints.
"""

from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.apps import apps
from django.db.models import Count, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from .models import Interaction, InteractionKind

#: the journal template whose parts are prefilled (seed.py)
TEMPLATE_CODE = "monthly_sales_analysis"
LIST_LIMIT = 10


def _bounds(start: date, end: date):
    tz = timezone.get_current_timezone()
    return datetime.combine(start, time.min, tz), datetime.combine(end + timedelta(days=1), time.min, tz)


def _money(x) -> str:
    return f"{(x or Decimal(0)):,.2f}"


def month_figures(user, start: date, end: date) -> dict:
    """The RM's figures for the days start..end (inclusive)."""
    from rmdesk.customers.models import Customer, Holding, ProductCategory

    t0, t1 = _bounds(start, end)
    book = Customer.objects.filter(a_rm=user)
    labels = dict(ProductCategory.choices)

    sales_rows = (
        Holding.objects.filter(customer__in=book, opened_on__gte=start, opened_on__lte=end)
        .values("product__category")
        .annotate(n=Count("pk"), amount=Sum("balance"))
        .order_by("product__category")
    )
    sales = [
        {"category": labels.get(r["product__category"], r["product__category"]), "n": r["n"], "amount": r["amount"]}
        for r in sales_rows
    ]
    new_customers = list(book.filter(created_at__gte=t0, created_at__lt=t1).order_by("created_at", "pk"))

    contacts_qs = Interaction.objects.filter(recorded_by=user, occurred_on__gte=start, occurred_on__lte=end)
    by_kind = dict(contacts_qs.values_list("kind").annotate(n=Count("pk")).values_list("kind", "n"))
    contacts = [{"kind": label, "n": by_kind[code]} for code, label in InteractionKind.choices if by_kind.get(code)]
    special = list(
        contacts_qs.filter(kind=InteractionKind.SPECIAL).select_related("customer").order_by("occurred_at", "pk")
    )
    needs = [
        (i.customer.name, line.strip())
        for i in contacts_qs.exclude(needs_found="").select_related("customer").order_by("occurred_at", "pk")
        for line in i.needs_found.splitlines()
        if line.strip()
    ]

    complaints = []
    if apps.is_installed("rmdesk.service"):
        from rmdesk.service.models import Case, CaseKind

        complaints = list(
            Case.objects.filter(kind=CaseKind.COMPLAINT, customer__in=book, registered_at__gte=t0, registered_at__lt=t1)
            .select_related("customer")
            .order_by("registered_at", "pk")
        )

    nxt = end + timedelta(days=1)
    nxt_end = (nxt.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)
    maturing = Holding.objects.filter(
        customer__in=book, closed_on__isnull=True, balance__gt=0, matures_on__gte=nxt, matures_on__lte=nxt_end
    ).aggregate(n=Count("pk"), amount=Sum("balance"))

    return {
        "start": start,
        "end": end,
        "sales": sales,
        "sales_n": sum(r["n"] for r in sales),
        "sales_amount": sum((r["amount"] or Decimal(0) for r in sales), Decimal(0)),
        "new_customers": new_customers,
        "contacts": contacts,
        "contacts_n": sum(by_kind.values()),
        "contacted_customers": contacts_qs.values("customer").distinct().count(),
        "special_visits": special,
        "complaints": complaints,
        "needs": needs,
        "maturing_n": maturing["n"] or 0,
        "maturing_amount": maturing["amount"] or Decimal(0),
        "next_month": nxt,
    }


def _names(items, limit=LIST_LIMIT) -> str:
    names = [c.name for c in items[:limit]]
    more = len(items) - len(names)
    text = "、".join(names)
    return text + (_("等 %(n)d 位") % {"n": len(items)} if more > 0 else "")


def prefill(figures: dict) -> dict:
    """The four parts' starting text (section keys of seed.MONTHLY_SALES_SECTIONS), to be edited."""
    f = figures
    month = f["start"].strftime("%Y-%m")
    overall = [_("%(m)s 所服务客户整体销售情况：") % {"m": month}]
    overall.append(
        _("产品销售 %(n)d 笔，金额合计 %(a)s 元。") % {"n": f["sales_n"], "a": _money(f["sales_amount"])}
        if f["sales_n"]
        else _("本月没有新的产品销售记录。")
    )
    for r in f["sales"]:
        overall.append(_("· %(c)s：%(n)d 笔，%(a)s 元") % {"c": r["category"], "n": r["n"], "a": _money(r["amount"])})
    overall.append(
        _("新增客户 %(n)d 位：%(names)s。") % {"n": len(f["new_customers"]), "names": _names(f["new_customers"])}
        if f["new_customers"]
        else _("本月没有新增客户。")
    )
    overall.append(
        _("联系客户 %(n)d 次，覆盖客户 %(c)d 位（%(kinds)s）。")
        % {
            "n": f["contacts_n"],
            "c": f["contacted_customers"],
            "kinds": "，".join(_("%(k)s %(n)d 次") % {"k": r["kind"], "n": r["n"]} for r in f["contacts"]),
        }
        if f["contacts_n"]
        else _("本月没有联系客户的记录。")
    )
    if f["special_visits"]:
        overall.append(_("特殊访问 %(n)d 次：") % {"n": len(f["special_visits"])})
        for i in f["special_visits"][:LIST_LIMIT]:
            overall.append(
                _("· %(d)s %(c)s：%(p)s") % {"d": i.occurred_on.isoformat(), "c": i.customer.name, "p": i.purpose}
            )
    else:
        overall.append(_("本月没有特殊访问。"))

    if f["complaints"]:
        problems = [_("本月客户投诉 %(n)d 件：") % {"n": len(f["complaints"])}]
        for c in f["complaints"][:LIST_LIMIT]:
            problems.append(
                _("· %(no)s %(c)s：%(t)s（%(s)s）")
                % {"no": c.number or "", "c": c.customer.name, "t": c.title, "s": c.get_status_display()}
            )
    else:
        problems = [_("本月没有客户投诉。")]
    problems.append(_("原因分析与对策措施："))

    feedback = []
    if f["complaints"]:
        feedback.append(_("客户投诉反映的意见见上一部分。"))
    if f["needs"]:
        feedback.append(_("服务记录中发现的客户需求："))
        for name, need in f["needs"][:LIST_LIMIT]:
            feedback.append(_("· %(c)s：%(n)s") % {"c": name, "n": need})
    feedback.append(_("客户对商品质量和服务的主要意见和建议："))

    forecast = [
        _("次月（%(m)s）到期产品 %(n)d 笔，金额合计 %(a)s 元，需提前安排续作。")
        % {"m": f["next_month"].strftime("%Y-%m"), "n": f["maturing_n"], "a": _money(f["maturing_amount"])}
        if f["maturing_n"]
        else _("次月（%(m)s）没有到期产品。") % {"m": f["next_month"].strftime("%Y-%m")}
    ]
    forecast.append(_("次月销售预测："))
    return {
        "overall": "\n".join(overall),
        "problems": "\n".join(problems),
        "feedback": "\n".join(feedback),
        "forecast": "\n".join(forecast),
    }


def applies_to(journal) -> bool:
    return journal.template.code == TEMPLATE_CODE


def starting_content(journal) -> tuple[dict | None, dict]:
    """(figures, content to show): a monthly sales report that is still a draft with every part empty
    starts from the prefilled text; otherwise its own content. Nothing is written here: the RM's save
    or submit stores what they edited."""
    if not applies_to(journal):
        return None, journal.content
    figures = month_figures(journal.owner, journal.period_start, journal.period_end)
    content = journal.content
    if journal.status == "draft" and not any(str(v).strip() for v in content.values()):
        filled = prefill(figures)
        keys = [s["key"] for s in journal.template.sections]
        content = {k: filled.get(k, "") for k in keys}
    return figures, content
