"""Fixtures of the work app: tier rule sets of three industries with cadence rules, customers in them."""

from datetime import datetime, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from rmdesk.work.models import CadenceRule


@pytest.fixture
def tiers(db):
    """bank (gold monthly, platinum quarterly, diamond half-yearly), telecom (钻石/金 monthly, 银 quarterly),
    tobacco (weekly). Rows are get-or-created so they coexist with any seeded defaults."""
    from rmdesk.customers.models import Tier, TierRuleSet

    def rs(code, name):
        return TierRuleSet.objects.get_or_create(code=code, defaults={"name": name})[0]

    def tier(rule_set, code, name, rank, threshold=0):
        return Tier.objects.get_or_create(
            rule_set=rule_set, code=code, defaults={"name": name, "rank": rank, "threshold": Decimal(threshold)}
        )[0]

    def rule(rule_set, tier_code, name, months=0, days=0, soon=5):
        CadenceRule.objects.update_or_create(
            rule_set_code=rule_set.code,
            tier_code=tier_code,
            defaults={
                "name": name,
                "interval_months": months,
                "interval_days": days,
                "soon_days": soon,
                "is_active": True,
            },
        )

    bank, telecom, tobacco = rs("bank", "银行"), rs("telecom", "电信VIP"), rs("tobacco", "烟草零售户")
    t = {
        "gold": tier(bank, "gold", "金卡客户", 2, 500000),
        "platinum": tier(bank, "platinum", "白金客户", 3, 1000000),
        "diamond": tier(bank, "diamond", "钻石客户", 4, 2000000),
        "standard": tier(bank, "standard", "普通客户", 1),
        "t_diamond": tier(telecom, "diamond", "钻石卡", 3),
        "t_gold": tier(telecom, "gold", "金卡", 2),
        "t_silver": tier(telecom, "silver", "银卡", 1),
        "tob_core": tier(tobacco, "core", "核心户", 1),
    }
    rule(bank, "gold", "每月", months=1, soon=5)
    rule(bank, "platinum", "每季度", months=3, soon=10)
    rule(bank, "diamond", "每半年", months=6, soon=15)
    CadenceRule.objects.filter(rule_set_code="bank", tier_code="standard").delete()
    rule(telecom, "diamond", "钻石卡每月", months=1)
    rule(telecom, "gold", "金卡每月", months=1)
    rule(telecom, "silver", "银卡每季度", months=3)
    rule(tobacco, "core", "每周拜访", days=7, soon=2)
    return t


@pytest.fixture
def local_dt():
    tz = timezone.get_current_timezone()

    def _dt(y, m, d, hh=10, mm=0):
        return datetime(y, m, d, hh, mm, tzinfo=tz)

    return _dt


def days_ago(n, hour=10):
    now = timezone.localtime()
    return (now - timedelta(days=n)).replace(hour=hour, minute=0, second=0, microsecond=0)


@pytest.fixture
def approved_visit(world):
    """approved_visit(customer, rm=world.rm, second=world.rm_b, day=today): a door-to-door request the
    branch manager approved in advance (SPEC §8), which recording a door-to-door contact needs."""
    from rmdesk.compliance.models import ServiceStatus, SpecialService

    def _make(customer, rm=None, second=None, day=None):
        return SpecialService.objects.create(
            customer=customer,
            applicant=rm or world.rm,
            second_staff=second or world.rm_b,
            org_path=customer.org_path,
            visit_on=day or timezone.localdate(),
            place="客户家中",
            purpose="上门服务",
            status=ServiceStatus.APPROVED,
            approved_by=world.manager,
            approved_at=timezone.now() - timedelta(days=1),
        )

    return _make
