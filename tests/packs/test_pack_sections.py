"""The pack sections of the kernel (groups, approval chains and steps), assessment (indicators, scorecards and
their items) and compliance (thresholds, pledge templates) (issue 19; docs/decisions.md 51): each loads on an
empty database, a second load changes nothing, a changed pack updates the rows it owns and leaves the rows
users changed or entered, and a record set the apps' own rules refuse (weights, step numbering, a scorecard in
use, a signed pledge text) refuses the whole load with the record's path."""

import shutil
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.forms.models import model_to_dict
from django.utils import timezone

from rmdesk.compliance.models import PledgeTemplate, SigningRound, Threshold
from rmdesk.core.models import ApprovalChain, ApprovalStep
from rmdesk.core.packs import registry
from rmdesk.packs import services
from rmdesk.packs.models import PackInUse, PackLoad, PackRecord
from rmdesk.performance import services as perf
from rmdesk.performance.models import IndicatorSetting, Scorecard
from rmdesk.work import services as work
from rmdesk.work.models import Interaction, VisitWorkflow

pytestmark = pytest.mark.django_db

SECTIONS = (
    "groups",
    "approval_chains",
    "approval_steps",
    "indicators",
    "scorecards",
    "scorecard_items",
    "thresholds",
    "pledge_templates",
    "visit_workflow",
)
VIP = "VIP 客户经理考核（电信）"
EXTRA = """
[[groups]]
name = "贷审会"

[[approval_chains]]
kind = "service.vip_benefit"
name = "VIP 俱乐部权益审批"
priority = 50
is_active = true

[[approval_steps]]
chain = ["service.vip_benefit", "VIP 俱乐部权益审批"]
order = 1
name = "团队长审核"
decider = "team_lead"
due_hours = 8

[[approval_steps]]
chain = ["service.vip_benefit", "VIP 俱乐部权益审批"]
order = 2
name = "贷审会审定"
decider = "any"
group = "贷审会"
due_hours = 16

[[thresholds]]
code = "vip_gift_limit"
name = "VIP 客户礼品限额(元)"
value = "300"
description = "钻、金卡客户生日关怀礼品的估值上限"
"""


def rows(section: str) -> list[str]:
    pm = registry()[section]
    return sorted(repr(sorted(model_to_dict(o).items())) for o in pm.model._default_manager.all())


def snapshot() -> dict:
    return {section: rows(section) for section in SECTIONS}


@pytest.fixture
def pack_dir(tmp_path, monkeypatch):
    """A copy of the shipped packs, the telecom one with a group, a two-step chain and a threshold added."""
    target = tmp_path / "packs"
    shutil.copytree(services.DATA_DIR, target)
    monkeypatch.setattr(services, "DATA_DIR", target)
    services.words_of.cache_clear()
    services._defaults.cache_clear()
    telecom = target / "telecom.toml"
    telecom.write_text(telecom.read_text() + EXTRA)
    return target


def edit(pack_dir, name: str, *changes) -> None:
    path = pack_dir / f"{name}.toml"
    text = path.read_text()
    for old, new in changes:
        assert old in text, old
        text = text.replace(old, new, 1)
    path.write_text(text)


def test_the_sections_are_declared_kernel_first():
    names = list(registry())
    assert set(SECTIONS) <= set(names)
    assert names[:3] == ["groups", "approval_chains", "approval_steps"]  # core is the first app
    assert names.index("indicators") < names.index("scorecards") < names.index("scorecard_items")


def test_every_section_loads_on_an_empty_database_and_a_second_load_changes_nothing(pack_dir):
    first = services.apply_pack("telecom")
    assert not first.kept and not first.deleted_by_users, first.as_dict()
    chain = ApprovalChain.objects.get(kind="service.vip_benefit")
    steps = list(chain.steps.order_by("order").values_list("order", "name", "decider", "group__name"))
    assert steps == [(1, "团队长审核", "team_lead", None), (2, "贷审会审定", "any", "贷审会")]
    assert Threshold.objects.get(code="vip_gift_limit").value == Decimal("300")
    card = Scorecard.objects.get(name=VIP, year=2026, org_path="")
    assert card.unit is None and card.created_by is None and card.period_type == "quarterly"
    weights = dict(card.items.values_list("indicator__code", "weight"))
    assert weights == {
        "service.key_churn": Decimal("0.3"),
        "work.visit_completion": Decimal("0.2"),
        "service.satisfaction": Decimal("0.2"),
        "contracts.collection_rate": Decimal("0.2"),
        "contracts.bad_debt_rate": Decimal("0.1"),
        "service.valid_complaints": Decimal("0"),
    }
    assert card.items.get(order=5).kind == "deduction" and card.items.get(order=5).points == 2
    assert IndicatorSetting.objects.get(code="contracts.bad_debt_rate").direction == "lower"
    pledge = PledgeTemplate.objects.get(kind="other", version=1)
    assert pledge.title == "VIP 客户经理服务承诺书" and "3个工作日内给予回复" in pledge.body
    assert pledge.is_public and pledge.created_by is None
    labels = {label.split(" ")[0] for label in first.created}
    assert {
        "auth.Group",
        "core.ApprovalChain",
        "core.ApprovalStep",
        "performance.IndicatorSetting",
        "performance.Scorecard",
        "performance.ScorecardItem",
        "compliance.Threshold",
        "compliance.PledgeTemplate",
    } <= labels
    before, records, loads = snapshot(), list(PackRecord.objects.order_by("id").values()), PackLoad.objects.count()
    words = list(PackInUse.objects.values())
    second = services.apply_pack("telecom")
    assert not second.changed and not second.kept
    assert snapshot() == before
    assert list(PackRecord.objects.order_by("id").values()) == records
    assert PackLoad.objects.count() == loads and list(PackInUse.objects.values()) == words


def test_the_tobacco_pack_adopts_the_seeded_index_and_nomination_chain_without_changing_them():
    before = snapshot()
    result = services.apply_pack("tobacco")
    assert 'core.ApprovalChain ["sales.nomination", "促销推选（市场经理复核、品牌经理选定）"]' in result.adopted
    assert 'performance.Scorecard ["客户经理服务质量指数（烟草）", 2026, ""]' in result.adopted
    assert not [label for label in result.created + result.updated if label.startswith(("core.", "performance."))]
    # the bank pack's own chains (its defaults since bank 1.2.0) are retired, untouched otherwise
    bank_chains = {
        ("compliance.special_service", "上门服务审批(分管行长)"),
        ("credit.application", "授信审批（审查→审核→审批）"),
    }
    assert {label for label in result.retired if label.startswith("core.")} == {
        f'core.ApprovalChain ["{kind}", "{name}"]' for kind, name in bank_chains
    }
    assert set(ApprovalChain.objects.filter(is_active=False).values_list("kind", "name")) == bank_chains
    ApprovalChain.objects.filter(is_active=False).update(is_active=True)
    after = snapshot()
    mine = ("pledge_templates", "visit_workflow")  # the pack's own rows; the rest it adopts as they were
    assert {s: after[s] for s in SECTIONS if s not in mine} == {s: before[s] for s in SECTIONS if s not in mine}
    assert PledgeTemplate.objects.get(kind="other", version=1).title == "零售户服务承诺书"


def test_a_changed_pack_updates_its_rows_and_keeps_what_users_changed_or_entered(pack_dir, world):
    services.apply_pack("telecom")
    card = Scorecard.objects.get(name=VIP, year=2026, org_path="")
    users_item = card.items.get(order=3)
    users_item.x_low = Decimal("85")  # an administrator's own lower bound for the collection rate
    users_item.save()
    own = perf.save_scorecard(  # a branch's own scorecard, entered by its lead
        world.lead,
        name=VIP,
        year=2026,
        period_type="quarterly",
        unit_id=world.t1.pk,
        items=[
            {
                "indicator_id": IndicatorSetting.objects.get(code="service.key_churn").pk,
                "weight": "1",
                "x_low": "0",
                "x_high": "5",
            }
        ],
    )
    own_before = (model_to_dict(own), list(own.items.values()))
    edit(
        pack_dir,
        "telecom",
        ('version = "1.1.0"', 'version = "1.2.0"'),
        ('weight = "0.3"', 'weight = "0.25"'),  # churn 0.3 -> 0.25 …
        (
            'indicator = "contracts.bad_debt_rate"\nweight = "0.1"',
            'indicator = "contracts.bad_debt_rate"\nweight = "0.15"',
        ),
        ('x_low = "80"', 'x_low = "75"'),  # the item the administrator changed
        ("due_hours = 16", "due_hours = 24"),
        ('title = "VIP 客户经理服务承诺书"', 'title = "VIP 客户经理服务承诺"'),
        ('value = "300"', 'value = "500"'),
    )

    result = services.apply_pack("telecom")

    weights = dict(card.items.values_list("order", "weight"))
    assert (weights[0], weights[4]) == (Decimal("0.25"), Decimal("0.15"))
    users_item.refresh_from_db()
    assert users_item.x_low == Decimal("85")  # theirs
    assert f'performance.ScorecardItem [["{VIP}", 2026, ""], 3]' in result.kept
    assert ApprovalStep.objects.get(chain__kind="service.vip_benefit", order=2).due_hours == 24
    assert PledgeTemplate.objects.get(kind="other", version=1).title == "VIP 客户经理服务承诺"
    assert Threshold.objects.get(code="vip_gift_limit").value == Decimal("500")
    own.refresh_from_db()
    assert (model_to_dict(own), list(own.items.values())) == own_before  # the branch's card is not the pack's
    assert Group.objects.filter(name="贷审会").count() == 1


def _refused(pack_dir, path_prefix: str, *changes) -> dict:
    before, records = snapshot(), PackRecord.objects.count()
    edit(pack_dir, "telecom", *changes)
    with pytest.raises(services.PackInvalid) as exc:
        services.apply_pack("telecom")
    errors = exc.value.message_dict
    assert any(key.startswith(path_prefix) for key in errors), errors
    assert snapshot() == before and PackRecord.objects.count() == records
    return errors


def test_weights_that_do_not_sum_to_one_refuse_the_load(pack_dir):
    errors = _refused(pack_dir, "scorecard_items", ('weight = "0.3"', 'weight = "0.35"'))
    assert errors[f"scorecard_items.{VIP}（2026）"] == ["权重之和应为 1（当前为 1.05）。"]
    assert not Scorecard.objects.filter(name=VIP).exists()  # nothing of the pack was written


def test_a_linear_item_needs_x_low_below_x_high(pack_dir):
    errors = _refused(pack_dir, "scorecard_items", ('x_low = "80"\nx_high = "100"', 'x_low = "100"\nx_high = "80"'))
    assert any("上限大于下限" in m for m in errors[f"scorecard_items.{VIP}（2026）"])


def test_a_chain_whose_steps_skip_a_number_refuses_the_load(pack_dir):
    errors = _refused(pack_dir, "approval_steps", ('order = 2\nname = "贷审会审定"', 'order = 3\nname = "贷审会审定"'))
    assert "从 1 起连续编号" in errors["approval_steps.service.vip_benefit"][0]


def test_a_reference_to_a_missing_group_or_indicator_is_refused_with_its_path(pack_dir):
    errors = _refused(
        pack_dir,
        "approval_steps",
        ('group = "贷审会"', 'group = "风险委员会"'),
        ('indicator = "contracts.bad_debt_rate"\nweight', 'indicator = "contracts.nonesuch"\nweight'),
    )
    assert "approval_steps[1].group" in errors and "scorecard_items[4].indicator" in errors


def test_a_scorecard_in_use_is_not_changed_by_a_pack_release(pack_dir, world):
    services.apply_pack("telecom")
    card = Scorecard.objects.get(name=VIP, year=2026, org_path="")
    perf.compute_run(world.lead, card.pk, unit_id=world.t1.pk, year=2026, number=1)
    edit(pack_dir, "telecom", ('weight = "0.3"', 'weight = "0.25"'))
    edit(
        pack_dir,
        "telecom",
        (
            'indicator = "contracts.bad_debt_rate"\nweight = "0.1"',
            'indicator = "contracts.bad_debt_rate"\nweight = "0.15"',
        ),
    )
    errors = _refused(pack_dir, "scorecard_items")
    assert "另建下一年度" in " ".join(errors[f"scorecard_items.{VIP}（2026）"])
    assert card.items.get(order=0).weight == Decimal("0.3")


def test_a_signed_pledge_version_is_not_changed_by_a_pack_release(pack_dir, world):
    services.apply_pack("telecom")
    template = PledgeTemplate.objects.get(kind="other", version=1)
    SigningRound.objects.create(
        name="2026 年服务承诺",
        template=template,
        unit=world.s1,
        org_path=world.s1.path,
        deadline=date(2026, 12, 31),
        created_by=world.manager,
    )
    errors = _refused(pack_dir, "pledge_templates", ('title = "VIP 客户经理服务承诺书"', 'title = "新承诺书"'))
    assert errors["pledge_templates.other v1"] == ["该版本已用于签署，不能修改；请在方案中新增一个版本。"]


def test_a_new_pledge_version_is_added_beside_the_signed_one(pack_dir):
    services.apply_pack("telecom")
    text = (pack_dir / "telecom.toml").read_text()
    block = text[text.index("[[pledge_templates]]") :]
    block = block.replace("version = 1", "version = 2", 1).replace(
        "VIP 客户经理服务承诺书", "VIP 客户经理服务承诺书（2027）", 1
    )
    (pack_dir / "telecom.toml").write_text(text + "\n" + block)
    result = services.apply_pack("telecom")
    assert result.created == ['compliance.PledgeTemplate ["other", 2]']
    assert list(PledgeTemplate.objects.filter(kind="other").order_by("version").values_list("version", flat=True)) == [
        1,
        2,
    ]


def _now():
    return timezone.localtime().replace(second=0, microsecond=0) - timedelta(minutes=5)


def test_the_visit_workflow_follows_the_industry(world, make_customer):
    outlet = make_customer(world.rm, name="东街烟酒店")
    with pytest.raises(ValidationError) as exc:  # the bank's rule before any pack: two staff, approval in advance
        work.record_interaction(world.rm, outlet.pk, kind="visit", occurred_at=_now(), purpose="到店拜访")
    assert {"companions", "special_service_id"} <= set(exc.value.message_dict)
    assert not Interaction.objects.exists()
    services.apply_pack("tobacco")
    flow = VisitWorkflow.current()
    assert (flow.door_to_door_staff, flow.door_to_door_needs_approval) == (1, False)
    visit = work.record_interaction(world.rm, outlet.pk, kind="visit", occurred_at=_now(), purpose="到店拜访")
    assert visit.door_to_door and not visit.companions.exists()  # alone, no special-service request


def test_a_changed_visit_workflow_applies_and_is_validated(pack_dir, world, make_customer):
    services.apply_pack("telecom")
    edit(
        pack_dir,
        "telecom",
        ('version = "1.1.0"', 'version = "1.2.0"'),
        ("door_to_door_staff = 1", "door_to_door_staff = 3"),
    )
    assert services.apply_pack("telecom").updated == ['work.VisitWorkflow ["default"]']
    home = make_customer(world.rm)
    with pytest.raises(ValidationError) as exc:
        work.record_interaction(
            world.rm, home.pk, kind="visit", occurred_at=_now(), purpose="入户服务", companions=[world.rm_b]
        )
    assert exc.value.message_dict == {"companions": ["上门服务须有 3 名员工在场，请填写陪同人员。"]}
    errors = _refused(pack_dir, "visit_workflow", ("door_to_door_staff = 3", "door_to_door_staff = 0"))
    assert "visit_workflow[0].door_to_door_staff" in errors
