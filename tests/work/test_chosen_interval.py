"""The customer's chosen callback interval (issue 19; seed 004 电话回访 "您希望我们多长时间回访您一次比较合适"):
the industry's setting (off for the bank, shorter for telecom, or customer), the rule in refresh_one() and in
recompute_all()'s SQL (they agree), the service (scope, 409, 422 with field paths, audit), its API, the
interaction form, the 360° slot and its edit page, and pack loads that keep what users recorded."""

from datetime import date, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from rmdesk.core.actions import StaleVersion
from rmdesk.core.models import AuditEvent
from rmdesk.work import cadence, services
from rmdesk.work.models import (
    CadenceSetting,
    ChosenInterval,
    ContactStatus,
    CustomerIntervalMode,
    Interaction,
    add_months,
)

pytestmark = pytest.mark.django_db

LAST = (2026, 5, 20)  # the last contact of every customer below, 10:00 local time


def _mode(mode):
    CadenceSetting.objects.update_or_create(code="default", defaults={"customer_interval": mode})


def _contact(customer, user, local_dt, when=LAST):
    Interaction.objects.create(
        customer=customer, kind="phone", occurred_at=local_dt(*when), recorded_by=user, purpose="电话回访"
    )


def _choose(customer, months=0, days=0, declined=False):
    """A choice as the service stores it, written directly (the setting may be off: the bank never writes one)."""
    return ChosenInterval.objects.create(
        customer=customer, interval_months=months, interval_days=days, declined=declined
    )


def _state(customer):
    row = ContactStatus.objects.get(customer=customer)
    return row.next_due_on, row.status, row.due_basis


def _both(customer, today):
    """The set-based state (recompute_all, steady state) and the per-row one (refresh_one): they must agree."""
    cadence.recompute_all(today=today, from_interactions=True)
    set_based = _state(customer)
    per_row = cadence.refresh_one(customer, today=today)
    assert (per_row.next_due_on, per_row.status, per_row.due_basis) == set_based
    return set_based


@pytest.fixture
def subscribers(world, make_customer, tiers, local_dt):
    """A telecom silver (quarterly) and gold (monthly) subscriber, both last called on 20 May 2026."""
    silver = make_customer(world.rm, tier=tiers["t_silver"], name="银卡用户")
    gold = make_customer(world.rm, tier=tiers["t_gold"], name="金卡用户")
    for c in (silver, gold):
        _contact(c, world.rm, local_dt)
    return silver, gold


# --- the bank: nothing ------------------------------------------------------------------------------------


def test_the_bank_sees_nothing(world, subscribers, client, api_client):
    silver, _gold = subscribers
    assert not CadenceSetting.objects.exists() and CadenceSetting.mode() == CustomerIntervalMode.OFF
    _choose(silver, months=1)  # even a stray row changes nothing while the setting is off
    assert _both(silver, date(2026, 6, 21)) == (date(2026, 8, 20), "ok", "rule")
    client.force_login(world.rm)
    form = client.get(reverse("work:interaction_new") + f"?customer={silver.pk}").content.decode()
    assert 'data-testid="interaction-form"' in form
    assert "interaction-chosen-interval" not in form and 'name="interval_months"' not in form
    detail = client.get(reverse("customers:detail", args=[silver.pk])).content.decode()
    assert 'data-testid="slot-interactions"' in detail and "slot-chosen-interval" not in detail
    assert client.get(reverse("work:chosen_interval", args=[silver.pk])).status_code == 404
    api = api_client(world.rm)
    assert api.get(f"/api/work/cadence/{silver.pk}/interval").json()["mode"] == "off"
    resp = api.put(
        f"/api/work/cadence/{silver.pk}/interval",
        {"interval_months": 1, "version": 1},
        content_type="application/json",
    )
    assert resp.status_code == 422
    assert ChosenInterval.objects.get(customer=silver).version == 1  # untouched


# --- the rule -------------------------------------------------------------------------------------------------


def test_shorter_a_quarterly_subscriber_asking_monthly_is_due_after_one_month(subscribers):
    silver, _gold = subscribers
    _mode("shorter")
    _choose(silver, months=1)
    assert _both(silver, date(2026, 6, 19)) == (date(2026, 6, 20), "soon", "chosen")
    assert _both(silver, date(2026, 6, 20)) == (date(2026, 6, 20), "due", "chosen")
    assert _both(silver, date(2026, 6, 21)) == (date(2026, 6, 20), "overdue", "chosen")


def test_shorter_a_monthly_subscriber_asking_quarterly_stays_monthly(subscribers):
    _silver, gold = subscribers
    _mode("shorter")
    _choose(gold, months=3)
    assert _both(gold, date(2026, 6, 21)) == (date(2026, 6, 20), "overdue", "rule")
    # a refusal is recorded but the VIP norm binds too
    ChosenInterval.objects.filter(customer=gold).update(interval_months=0, declined=True)
    assert _both(gold, date(2026, 6, 21)) == (date(2026, 6, 20), "overdue", "rule")
    # a tie is the rule's
    ChosenInterval.objects.filter(customer=gold).update(interval_months=1, declined=False)
    assert _both(gold, date(2026, 6, 21)) == (date(2026, 6, 20), "overdue", "rule")


def test_customer_mode_the_choice_replaces_the_rule_and_a_refusal_leaves_the_due_lists(world, subscribers, client):
    silver, gold = subscribers
    _mode("customer")
    _choose(gold, months=3)
    _choose(silver, declined=True)
    assert _both(gold, date(2026, 6, 21)) == (date(2026, 8, 20), "ok", "chosen")
    assert _both(silver, date(2026, 6, 21)) == (None, "ok", "declined")
    client.force_login(world.rm)
    for status in ("attention", "overdue", "due", "soon"):
        html = client.get(reverse("work:cadence") + f"?status={status}").content.decode()
        assert f'data-testid="cadence-row-{silver.pk}"' not in html
    html = client.get(reverse("work:cadence") + "?status=ok").content.decode()
    row = html[html.index(f'data-testid="cadence-row-{silver.pk}"') :]
    assert "客户谢绝回访" in row[: row.index("</tr>")]
    row = html[html.index(f'data-testid="cadence-row-{gold.pk}"') :]
    assert "按客户选择的回访周期（每 3 个月）" in row[: row.index("</tr>")]
    # the counters the dashboards read agree: the declined subscriber counts as ok, nobody as due
    summary = {r["a_rm"]: r for r in cadence.rm_summary(world.lead)}[world.rm.pk]
    assert (summary["ok"], summary["overdue"], summary["due"]) == (2, 0, 0)


def test_a_choice_gives_a_customer_without_a_tier_rule_a_due_date(world, make_customer, local_dt):
    plain = make_customer(world.rm, name="无层级用户")
    _contact(plain, world.rm, local_dt)
    _mode("shorter")
    assert _both(plain, date(2026, 6, 1)) == (None, "none", "rule")
    _choose(plain, days=45)
    # 20 May + 45 days = 4 July; "soon" the default 7 days before, as there is no rule to name them
    assert _both(plain, date(2026, 6, 27)) == (date(2026, 7, 4), "soon", "chosen")
    assert _both(plain, date(2026, 6, 26)) == (date(2026, 7, 4), "ok", "chosen")


SCENARIOS = [
    # (tier key or None, months, days, declined)
    ("t_silver", 1, 0, False),
    ("t_silver", 0, 45, False),
    ("t_silver", 4, 0, False),
    ("t_gold", 3, 0, False),
    ("t_gold", 0, 20, False),
    ("t_gold", 0, 0, True),
    ("gold", 0, 10, False),
    ("standard", 2, 0, False),
    (None, 0, 0, True),
    (None, 1, 5, False),
    ("t_diamond", None, None, None),  # no choice
    ("tob_core", 0, 3, False),
]


@pytest.mark.parametrize("mode", ["off", "shorter", "customer"])
def test_refresh_one_and_recompute_all_agree_from_scratch_and_in_steady_state(
    world, make_customer, tiers, local_dt, mode
):
    customers = []
    for i, (tier, months, days, declined) in enumerate(SCENARIOS):
        c = make_customer(world.rm, tier=tiers[tier] if tier else None, created_at=local_dt(2026, 1, 31))
        if i % 3:  # some never contacted: counted from the day the archive was opened
            _contact(c, world.rm, local_dt, when=(2026, 1 + i % 3, 28 - i))
        if months is not None:
            _choose(c, months, days, declined)
        customers.append(c)
    _mode("off")
    today = date(2026, 4, 10)
    cadence.recompute_all(today=today, from_interactions=True)
    _mode(mode)
    for label, prepare in (("steady state", lambda: None), ("from scratch", ContactStatus.objects.all().delete)):
        prepare()
        cadence.recompute_all(today=today, from_interactions=True)
        set_based = {c.pk: _state(c) for c in customers}
        per_row = {}
        for c in customers:
            row = cadence.refresh_one(c, today=today)
            per_row[c.pk] = (row.next_due_on, row.status, row.due_basis)
        assert per_row == set_based, label
    bases = {basis for _due, _status, basis in set_based.values()}
    assert bases == (
        {"rule"} if mode == "off" else {"rule", "chosen"} | ({"declined"} if mode == "customer" else set())
    )


# --- the service and its API ---------------------------------------------------------------------------------


def test_service_records_refreshes_the_row_and_audits_before_and_after(world, subscribers):
    silver, _gold = subscribers
    _mode("shorter")
    cadence.recompute_all(from_interactions=True)
    first = services.set_chosen_interval(world.rm, silver.pk, interval_months=1, note="每月回访", version=0)
    assert (first.version, first.recorded_by, first.note) == (1, world.rm, "每月回访")
    assert ContactStatus.objects.get(customer=silver).next_due_on == date(2026, 6, 20)
    second = services.set_chosen_interval(world.lead, silver.pk, interval_days=20, version=1)
    assert (second.version, second.interval_months, second.interval_days, second.note) == (2, 0, 20, "每月回访")
    assert second.recorded_by == world.lead
    assert ContactStatus.objects.get(customer=silver).next_due_on == date(2026, 6, 9)
    events = list(AuditEvent.objects.filter(action="work.chosen_interval_set").order_by("id"))
    assert [e.summary.get("before") for e in events] == [
        None,
        {"interval_months": 1, "interval_days": 0, "declined": False, "note": "每月回访"},
    ]
    assert events[1].summary["after"]["interval_days"] == 20
    assert events[1].summary["after"]["next_due_on"] == "2026-06-09"
    services.clear_chosen_interval(world.rm, silver.pk, version=2)
    assert not ChosenInterval.objects.filter(customer=silver).exists()
    assert ContactStatus.objects.get(customer=silver).due_basis == "rule"
    assert AuditEvent.objects.filter(action="work.chosen_interval_cleared").count() == 1


def test_stale_versions_are_refused_and_nothing_is_written(world, subscribers):
    silver, _gold = subscribers
    _mode("shorter")
    services.set_chosen_interval(world.rm, silver.pk, interval_months=1, version=0)
    with pytest.raises(StaleVersion):  # recorded by someone else since "none" was read
        services.set_chosen_interval(world.lead, silver.pk, interval_months=2, version=0)
    with pytest.raises(StaleVersion):
        services.set_chosen_interval(world.lead, silver.pk, interval_months=2, version=5)
    with pytest.raises(StaleVersion):
        services.clear_chosen_interval(world.lead, silver.pk, version=0)
    chosen = ChosenInterval.objects.get(customer=silver)
    assert (chosen.version, chosen.interval_months) == (1, 1)
    assert AuditEvent.objects.filter(action__startswith="work.chosen_interval").count() == 1


def test_api_get_put_delete_with_409_422_and_404(world, subscribers, make_customer, tiers, api_client):
    silver, _gold = subscribers
    _mode("shorter")
    api = api_client(world.rm)
    url = f"/api/work/cadence/{silver.pk}/interval"
    got = api.get(url).json()
    assert (got["mode"], got["version"], got["recorded_at"], got["declined"]) == ("shorter", 0, None, False)
    put = api.put(url, {"interval_months": 1, "note": "每月", "version": 0}, content_type="application/json")
    assert put.status_code == 200, put.content
    body = put.json()
    assert (body["interval_months"], body["version"], body["recorded_by_id"]) == (1, 1, world.rm.pk)
    assert api.get(f"/api/work/cadence/{silver.pk}").json()["due_basis"] == "chosen"
    stale = api.put(url, {"interval_months": 2, "version": 0}, content_type="application/json")
    assert stale.status_code == 409

    def loc_of(payload):
        resp = api.put(url, payload, content_type="application/json")
        assert resp.status_code == 422, resp.content
        return [d["loc"] for d in resp.json()["detail"]]

    assert ["body", "interval_months"] in loc_of({"interval_months": 25, "version": 1})
    assert ["body", "interval_days"] in loc_of({"interval_days": 400, "version": 1})
    assert ["body", "interval_months"] in loc_of({"interval_months": 0, "interval_days": 0, "version": 1})
    assert ["body", "declined"] in loc_of({"interval_months": 1, "declined": True, "version": 1})
    assert ["body", "note"] in loc_of({"interval_months": 1, "note": "长" * 201, "version": 1})
    assert any(loc[-1] == "version" for loc in loc_of({"interval_months": 1}))
    assert ChosenInterval.objects.get(customer=silver).version == 1  # none of the refused writes landed
    # out of scope answers 404 exactly as a missing customer, for reads and writes
    other = make_customer(world.rm2, tier=tiers["t_silver"])
    for path in (f"/api/work/cadence/{other.pk}/interval", "/api/work/cadence/999999999/interval"):
        assert api.get(path).status_code == 404
        assert api.put(path, {"interval_months": 1, "version": 0}, content_type="application/json").status_code == 404
    assert not ChosenInterval.objects.filter(customer=other).exists()
    assert api.delete(url + "?version=0").status_code == 409
    assert api.delete(url + "?version=1").status_code == 204
    assert api.get(url).json()["version"] == 0


# --- the pages -------------------------------------------------------------------------------------------------


def test_the_interaction_form_records_the_choice_with_the_contact_or_neither(world, subscribers, client):
    silver, _gold = subscribers
    _mode("shorter")
    client.force_login(world.rm)
    url = reverse("work:interaction_new") + f"?customer={silver.pk}"
    html = client.get(url).content.decode()
    assert "interaction-chosen-interval" in html and 'name="interval_months"' in html
    occurred = timezone.localtime() - timedelta(minutes=5)
    data = {
        "customer": silver.pk,
        "kind": "phone",
        "occurred_at": occurred.strftime("%Y-%m-%dT%H:%M"),
        "purpose": "电话回访",
        "next_step_kind": "none",
        "interval_version": "0",
    }
    before = Interaction.objects.count()
    bad = client.post(url, {**data, "interval_months": "2", "declined": "on"})
    assert bad.status_code == 200
    page = bad.content.decode()
    fieldset = page[page.index("interaction-chosen-interval") :]
    assert "客户不需要回访时不能同时填写回访周期" in fieldset[: fieldset.index("</fieldset>")]
    assert Interaction.objects.count() == before and not ChosenInterval.objects.exists()
    ok = client.post(url, {**data, "interval_months": "1"})
    assert ok.status_code == 302, ok.content.decode()[:2000]
    assert Interaction.objects.count() == before + 1
    assert ChosenInterval.objects.get(customer=silver).interval_months == 1
    row = ContactStatus.objects.get(customer=silver)
    assert (row.due_basis, row.next_due_on) == ("chosen", add_months(occurred.date(), 1))  # not the quarter's
    # without interval fields: the contact alone, the choice unchanged
    assert client.post(url, data).status_code == 302
    assert ChosenInterval.objects.get(customer=silver).version == 1


def test_the_360_slot_shows_the_choice_and_its_page_edits_and_withdraws_it(world, subscribers, client):
    silver, _gold = subscribers
    _mode("shorter")
    services.set_chosen_interval(world.rm, silver.pk, interval_months=1, note="每月回访", version=0)
    client.force_login(world.lead)
    detail = client.get(reverse("customers:detail", args=[silver.pk])).content.decode()
    slot = detail[detail.index('data-testid="slot-chosen-interval"') :]
    slot = slot[: slot.index("</p>")]
    assert "每 1 个月" in slot and world.rm.display_name in slot and 'data-testid="edit-chosen-interval"' in slot
    assert "按客户选择的回访周期（每 1 个月）" in detail
    url = reverse("work:chosen_interval", args=[silver.pk])
    page = client.get(url).content.decode()
    assert 'data-testid="chosen-interval-form"' in page and "每月回访" in page
    stale = client.post(url, {"interval_days": "20", "version": "0"})
    assert stale.status_code == 200 and "该记录已被他人修改" in stale.content.decode()
    resp = client.post(url, {"interval_days": "20", "note": "改为二十天", "version": "1"})
    assert resp.status_code == 302
    chosen = ChosenInterval.objects.get(customer=silver)
    assert (chosen.interval_months, chosen.interval_days, chosen.recorded_by) == (0, 20, world.lead)
    bad = client.post(url, {"version": "2"})
    assert bad.status_code == 200 and "请填写回访周期" in bad.content.decode()
    assert client.post(url, {"clear": "1", "version": "2"}).status_code == 302
    assert not ChosenInterval.objects.filter(customer=silver).exists()
    # a read-only overseer sees the slot without the edit link, and the page is not theirs
    client.force_login(world.risk)
    detail = client.get(reverse("customers:detail", args=[silver.pk])).content.decode()
    assert "slot-chosen-interval" in detail and "edit-chosen-interval" not in detail
    assert client.get(url).status_code == 404


# --- packs ---------------------------------------------------------------------------------------------------


def test_a_second_telecom_load_keeps_a_recorded_choice_and_the_bank_pack_adds_no_setting(world, subscribers):
    from rmdesk.packs import services as packs

    silver, _gold = subscribers
    packs.apply_pack("bank")
    assert not CadenceSetting.objects.exists()
    packs.apply_pack("telecom")
    assert CadenceSetting.mode() == CustomerIntervalMode.SHORTER
    services.set_chosen_interval(world.rm, silver.pk, interval_months=1, note="每月", version=0)
    recorded = ChosenInterval.objects.values().get(customer=silver)
    again = packs.apply_pack("telecom")
    assert not again.changed
    assert ChosenInterval.objects.values().get(customer=silver) == recorded
    assert CadenceSetting.mode() == CustomerIntervalMode.SHORTER


def test_a_merged_duplicate_hands_its_choice_to_the_surviving_archive(world, subscribers):
    silver, gold = subscribers
    _mode("shorter")
    services.set_chosen_interval(world.rm, silver.pk, interval_months=1, version=0)
    moved = services.absorb_merged_customer(world.rm, silver, gold)
    assert moved["chosen_interval"] == 1
    assert ChosenInterval.objects.get(customer=gold).interval_months == 1
    assert not ChosenInterval.objects.filter(customer=silver).exists()
