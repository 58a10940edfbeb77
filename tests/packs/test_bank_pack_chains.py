"""The bank pack lists its approval chains and pledge templates like the other packs (issue 19; bank pack 1.2.0):
exactly the rows the credit and compliance migrations seed, so loading it on a new database or on the running
demo bank changes, duplicates and adds nothing; as the defaults, another industry's pack retires the untouched
chains it does not list and keeps the ones an administrator changed."""

import importlib

import pytest
from django.apps import apps
from django.forms.models import model_to_dict

from rmdesk.compliance.models import PledgeTemplate, SigningRound
from rmdesk.core import approvals
from rmdesk.core.models import ApprovalChain, ApprovalRequest, ApprovalStep
from rmdesk.packs import services
from rmdesk.packs.models import PackRecord

pytestmark = pytest.mark.django_db

BANK_CHAINS = {
    ("compliance.special_service", "上门服务审批(分管行长)"),
    ("credit.application", "授信审批（审查→审核→审批）"),
}


def _rows(model) -> list[str]:
    return sorted(repr(sorted(model_to_dict(o).items())) for o in model._default_manager.all())


def _snapshot() -> dict:
    return {m.__name__: _rows(m) for m in (ApprovalChain, ApprovalStep, PledgeTemplate)}


def test_the_bank_pack_lists_exactly_the_seeded_chains_steps_and_pledges():
    pack = services.read_pack("bank")
    assert pack.header.version == "1.3.0"
    listed = {(c["kind"], c["name"]) for c in pack.sections["approval_chains"]}
    assert listed == BANK_CHAINS
    seeded_steps = {
        (s.chain.kind, s.chain.name, s.order, s.name, s.decider, s.levels_up, s.due_hours)
        for s in ApprovalStep.objects.filter(chain__kind__in=[k for k, _ in BANK_CHAINS]).select_related("chain")
    }
    assert {
        (*s["chain"], s["order"], s["name"], s["decider"], s["levels_up"], s["due_hours"])
        for s in pack.sections["approval_steps"]
    } == seeded_steps
    seeded = {
        (t.kind, t.version): (t.title, t.body, t.signature_block, t.source, t.is_public)
        for t in PledgeTemplate.objects.all()
    }
    assert {
        (t["kind"], t["version"]): (t["title"], t["body"], t["signature_block"], t["source"], t["is_public"])
        for t in pack.sections["pledge_templates"]
    } == seeded


def test_loading_the_bank_pack_adopts_its_chains_and_pledges_unchanged():
    before = _snapshot()
    result = services.apply_pack("bank")
    mine = [
        label
        for label in result.created + result.updated + result.kept
        if label.startswith(("core.", "compliance.Pledge"))
    ]
    assert mine == []
    assert {label for label in result.adopted if label.startswith("core.ApprovalChain")} == {
        f'core.ApprovalChain ["{kind}", "{name}"]' for kind, name in BANK_CHAINS
    }
    assert len([label for label in result.adopted if label.startswith("compliance.PledgeTemplate")]) == 3
    assert _snapshot() == before
    assert PackRecord.objects.filter(pack="bank", model_label="core.ApprovalStep").count() == 4


@pytest.fixture
def demo_bank(make_demo_ctx):
    """The demo bank at a very small scale, every app's builder as seed_demo runs them (signing rounds opened on
    the pledge templates, credit applications in review on the chain)."""
    ctx = make_demo_ctx(scale=0.02)
    for config in apps.get_app_configs():
        if config.name.startswith("rmdesk."):
            try:
                module = importlib.import_module(f"{config.name}.demo")
            except ModuleNotFoundError as exc:
                if exc.name != f"{config.name}.demo":
                    raise
                continue
            module.build(ctx)
    return ctx


def test_loading_the_bank_pack_on_the_demo_bank_changes_no_chain_or_pledge(demo_bank):
    assert SigningRound.objects.exists()
    before = _snapshot()
    requests = sorted(ApprovalRequest.objects.values_list("pk", "chain_id", "step_order", "status"))
    rounds = sorted(SigningRound.objects.values_list("pk", "template_id"))
    first = services.apply_pack("bank")
    assert not [
        label for label in first.created + first.updated + first.kept if label.startswith(("core.", "compliance."))
    ]
    assert _snapshot() == before  # nothing duplicated, nothing altered
    assert sorted(ApprovalRequest.objects.values_list("pk", "chain_id", "step_order", "status")) == requests
    assert sorted(SigningRound.objects.values_list("pk", "template_id")) == rounds
    second = services.apply_pack("bank")
    assert not second.changed and _snapshot() == before


def test_another_industry_retires_the_bank_chains_nobody_changed_and_keeps_a_changed_one():
    credit = ApprovalChain.objects.get(kind="credit.application")
    credit.priority = 50  # an administrator's own setting: the chain is theirs now
    credit.save()
    result = services.apply_pack("telecom")
    assert 'core.ApprovalChain ["compliance.special_service", "上门服务审批(分管行长)"]' in result.retired
    assert not ApprovalChain.objects.get(kind="compliance.special_service").is_active
    assert approvals.choose_chain("compliance.special_service") is None  # the one-step supervisor approval
    assert 'core.ApprovalChain ["credit.application", "授信审批（审查→审核→审批）"]' not in result.retired
    assert approvals.choose_chain("credit.application") == credit
    assert ApprovalChain.objects.filter(kind="customers.assign", is_active=True).exists()  # universal: not listed
    assert ApprovalStep.objects.filter(chain__kind="compliance.special_service").count() == 1  # steps left as they were
