"""Industry packs (issue 19; docs/decisions.md 51): every pack loads, a second load changes nothing, a changed
pack updates only what it owns and users left alone, an invalid pack writes nothing, and only administrators
see and load packs."""

import shutil

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.forms.models import model_to_dict
from django.urls import reverse

from rmdesk.core.models import AuditEvent
from rmdesk.core.packs import registry
from rmdesk.customers.models import Tier, TierRuleSet
from rmdesk.packs import services
from rmdesk.packs.models import PackLoad, PackRecord
from rmdesk.service.models import ChurnTarget
from rmdesk.work.models import CadenceRule, JournalTemplate

PACKS = services.available()


def configuration() -> dict:
    """Every row of every model a pack may configure, as plain values."""
    return {
        section: sorted(repr(sorted(model_to_dict(o).items())) for o in pm.model._default_manager.all())
        for section, pm in registry().items()
    }


@pytest.fixture
def pack_dir(tmp_path, monkeypatch):
    """A copy of the shipped packs that a test may change, as a newer release would."""
    target = tmp_path / "packs"
    shutil.copytree(services.DATA_DIR, target)
    monkeypatch.setattr(services, "DATA_DIR", target)
    services.words_of.cache_clear()
    services._defaults.cache_clear()
    return target


def test_the_packs_issue_19_names_are_shipped():
    assert {"bank", "telecom", "tobacco"} <= set(PACKS)


@pytest.mark.parametrize("name", PACKS)
def test_each_pack_loads_and_a_second_load_changes_nothing(db, name):
    first = services.apply_pack(name)
    assert first.changed and not first.kept, first.as_dict()
    assert PackRecord.objects.filter(pack=name).count() == len(first.created) + len(first.adopted) + len(first.updated)
    before, loads, events = configuration(), PackLoad.objects.count(), AuditEvent.objects.count()
    records = list(PackRecord.objects.order_by("id").values())
    second = services.apply_pack(name)
    assert not second.changed and not second.kept and second.unchanged == services.read_pack(name).count()
    assert configuration() == before
    assert list(PackRecord.objects.order_by("id").values()) == records
    assert (PackLoad.objects.count(), AuditEvent.objects.count()) == (loads, events)


def test_bank_pack_adopts_the_seeded_defaults_without_changing_them(db):
    before = configuration()
    result = services.apply_pack("bank")
    # the one change: the tier rule sets' monthly daily-average rule, added after the seed (issue 19)
    assert not result.created and result.adopted
    assert result.updated == ['customers.TierRuleSet ["bank"]', 'customers.TierRuleSet ["bank_corporate"]']
    after = configuration()
    assert {k: v for k, v in after.items() if k != "tier_rule_sets"} == {
        k: v for k, v in before.items() if k != "tier_rule_sets"
    }
    assert set(TierRuleSet.objects.filter(measure="monthly_avg").values_list("code", flat=True)) == {
        "bank",
        "bank_corporate",
    }


def test_telecom_pack_sets_tiers_cadence_and_churn_targets(db):
    services.apply_pack("telecom")
    vip = TierRuleSet.objects.get(code="telecom_vip")
    assert vip.is_active and vip.metric == "monthly_spend"
    assert not TierRuleSet.objects.get(code="bank").is_active  # one set in use per customer kind
    assert list(Tier.objects.filter(rule_set=vip).order_by("-rank").values_list("name", flat=True)) == [
        "钻石卡",
        "金卡",
        "银卡",
        "普通用户",
    ]
    months = dict(CadenceRule.objects.filter(rule_set_code="telecom_vip").values_list("tier_code", "interval_months"))
    assert months == {"diamond": 1, "gold": 1, "silver": 3}
    owned = [
        int(pk)
        for pk in PackRecord.objects.filter(model_label="service.ChurnTarget").values_list("object_id", flat=True)
    ]
    targets = {t.tier.code if t.tier else None: str(t.max_rate) for t in ChurnTarget.objects.filter(pk__in=owned)}
    assert targets == {None: "3.50", "diamond": "2.00", "gold": "2.00"}
    assert services.words_of("telecom").customer == "用户"


def test_tobacco_pack_monthly_report_is_due_on_the_5th_moved_past_holidays(db):
    services.apply_pack("tobacco")
    report = JournalTemplate.objects.get(code="monthly_sales_analysis")
    assert (report.due_anchor, report.due_day, report.move_to_working_day, report.required) == (
        "next_month_day",
        5,
        True,
        True,
    )
    assert CadenceRule.objects.get(rule_set_code="tobacco_outlet", tier_code="outlet_core").interval_days == 7


def test_a_changed_pack_updates_what_it_owns_and_keeps_what_users_changed(db, pack_dir):
    services.apply_pack("telecom")
    edited = CadenceRule.objects.get(rule_set_code="telecom_vip", tier_code="diamond")
    edited.soon_days = 9  # an administrator's own choice
    edited.save()
    text = (pack_dir / "telecom.toml").read_text()
    text = text.replace('version = "1.1.0"', 'version = "1.2.0"', 1)
    text = text.replace('name = "钻石卡：每月至少沟通一次"', 'name = "钻石卡：每月沟通"', 1)
    text = text.replace('name = "金卡：每月至少沟通一次"', 'name = "金卡：每月沟通"', 1)
    (pack_dir / "telecom.toml").write_text(text)

    result = services.apply_pack("telecom")

    edited.refresh_from_db()
    assert (edited.name, edited.soon_days) == ("钻石卡：每月至少沟通一次", 9)  # the user's row is theirs now
    assert CadenceRule.objects.get(rule_set_code="telecom_vip", tier_code="gold").name == "金卡：每月沟通"
    assert result.kept == ['work.CadenceRule ["telecom_vip", "diamond"]']
    assert result.updated == ['work.CadenceRule ["telecom_vip", "gold"]']
    load = PackLoad.objects.get(pack="telecom", version="1.2.0")
    assert (load.updated, load.kept) == (1, 1)
    assert AuditEvent.objects.filter(action="packs.load", object_id=str(load.pk)).exists()


def test_a_row_users_deleted_is_not_recreated(db):
    services.apply_pack("telecom")
    CadenceRule.objects.filter(rule_set_code="telecom_vip", tier_code="silver").delete()
    result = services.apply_pack("telecom")
    assert result.deleted_by_users == ['work.CadenceRule ["telecom_vip", "silver"]']
    assert not CadenceRule.objects.filter(rule_set_code="telecom_vip", tier_code="silver").exists()


def test_a_row_users_entered_before_the_pack_is_kept(db):
    TierRuleSet.objects.create(code="telecom_vip", name="我行自定的分级", kind="individual", metric="monthly_spend")
    result = services.apply_pack("telecom")
    assert 'customers.TierRuleSet ["telecom_vip"]' in result.kept
    assert TierRuleSet.objects.get(code="telecom_vip").name == "我行自定的分级"


@pytest.mark.parametrize(
    "change, path",
    [
        (("interval_months = 3", 'interval_months = "often"'), "cadence_rules[2].interval_months"),
        (('ack_unit = "work_days"', 'ack_unit = "fortnights"'), "sla_policies[0].ack_unit"),
        (('tier = ["telecom_vip", "gold"]', 'tier = ["telecom_vip", "platinum"]'), "churn_targets[2].tier"),
        (("soon_days = 10", 'soon_days = 10\ncolour = "red"'), "cadence_rules[2].colour"),
        (("[[tiers]]", "[[tierz]]"), "tierz"),
        (('version = "1.1.0"', 'version = "latest"'), "pack.version"),
    ],
)
def test_an_invalid_pack_is_refused_with_the_record_path_and_writes_nothing(db, pack_dir, change, path):
    text = (pack_dir / "telecom.toml").read_text()
    assert change[0] in text
    (pack_dir / "telecom.toml").write_text(text.replace(change[0], change[1], 1))
    before = configuration()
    with pytest.raises(services.PackInvalid) as exc:
        services.apply_pack("telecom")
    assert path in exc.value.message_dict, exc.value.message_dict
    assert configuration() == before
    assert not PackRecord.objects.exists() and not PackLoad.objects.exists()


def test_check_only_validates_and_keeps_nothing(db):
    before = configuration()
    result = services.apply_pack("tobacco", dry_run=True)
    assert result.created
    assert configuration() == before and not PackRecord.objects.exists()


def test_load_pack_command(db, capsys):
    call_command("load_pack", "telecom")
    call_command("load_pack", "telecom")
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("pack telecom 1.1.0: 24 created") or "created" in out[0]
    assert out[1].startswith("pack telecom 1.1.0: 0 created, 0 updated, 0 adopted")
    with pytest.raises(CommandError, match="没有名为"):
        call_command("load_pack", "nonesuch")


def test_only_administrators_see_and_load_packs(client, world):
    for user in (world.rm, world.lead, world.manager, world.compliance, world.risk, world.assistant, world.referrer):
        client.force_login(user)
        assert client.get(reverse("packs:list")).status_code == 404
        assert client.post(reverse("packs:load", args=["telecom"])).status_code == 404
    assert not PackLoad.objects.exists()
    client.force_login(world.admin)
    page = client.get(reverse("packs:list"))
    assert page.status_code == 200
    assert "电信 VIP 客户服务" in page.text and "烟草零售户服务" in page.text
    response = client.post(reverse("packs:load", args=["telecom"]), follow=True)
    assert "已装载" in response.text
    load = PackLoad.objects.get(pack="telecom")
    assert load.loaded_by == world.admin
    assert "telecom_vip" in str(load.details)
    again = client.post(reverse("packs:load", args=["telecom"]), follow=True)
    assert "已是最新" in again.text and PackLoad.objects.count() == 1
    assert client.post(reverse("packs:load", args=["nonesuch"])).status_code == 404


def test_another_industry_retires_the_untouched_bank_defaults_and_keeps_changed_ones(db):
    changed = JournalTemplate.objects.get(code="weekly_summary")
    changed.name = "周工作总结（本行格式）"
    changed.save()
    result = services.apply_pack("telecom")
    assert 'work.JournalTemplate ["weekly_plan"]' in result.retired
    assert not JournalTemplate.objects.get(code="weekly_plan").is_active  # a bank RM's plan, not a telecom one's
    assert JournalTemplate.objects.get(code="weekly_summary").is_active  # users changed it: theirs
    assert 'work.JournalTemplate ["weekly_summary"]' not in result.retired
    assert JournalTemplate.objects.get(code="vip_monthly_plan").is_active
    templates = [label for label in result.retired if label.startswith("work.JournalTemplate")]
    assert templates == sorted(templates)  # a deterministic report
