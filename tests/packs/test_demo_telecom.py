"""The telecom VIP demo's main flow (issue 19; seed 004 四、电话回访服务用语 3; SPEC §3, §5): from an empty database,
`seed_demo --pack telecom`, then this month's bill falls against last month's and the retention-trigger scan puts the
subscriber on the watch list with a call for the account manager carrying the trigger's script, due in working days;
the dispute raised on that call runs under the VIP SLA (24 hours, an answer in 3 working days). The demo's signed
service agreements carry six monthly bills each, and the receivables page shows the 回款率 and 坏帐率 they make.

The demo is built today; the scan and the complaint are dated Wednesday 30 September 2026, the day before the National
Day holiday (1–7 October), so every due date has to step over it; Saturday 10 October is a 调休 working day."""

import io
from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.template.defaultfilters import floatformat
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from rmdesk.contracts.models import Contract, ContractPolicy, Installment
from rmdesk.core.models import AuditEvent
from rmdesk.customers import services as customers
from rmdesk.customers.models import Customer
from rmdesk.org.models import OrgUnit, User
from rmdesk.service import services as service
from rmdesk.service.churn import scan_triggers
from rmdesk.service.models import (
    CaseCategory,
    CaseKind,
    Channel,
    RetentionKind,
    Severity,
    WatchEntry,
    WatchReason,
    WatchStatus,
)
from rmdesk.work.models import Interaction

pytestmark = pytest.mark.django_db

SHANGHAI = ZoneInfo("Asia/Shanghai")
SCAN_DAY = date(2026, 9, 30)
BILL_DROP_SCRIPT_LINE = "我们很想了解一下您话费下降的原因。"
ZERO_BILL_SCRIPT_LINE = "您希望我们多长时间回访您一次比较合适?(详细记录好二次回访的时间)"


def _seed():
    out = io.StringIO()
    call_command("seed_demo", pack="telecom", scale=0.25, stdout=out)
    return out.getvalue()


def _counts():
    return {
        "units": OrgUnit.objects.count(),
        "users": User.objects.count(),
        "customers": Customer.objects.count(),
        "interactions": Interaction.objects.count(),
        "audit": AuditEvent.objects.count(),
    }


def test_seed_demo_telecom_builds_the_vip_organisation_once():
    log = _seed()
    assert "tel_rm" in log and "rmdesk-demo-2026" in log  # the logins are reported
    root = OrgUnit.objects.get(code="TEL")
    assert root.name == "示范电信某市分公司"
    assert {u.name for u in root.get_descendants()} >= {"政企客户部", "个人客户部", "VIP 客户中心", "钻石卡服务组"}
    rm = User.objects.get(username="tel_rm")
    assert rm.check_password("rmdesk-demo-2026") and rm.team.name == "钻石卡服务组"
    subscribers = Customer.objects.filter(org_path__startswith=root.path)
    tiers = set(subscribers.values_list("tier__rule_set__code", "tier__code"))
    assert {("telecom_vip", "diamond"), ("telecom_vip", "gold"), ("telecom_vip", "silver")} <= tiers
    assert all({"monthly_spend", "monthly_spend_prev"} <= set(c.metrics) for c in subscribers)
    _the_receivables_page_shows_the_fees_collected_and_written_off(root)
    before = _counts()
    assert "already present" in _seed()
    assert _counts() == before  # a second run adds nothing


def _the_receivables_page_shows_the_fees_collected_and_written_off(root):
    """Signed VIP service agreements (the pack's 入网服务协议) whose monthly bills are installments: the branch
    manager's receivables page shows 回款率 and 坏帐率 computed from them, against the pack's policy (< 2 %)."""
    agreements = Contract.objects.filter(org_path__startswith=root.path, kind="service")
    assert agreements.count() >= 6
    assert {(c.status, c.template.name) for c in agreements} == {("signed", "VIP 用户入网服务协议")}
    items = list(Installment.objects.filter(contract__in=agreements))
    assert len(items) == 6 * agreements.count()
    written_off = [i for i in items if i.written_off]
    assert len(written_off) == 1 and "欠费停机" in written_off[0].write_off_reason
    owing = [i for i in items if i.outstanding > 0]
    assert len(owing) == 2 and all(i.follow_ups.exists() for i in owing + written_off)
    due = sum(i.amount for i in items)
    bad, paid = sum(i.written_off for i in items), sum(i.paid for i in items)
    policy = ContractPolicy.current()
    assert (policy.bad_debt_target, policy.collection_target, policy.expiry_window_days) == (2, 98, 60)
    client = Client()
    client.force_login(User.objects.get(username="tel_manager"))
    start = min(i.due_on for i in items)
    page = client.get(f"/contracts/receivables/?by=unit&start={start}&end={timezone.localdate()}")
    assert page.status_code == 200
    (row,) = page.context["rows"]
    assert (row["label"], row["due"], row["collected"], row["bad"]) == ("VIP 客户中心", due, paid, bad)
    assert abs(Decimal(str(row["bad_debt_rate"])) - bad / due * 100) < Decimal("0.01")
    assert abs(Decimal(str(row["collection_rate"])) - paid / due * 100) < Decimal("0.01")
    assert row["bad_debt_ok"] == (bad / due * 100 < 2)
    html = page.content.decode()
    assert f'<td class="num">{floatformat(row["bad_debt_rate"], 2)}' in html
    assert "用户称出差未及时缴费" in html  # the overdue bill with its 跟催 note


def test_an_unknown_pack_is_a_clear_error_listing_the_packs():
    with pytest.raises(CommandError) as exc:
        call_command("seed_demo", pack="airline", stdout=io.StringIO())
    assert "airline" in str(exc.value) and "telecom" in str(exc.value) and "tobacco" in str(exc.value)
    assert not OrgUnit.objects.filter(code__in=["TEL", "TOB"]).exists()


def test_a_fee_drop_triggers_a_retention_call_with_the_script_and_the_sla(client):
    _seed()
    rm = User.objects.get(username="tel_rm")
    watched = WatchEntry.objects.values("customer_id")
    steady = [
        c
        for c in Customer.objects.filter(a_rm=rm).exclude(pk__in=watched).order_by("customer_no")
        if c.metrics["monthly_spend"] == c.metrics["monthly_spend_prev"] or scan_would_not_fire(c)
    ]
    subscriber = steady[0]
    # the monthly billing extract: last month 1,500 元, this month 600 元 (a 60 % drop)
    customers.update_customer(
        rm,
        subscriber.pk,
        {"metrics": {"monthly_spend": "600", "monthly_spend_prev": "1500"}},
        version=subscriber.version,
    )

    put_on_list = scan_triggers(SCAN_DAY)

    # the demo's own two bill drops and one zero bill fire too, and nobody else
    assert put_on_list == 4
    entry = WatchEntry.objects.get(customer=subscriber, status=WatchStatus.OPEN)
    assert entry.reason == WatchReason.TRIGGER and entry.trigger.code == "bill_drop"
    assert entry.assigned_to == rm
    assert "本期 600" in entry.note and "上期 1500" in entry.note
    script = entry.trigger.script
    assert script.startswith("***先生(或女士)您好,我是联通公司客户服务人员") and BILL_DROP_SCRIPT_LINE in script
    call = entry.actions.get()
    assert call.kind == RetentionKind.CALL and call.assigned_to == rm and call.created_by is None
    # 3 working days after 30 Sep: 8 Oct, 9 Oct, then Saturday 10 Oct (调休), stepping over National Day
    assert call.due_on == date(2026, 10, 10)
    zero = WatchEntry.objects.get(trigger__code="zero_bill")
    assert ZERO_BILL_SCRIPT_LINE in zero.trigger.script and zero.assigned_to == rm

    # the account manager opens the watch-list entry: the script to read and the call's due date
    client.force_login(rm)
    page = client.get(reverse("service:watch_detail", args=[entry.pk]))
    assert page.status_code == 200
    html = page.content.decode()
    assert BILL_DROP_SCRIPT_LINE in html and "2026-10-10" in html
    assert scan_triggers(SCAN_DAY) == 0  # a second scan calls nobody twice

    # on the call the subscriber disputes the bill: a complaint under the VIP SLA, in working time
    billing = CaseCategory.objects.get(code="billing")
    case = service.register_case(
        rm,
        customer_id=subscriber.pk,
        kind=CaseKind.COMPLAINT,
        channel=Channel.PHONE,
        category_id=billing.pk,
        severity=Severity.NORMAL,
        title="话费下降回访中客户对套餐资费提出异议",
        description="客户称本月套餐变更后资费说明不清，要求核查。",
        now=datetime(2026, 9, 30, 15, 0, tzinfo=SHANGHAI),
    )
    assert case.policy.name == "VIP：24 小时内受理，3 个工作日内答复"
    assert case.ack_due_at == datetime(2026, 10, 8, 15, 0, tzinfo=SHANGHAI)  # one working day
    assert case.answer_due_at == datetime(2026, 10, 10, 15, 0, tzinfo=SHANGHAI)  # three working days


def scan_would_not_fire(customer) -> bool:
    """A subscriber whose bills the demo left within 10 % of each other (no trigger fires)."""
    now, before = (float(customer.metrics[k]) for k in ("monthly_spend", "monthly_spend_prev"))
    return now > 0 and now >= before * 0.85
