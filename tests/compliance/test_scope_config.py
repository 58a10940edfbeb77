"""Scope matrix of the compliance app's bank-wide configuration (SPEC §1, §8): conduct rule sets and
thresholds are not scoped records, so every route that takes their id is a role gate over one "bank"
sample — compliance and administrators edit (others: 404 on the pages, 403 on the API writes), every
signed-in user reads the rule sets through the API. The behaviour itself is tested in
test_rule_pages.py and test_fee_api.py."""

import pytest

from rmdesk.compliance.models import ConductRuleSet, Threshold
from tests.scope_matrix import USERS, Matrix, Sample, fresh

pytestmark = pytest.mark.django_db
EDITORS = {"compliance", "admin"}


# --- scope matrix: bank-wide configuration, so the gate is the role --------------------------------------


@pytest.fixture
def rule_set_samples(world, seeded):
    return [Sample("bank", readers=USERS, writers=EDITORS, rule_set=ConductRuleSet.objects.get(code="ten_bans"))]


def _editor_or(status):
    return lambda username, sample: 200 if username in EDITORS else status


rule_sets = Matrix("compliance", samples="rule_set_samples")
rule_sets.api("GET /api/compliance/rule-sets/{rule_set_id}", obj="rule_set")
rule_sets.listing("GET /api/compliance/rule-sets", obj="rule_set")
rule_sets.page("compliance:rule_set_edit", obj="rule_set", expect=_editor_or(404))
rule_sets.api(
    "PATCH /api/compliance/rule-sets/{rule_set_id}",
    obj="rule_set",
    body=lambda s: {"version": fresh(s.rule_set).version, "source": f"修订 {fresh(s.rule_set).version}"},
    expect=_editor_or(403),
)
test_rule_set_scope_matrix = rule_sets.test()


@pytest.fixture
def threshold_samples(world):
    return [Sample("bank", readers=USERS, writers=EDITORS, threshold=Threshold.objects.get(code="gift_limit"))]


thresholds = Matrix("compliance", samples="threshold_samples")
thresholds.page(
    "compliance:threshold_edit",
    obj="threshold",
    method="post",
    data=lambda s: {"value": "200", "version": fresh(s.threshold).version},
    expect=lambda username, sample: 302 if username in EDITORS else 404,
)
thresholds.api(
    "PATCH /api/compliance/thresholds/{threshold_id}",
    obj="threshold",
    body=lambda s: {"value": "200", "version": fresh(s.threshold).version},
    expect=lambda username, sample: 200 if username in EDITORS else 403,
)
test_threshold_scope_matrix = thresholds.test()


# --- fee entitlements of the tiers (issue 14): everyone reads them, compliance and administrators edit ---


@pytest.fixture
def entitlement_samples(world):
    from decimal import Decimal

    from rmdesk.compliance import services
    from rmdesk.customers.models import Tier

    gold = Tier.objects.get(rule_set__code="bank", code="gold")
    e = services.create_entitlement(
        world.compliance, tier_id=gold.pk, fee_kind="transfer", max_discount_percent=Decimal("20")
    )
    return [Sample("bank", readers=USERS, writers=EDITORS, entitlement=e)]


def _entitlement_body(s):
    e = fresh(s.entitlement)
    return {"tier_id": e.tier_id, "fee_kind": e.fee_kind, "max_discount_percent": "20", "version": e.version}


entitlements = Matrix("compliance", samples="entitlement_samples")
entitlements.api("GET /api/compliance/fee-entitlements/{entitlement_id}", obj="entitlement")
entitlements.listing("GET /api/compliance/fee-entitlements", obj="entitlement")
entitlements.page("compliance:entitlement_edit", obj="entitlement")
entitlements.page(
    "compliance:entitlement_edit",
    obj="entitlement",
    method="post",
    data=lambda s: {k.replace("tier_id", "tier"): v for k, v in _entitlement_body(s).items()},
    expect=lambda username, sample: 302 if username in EDITORS else 403,
)
entitlements.api(
    "PUT /api/compliance/fee-entitlements/{entitlement_id}",
    obj="entitlement",
    body=_entitlement_body,
    expect=_editor_or(403),
)
# deleting with a version nobody read: editors reach the version check (409), others are refused (403)
entitlements.api(
    "DELETE /api/compliance/fee-entitlements/{entitlement_id}",
    obj="entitlement",
    query="?version=0",
    expect=lambda username, sample: 409 if username in EDITORS else 403,
)
entitlements.page(
    "compliance:entitlement_delete",
    obj="entitlement",
    method="post",
    data={"version": "0"},
    expect=lambda username, sample: 409 if username in EDITORS else 403,
)
test_entitlement_scope_matrix = entitlements.test()
