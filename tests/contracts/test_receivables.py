"""Receivables (SPEC §7, issue 13): the payment schedule, payments never above the outstanding amount, the
collection rate (回款率) and the bad-debt rate (坏帐率) per RM, team and unit on hand-made schedules (exact
figures), write-offs, follow-up notes, the monthly 回款明细表, expiry reminders and non-renewal reasons."""

import io
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone
from hypothesis import HealthCheck, given, settings, strategies as st

from rmdesk.contracts import services
from rmdesk.contracts.models import ContractPolicy, Installment, Payment
from rmdesk.core.models import Notification

from .conftest import ver

pytestmark = pytest.mark.django_db
D = Decimal


def _pay(user, item, amount, day):
    return services.record_payment(user, item.pk, amount=D(amount), paid_on=day)


def test_the_schedule_never_exceeds_the_contract_amount(world, signed):
    services.add_installment(world.rm, signed.pk, due_on=date(2026, 3, 31), amount=D("150000"))
    with pytest.raises(ValidationError) as exc:
        services.add_installment(world.rm, signed.pk, due_on=date(2026, 6, 30), amount=D("50000.01"))
    assert "不能超过合同金额" in exc.value.message_dict["amount"][0]
    assert signed.installments.count() == 1


def test_a_payment_above_the_outstanding_amount_is_refused(world, signed):
    item = services.add_installment(world.rm, signed.pk, due_on=date(2026, 3, 31), amount=D("1000"))
    _pay(world.rm, item, "600", date(2026, 3, 1))
    with pytest.raises(ValidationError) as exc:
        _pay(world.rm, item, "400.01", date(2026, 3, 2))
    assert exc.value.message_dict == {"amount": ["回款金额不能超过未收余额 400.00 元。"]}
    item.refresh_from_db()
    assert item.paid == D("600") and Payment.objects.count() == 1
    _pay(world.rm, item, "400", date(2026, 3, 2))
    assert Installment.objects.get(pk=item.pk).outstanding == 0


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(amounts=st.lists(st.decimals(min_value=D("0.01"), max_value=D("600"), places=2), min_size=1, max_size=6))
def test_payments_never_exceed_the_installment_whatever_the_sequence(world, signed, amounts):
    item = services.add_installment(world.rm, signed.pk, due_on=date(2026, 3, 31), amount=D("1000"))
    for amount in amounts:
        outstanding = Installment.objects.get(pk=item.pk).outstanding
        if amount > outstanding:
            with pytest.raises(ValidationError):
                _pay(world.rm, item, amount, date(2026, 3, 1))
        else:
            _pay(world.rm, item, amount, date(2026, 3, 1))
        fresh = Installment.objects.get(pk=item.pk)
        assert D(0) <= fresh.outstanding <= D("1000")
        assert fresh.paid == sum((p.amount for p in fresh.payments.all()), D(0))


@pytest.fixture
def book(world, seeded, make_contract, make_customer, signed):
    """Hand-made schedules due in Q1 2026:
    rm (team T1):      signed contract 200 000 — 100 000 due 01-31 paid in full; 60 000 due 02-28 paid 45 000, the
                       rest (15 000) written off; 40 000 due 03-31 paid 10 000.
    rm_b (team T1):    a contract of 50 000 — 50 000 due 03-15, paid 50 000 on 04-02 (after the quarter).
    rm2 (team T2):     a contract of 80 000 — 80 000 due 02-10, paid 78 400, 1 600 written off.
    Outside the quarter: rm's 1 000 due 2026-04-30 (counts for nobody in Q1)."""
    ContractPolicy.objects.update(bad_debt_target=D("2"))
    a = services.add_installment(world.rm, signed.pk, due_on=date(2026, 1, 31), amount=D("100000"))
    b = services.add_installment(world.rm, signed.pk, due_on=date(2026, 2, 28), amount=D("60000"))
    c = services.add_installment(world.rm, signed.pk, due_on=date(2026, 3, 31), amount=D("39000"))
    services.add_installment(world.rm, signed.pk, due_on=date(2026, 4, 30), amount=D("1000"))
    _pay(world.rm, a, "100000", date(2026, 1, 30))
    _pay(world.rm, b, "45000", date(2026, 3, 1))
    services.write_off(world.lead, b.pk, reason="客户破产清算", version=ver(b))
    _pay(world.rm, c, "10000", date(2026, 3, 31))
    other = make_contract(world.rm_b, amount=D("50000"), customer=make_customer(world.rm_b))
    d = services.add_installment(world.rm_b, other.pk, due_on=date(2026, 3, 15), amount=D("50000"))
    _pay(world.rm_b, d, "50000", date(2026, 4, 2))
    far = make_contract(world.rm2, amount=D("80000"), customer=make_customer(world.rm2))
    e = services.add_installment(world.rm2, far.pk, due_on=date(2026, 2, 10), amount=D("80000"))
    _pay(world.rm2, e, "78400", date(2026, 2, 10))
    services.write_off(world.lead2, e.pk, reason="无法收回", version=ver(e))
    return {"a": a, "b": b, "c": c, "d": d, "e": e}


Q1 = (date(2026, 1, 1), date(2026, 3, 31))


def test_collection_and_bad_debt_rates_per_rm_exact(world, book):
    rows = {r["label"]: r for r in services.collection_table(world.manager, *Q1)}
    # manager (sub-branch S1) sees rm and rm_b, not rm2 of S2
    assert set(rows) == {"rm", "rm_b"}
    rm = rows["rm"]
    assert (rm["due"], rm["collected"], rm["bad"]) == (D("199000"), D("155000"), D("15000"))
    assert rm["collection_rate"] == D("77.8894")  # 155 000 / 199 000
    assert rm["bad_debt_rate"] == D("7.5377")  # 15 000 / 199 000
    assert not rm["bad_debt_ok"]
    rm_b = rows["rm_b"]
    assert (rm_b["collection_rate"], rm_b["bad_debt_rate"]) == (D("0"), D("0"))  # paid after the quarter
    assert rm_b["bad_debt_ok"]


def test_team_and_unit_rates_are_ratios_of_sums(world, book):
    (t1,) = services.collection_table(world.manager, *Q1, by="team")
    assert t1["label"] == "一队"
    assert (t1["due"], t1["collected"], t1["bad"]) == (D("249000"), D("155000"), D("15000"))
    assert t1["collection_rate"] == D("62.2490") and t1["bad_debt_rate"] == D("6.0241")
    units = {r["label"]: r for r in services.collection_table(world.admin, *Q1, by="unit")}
    assert units == {}  # the administrator sees no customer business by default
    (t2,) = services.collection_table(world.lead2, *Q1, by="unit")
    assert t2["label"] == "二网点"
    assert (t2["collection_rate"], t2["bad_debt_rate"]) == (D("98.0000"), D("2.0000"))
    assert not t2["bad_debt_ok"]  # 2 % is not below a 2 % target
    ContractPolicy.objects.update(bad_debt_target=D("2.5"))
    assert services.collection_table(world.lead2, *Q1)[0]["bad_debt_ok"]


def test_the_rate_indicators_roll_up_like_the_table(world, book):
    from rmdesk.contracts.indicators import INDICATORS
    from rmdesk.core.indicators import rollup

    by_code = {i.code: i for i in INDICATORS}
    collection = by_code["contracts.collection_rate"].compute(*Q1, None)
    assert collection[world.rm.pk].value == D("77.8894")
    assert rollup([collection[world.rm.pk], collection[world.rm_b.pk]], percent=True).value == D("62.2490")
    bad = by_code["contracts.bad_debt_rate"].compute(*Q1, [world.rm2.pk])
    assert set(bad) == {world.rm2.pk} and bad[world.rm2.pk].value == D("2.0000")
    signed = by_code["contracts.signed_count"].compute(date(2026, 1, 1), date(2026, 1, 31), None)
    assert signed[world.rm.pk].value == 1
    amount = by_code["contracts.signed_amount"].compute(date(2026, 1, 1), date(2026, 1, 31), None)
    assert amount[world.rm.pk].value == D("200000")


def test_write_offs_are_for_supervisors_and_overdue_receivables_only(world, signed):
    item = services.add_installment(
        world.rm, signed.pk, due_on=timezone.localdate() + timedelta(days=5), amount=D("10")
    )
    with pytest.raises(PermissionDenied):
        services.write_off(world.rm, item.pk, reason="x", version=ver(item))
    with pytest.raises(ValidationError) as exc:
        services.write_off(world.lead, item.pk, reason="x", version=ver(item))
    assert "due_on" in exc.value.message_dict
    assert Installment.objects.get(pk=item.pk).written_off == 0


def test_follow_ups_and_overdue_receivable_reminders(world, signed):
    item = services.add_installment(world.rm, signed.pk, due_on=date(2026, 2, 1), amount=D("5000"))
    services.add_follow_up(world.rm, item.pk, note="电话催收，客户承诺月底前支付", next_on=None)
    with pytest.raises(ValidationError):
        services.add_follow_up(world.rm, item.pk, note=" ")
    assert list(item.follow_ups.values_list("note", flat=True)) == ["电话催收，客户承诺月底前支付"]
    assert services.overdue_receivable_notices(date(2026, 2, 1)) == 0
    assert services.overdue_receivable_notices(date(2026, 2, 2)) == 1
    assert services.overdue_receivable_notices(date(2026, 2, 3)) == 1  # the same unread reminder, not a second
    assert Notification.objects.filter(recipient=world.rm, kind="contracts.receivable_overdue").count() == 1


def test_the_monthly_statement_is_an_excel_workbook_in_scope(world, book):
    from openpyxl import load_workbook

    data = services.monthly_statement(world.rm, "2026-03")
    wb = load_workbook(io.BytesIO(data), read_only=True)
    rows = [list(r) for r in wb.worksheets[0].iter_rows(values_only=True)]
    assert rows[0][:3] == ["合同编号", "客户", "客户经理"]
    body = rows[1:]
    assert [(r[3], r[4], r[5], r[6]) for r in body] == [
        (2, "2026-02-28", 60000, 45000),
        (3, "2026-03-31", 39000, 10000),
    ]
    summary = [list(r) for r in wb.worksheets[1].iter_rows(values_only=True)]
    assert summary[1][0] == "rm" and summary[1][4] == pytest.approx(25.641, abs=1e-3)  # 10 000 / 39 000 due in March
    with pytest.raises(ValidationError):
        services.monthly_statement(world.rm, "2026-13")


def test_expiring_contracts_remind_their_rm_and_a_non_renewal_needs_a_reason(world, signed):
    policy = ContractPolicy.current()
    end = signed.end_on
    assert services.expiry_notices(end - timedelta(days=policy.expiry_window_days + 1)) == 0
    assert services.expiry_notices(end - timedelta(days=policy.expiry_window_days)) == 1
    assert Notification.objects.filter(recipient=world.rm, kind="contracts.expiry").count() == 1
    with pytest.raises(ValidationError) as exc:
        services.decide_renewal(world.rm, signed.pk, decision="not_renew", reason=" ", version=ver(signed))
    assert exc.value.message_dict == {"reason": ["不续签须填写原因。"]}
    services.decide_renewal(world.rm, signed.pk, decision="not_renew", reason="客户业务迁出本地", version=ver(signed))
    signed.refresh_from_db()
    assert (signed.renewal, signed.renewal_reason) == ("not_renew", "客户业务迁出本地")
    assert services.expiry_notices(end - timedelta(days=3)) == 0
