"""Scope matrix of the sales app (SPEC §1, §4): every role against opportunities, campaigns, quotas, list
entries, tasks, referrals, hand-outs, nominations, segments and customers' hints on both sides of the org
tree, for every page and API operation that takes their id (tests/scope_matrix.py). Out of scope is 404;
read-only roles get 403 on writes; the flows' own rules (only the receiving RM decides a referral, only
the assignee reports a task) answer 403 inside the scope."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from rmdesk.customers.models import Tier
from rmdesk.sales import services
from rmdesk.sales.models import Material, Quota
from rmdesk.sales.scope import (
    visible_campaigns,
    visible_handouts,
    visible_nominations,
    visible_opportunities,
    visible_quotas,
    visible_referrals,
    visible_targets,
    visible_tasks,
)
from tests.scope_matrix import USERS, Matrix, Sample, fresh, role_gate

pytestmark = pytest.mark.django_db

S1_READ = {"manager", "risk", "compliance"}
T1_CUSTOMER = ({"rm", "lead", "manager", "risk", "compliance", "assistant"}, {"rm", "lead", "manager"})
T2_CUSTOMER = ({"rm2", "lead2"}, {"rm2", "lead2"})
FAMILIES = {
    "customer": {"t1": T1_CUSTOMER, "t2": T2_CUSTOMER},
    # a campaign: the launching unit's subtree, plus whoever holds a quota or list entries in it
    "campaign": {"t1": (S1_READ | {"rm", "lead", "assistant"}, set()), "t2": ({"rm2", "lead2"}, set())},
    # the root quota of the launching unit: its managers
    "quota": {"t1": (S1_READ, {"manager"}), "t2": ({"lead2"}, {"lead2"})},
    # a referral: also its referrer, who may withdraw nothing but is named on it (personal scope)
    "referral": {
        "t1": (T1_CUSTOMER[0] | {"referrer"}, T1_CUSTOMER[1] | {"referrer"}),
        "t2": ({"rm2", "lead2", "referrer"}, T2_CUSTOMER[1] | {"referrer"}),
    },
    "segment": {"t1": (S1_READ, {"manager"}), "t2": ({"lead2"}, {"lead2"})},
}
DECIDERS = {"rm", "rm2"}


@pytest.fixture
def sales_world(world, make_customer, products):
    today = timezone.localdate()
    platinum = Tier.objects.get(rule_set__code="bank", code="platinum")
    material = Material.objects.create(name="台历", stock=100)
    out = {}
    for key, rm, lead, launcher in (
        ("t1", world.rm, world.lead, world.manager),
        ("t2", world.rm2, world.lead2, world.lead2),
    ):
        customer = make_customer(rm, aum=Decimal("900000"), tier=platinum)
        opp = services.create_opportunity(rm, customer_id=customer.pk, product_id=products["DEP-FIX1Y"].pk)
        segment = services.save_segment(launcher, name=f"客群{key}", criteria={"aum_min": "500000"})
        campaign = services.launch_campaign(
            launcher,
            name=f"活动{key}",
            segment_id=segment.pk,
            starts_on=today,
            ends_on=today + timedelta(days=30),
            product_ids=[products["DEP-FIX1Y"].pk],
            target_count=10,
            target_amount=Decimal("100000"),
        )
        task = services.assign_task(
            lead, assignee_id=rm.pk, title="拓展", due_on=today + timedelta(days=9), target_count=3
        )
        referral = services.refer_customer(world.referrer, customer_no=customer.customer_no, need="理财咨询")
        handout = services.hand_out(rm, material_id=material.pk, customer_id=customer.pk, quantity=1)
        nomination = services.nominate(
            rm, customer_id=customer.pk, material_id=material.pk, quantity=1, reason="综合测评优秀"
        )
        out[key] = {
            "customer": customer,
            "opp": opp,
            "segment": segment,
            "campaign": campaign,
            "quota": Quota.objects.get(campaign=campaign, parent=None),
            "target": campaign.targets.get(),
            "task": task,
            "referral": referral,
            "handout": handout,
            "nomination": nomination,
        }
    return out


def _samples(family):
    @pytest.fixture
    def fixture(sales_world):
        return [Sample(k, *FAMILIES[family][k], **sales_world[k]) for k in ("t1", "t2")]

    return fixture


customer_samples = _samples("customer")
campaign_samples = _samples("campaign")
quota_samples = _samples("quota")
referral_samples = _samples("referral")
segment_samples = _samples("segment")

# --- records on one customer: opportunities, list entries, tasks, hand-outs, nominations, hints ----------------

records = Matrix("sales", samples="customer_samples")
records.queryset(visible_opportunities, obj="opp")
records.queryset(visible_targets, obj="target")
records.queryset(visible_tasks, obj="task")
records.queryset(visible_handouts, obj="handout")
records.listing("GET /api/sales/opportunities", obj="opp")
records.listing(
    "sales:opportunity_board", obj="opp", contains=lambda html, o: f'href="/sales/opportunities/{o.pk}/"' in html
)
records.page("sales:opportunity_detail", obj="opp")
records.api("GET /api/sales/opportunities/{opportunity_id}", obj="opp")
records.page(
    "sales:opportunity_move",
    obj="opp",
    method="post",
    write=True,
    data=lambda s: {"stage_id": s.opp.stage_id + 1, "version": fresh(s.opp).version},
    ok={302, 422},
    read_only=403,
)
records.api(
    "POST /api/sales/opportunities/{opportunity_id}/move",
    obj="opp",
    body=lambda s: {"stage_id": s.opp.stage_id + 1, "version": fresh(s.opp).version},
    ok={200, 422},
    read_only=403,
)
records.page(
    "sales:target_result",
    obj="target",
    method="post",
    write=True,
    data=lambda s: {"status": "contacted", "version": fresh(s.target).version},
    ok={302},
    read_only=403,
)
records.api(
    "POST /api/sales/targets/{target_id}/result",
    obj="target",
    body=lambda s: {"status": "contacted", "version": fresh(s.target).version},
    read_only=403,
)
records.page(
    "sales:task_progress",
    obj="task",
    method="post",
    data=lambda s: {"done_count": 1, "done_amount": "0", "version": fresh(s.task).version},
    expect=role_gate(DECIDERS, 403, ok=302),  # only the assignee reports
)
records.api(
    "POST /api/sales/tasks/{task_id}/progress",
    obj="task",
    body=lambda s: {"done_count": 1, "done_amount": "0", "version": fresh(s.task).version},
    expect=role_gate(DECIDERS),
)
records.page("sales:handout_sheet", obj="handout")
records.page(
    "sales:handout_sign",
    obj="handout",
    method="post",
    write=True,
    data={"signed_by": "客户本人"},
    ok=302,
    read_only=403,
)
records.api(
    "POST /api/sales/handouts/{handout_id}/sign",
    obj="handout",
    body={"signed_by": "客户本人"},
    ok={200, 422},
    read_only=403,
)
records.page(
    "sales:nomination_hand_out",
    obj="nomination",
    method="post",
    expect=role_gate(DECIDERS, 403, ok=302),  # not yet selected: refused with a message
)
records.api("GET /api/sales/customers/{customer_id}/hints", obj="customer")
records.page(
    "sales:recommend",
    obj="customer",
    method="post",
    write=True,
    data=lambda s: {"product_id": s.opp.product_id},
    ok=302,
    read_only=403,
)


@pytest.fixture
def nomination_samples(sales_world):
    # a nomination: the RM and the subtree (the chain's deciders find it there)
    return [
        Sample("t1", T1_CUSTOMER[0], {"rm", "lead", "manager"}, **sales_world["t1"]),
        Sample("t2", T2_CUSTOMER[0], T2_CUSTOMER[1], **sales_world["t2"]),
    ]


nominations = Matrix("sales", samples="nomination_samples")
nominations.queryset(visible_nominations, obj="nomination")

# --- campaigns, quotas, segments, referrals ---------------------------------------------------------------------

campaigns = Matrix("sales", samples="campaign_samples")
campaigns.queryset(visible_campaigns, obj="campaign", write=False)
campaigns.listing("GET /api/sales/campaigns", obj="campaign")
campaigns.page("sales:campaign_detail", obj="campaign")
campaigns.api("GET /api/sales/campaigns/{campaign_id}", obj="campaign")
campaigns.api("GET /api/sales/campaigns/{campaign_id}/targets", obj="campaign")

quotas = Matrix("sales", samples="quota_samples")
quotas.queryset(visible_quotas, obj="quota")
quotas.page(
    "sales:quota_split",
    obj="quota",
    method="post",
    write=True,
    data=lambda s: {"version": fresh(s.quota).version},
    ok=422,
    read_only=403,
)
quotas.api(
    "POST /api/sales/quotas/{quota_id}/split",
    obj="quota",
    body=lambda s: {"shares": [], "version": fresh(s.quota).version},
    ok=422,
    read_only=403,
)

segments = Matrix("sales", samples="segment_samples")
segments.api("GET /api/sales/segments/{segment_id}/count", obj="segment")

referrals = Matrix("sales", samples="referral_samples")
referrals.queryset(visible_referrals, obj="referral")
referrals.listing("GET /api/sales/referrals", obj="referral")
referrals.page(
    "sales:referral_decide",
    obj="referral",
    method="post",
    data=lambda s: {"decision": "decline", "reason": "", "version": fresh(s.referral).version},
    expect=role_gate(DECIDERS, 403, ok=302),  # only the receiving RM decides (a refusal: a message)
)
referrals.api(
    "POST /api/sales/referrals/{referral_id}/decline",
    obj="referral",
    body=lambda s: {"reason": "", "version": fresh(s.referral).version},
    expect=lambda u, s: 404 if u not in s.readers else (422 if u in DECIDERS else 403),
)
referrals.api(
    "POST /api/sales/referrals/{referral_id}/accept",
    obj="referral",
    body=lambda s: {"version": fresh(s.referral).version + 100},
    expect=lambda u, s: 404 if u not in s.readers else (409 if u in DECIDERS else 403),
)

# --- campaign edit and cancel: the supervisors of the launching unit's subtree (issue 11) ------------------


@pytest.fixture
def campaign_change_samples(sales_world):
    readers = {k: FAMILIES["campaign"][k][0] for k in ("t1", "t2")}
    return [
        Sample("t1", readers["t1"], {"manager"}, **sales_world["t1"]),
        Sample("t2", readers["t2"], {"lead2"}, **sales_world["t2"]),
    ]


def _edit_body(s):
    c = fresh(s.campaign)
    return {
        "version": c.version,
        "name": c.name,
        "ends_on": c.ends_on.isoformat(),
        "product_ids": list(c.products.values_list("pk", flat=True)),
        "script": c.script,
        "target_count": c.target_count,
        "target_amount": str(c.target_amount),
    }


def _edit_form(s):
    body = _edit_body(s)
    return {**body, "products": body.pop("product_ids")}


changes = Matrix("sales", samples="campaign_change_samples")
changes.queryset(visible_campaigns, obj="campaign")
changes.page("sales:campaign_edit", obj="campaign", write=True)
changes.page("sales:campaign_edit", obj="campaign", method="post", write=True, data=_edit_form, ok=302)
changes.api("PUT /api/sales/campaigns/{campaign_id}", obj="campaign", body=_edit_body, read_only=403)
# a stale version: 409 for the writers, whatever else the body says
changes.api(
    "POST /api/sales/campaigns/{campaign_id}/cancel",
    obj="campaign",
    body=lambda s: {"version": fresh(s.campaign).version + 100, "reason": "预算调整"},
    ok=409,
    read_only=403,
)
changes.page(
    "sales:campaign_cancel",
    obj="campaign",
    method="post",
    write=True,
    data=lambda s: {"version": fresh(s.campaign).version, "reason": ""},
    ok=422,
)


@changes.invariant
def _nothing_cancelled(samples, username):
    from rmdesk.sales.models import Campaign

    assert not Campaign.objects.filter(status="cancelled").exists()


# --- funnel drill-down: the opportunities behind a figure, in the viewer's scope -----------------------------

FUNNEL_READERS = ("rm", "rm_b", "rm_t1b", "lead", "rm2", "lead2", "manager", "risk", "compliance", "assistant")
records.listing(
    "sales:funnel_stage",
    obj="opp",
    params=lambda s: {"stage_id": s.opp.stage_id},
    contains=lambda html, o: f'href="/sales/opportunities/{o.pk}/"' in html,
    users=FUNNEL_READERS,
)
records.page(
    "sales:funnel_stage",
    obj="opp",
    params=lambda s: {"stage_id": s.opp.stage_id},
    expect=lambda u, s: 404,  # no sales reading for the referrer and the administrator
    users=("referrer", "admin"),
)

test_campaign_changes = changes.test()
test_records = records.test()
test_nominations = nominations.test()
test_campaigns = campaigns.test()
test_quotas = quotas.test()
test_segments = segments.test()
test_referrals = referrals.test()


# --- configuration (stages, lost reasons, cross-sell rules, materials): the bank's records, not a unit's ----------
# Everyone "sees" them in scope terms, so the refused roles get 403 (not 404); only the administrator and the
# product manager read or write them (sales/config.py CONFIG_ROLES). A stale version answers 409, so the walk
# changes nothing.

CONFIGURERS = {"assistant", "admin"}


@pytest.fixture
def config_samples(db):
    from rmdesk.sales.models import CrossSellRule, LostReason, OpportunityStage

    return [
        Sample(
            "bank",
            USERS,
            USERS,
            stage=OpportunityStage.objects.order_by("order").first(),
            reason=LostReason.objects.first(),
            rule=CrossSellRule.objects.first(),
            material=Material.objects.create(name="配置台历", stock=3),
        )
    ]


config = Matrix("sales", samples="config_samples")
_gate = role_gate(CONFIGURERS, 403, ok=409)
for _route, _obj in (
    ("stages/{stage_id}", "stage"),
    ("lost-reasons/{reason_id}", "reason"),
    ("cross-sell-rules/{rule_id}", "rule"),
    ("materials/{material_id}", "material"),
):
    config.api(
        f"PATCH /api/sales/config/{_route}",
        obj=_obj,
        body=lambda s, o=_obj: {"version": fresh(getattr(s, o)).version + 100, "name": "改"},
        expect=_gate,
    )
for _kind, _obj in (
    ("stages", "stage"),
    ("lost-reasons", "reason"),
    ("cross-sell-rules", "rule"),
    ("materials", "material"),
):
    config.page(
        "sales:config_edit",
        obj=_obj,
        params=lambda s, k=_kind, o=_obj: {"kind": k, "pk": getattr(s, o).pk},
        expect=role_gate(CONFIGURERS, 403),
    )
config.page(
    "sales:config_material_receipt",
    obj="material",
    method="post",
    data={"quantity": "-100"},  # more than the stock: refused next to the field
    expect=role_gate(CONFIGURERS, 403, ok=422),
)
config.api(
    "POST /api/sales/config/materials/{material_id}/receipts",
    obj="material",
    body={"quantity": -100},
    expect=role_gate(CONFIGURERS, 403, ok=422),
)


@config.invariant
def _config_unchanged(samples, username):
    from rmdesk.core.models import AuditEvent

    assert fresh(samples[0].material).stock == 3
    assert not AuditEvent.objects.filter(action__startswith="sales.", action__contains="_update").exists()


test_config = config.test()


# --- the materials' stock ledger (sales/ledger.py): no object id, so walked here for every role ------------------
# Every reader of materials (the sellers, the overseers, the administrator who keeps the stock) opens the page,
# the export and the API; the referrer gets 404. Each hand-out line names its customer exactly to the readers of
# that customer's hand-outs (the customer family above) and is masked (范围外发放) for everyone else.

LEDGER_READERS = set(USERS) - {"referrer"}


def test_material_ledger_for_every_role(sales_world, api_client):
    import io

    from django.test import Client
    from openpyxl import load_workbook

    from rmdesk.org.models import User
    from rmdesk.sales.models import MaterialMovement

    lines = {k: MaterialMovement.objects.get(handout=sales_world[k]["handout"]) for k in ("t1", "t2")}
    problems = []
    for username in USERS:
        user = User.objects.get(username=username)
        page = Client()
        page.force_login(user)
        html = page.get("/sales/materials/ledger/")
        export = page.get("/sales/materials/ledger/export/?format=xlsx")
        api = api_client(user).get("/api/sales/materials/ledger?kind=handout&limit=200")
        want = 200 if username in LEDGER_READERS else 404
        got = (html.status_code, export.status_code, api.status_code)
        if got != (want, want, want):
            problems.append(f"{username}: page/export/api {got}, expected {want}")
            continue
        if want == 404:
            continue
        content = html.content.decode()
        sheet = load_workbook(io.BytesIO(b"".join(export.streaming_content))).active
        exported = {row[7] for row in sheet.iter_rows(values_only=True) if row}
        by_id = {x["id"]: x for x in api.json()["lines"]}
        for key, line in lines.items():
            customer = sales_world[key]["customer"]
            allowed = username in FAMILIES["customer"][key][0]
            seen = {
                "page": f'href="/sales/handouts/{sales_world[key]["handout"].pk}/"' in content,
                "export": customer.customer_no in exported,
                "api": by_id[line.pk]["customer_no"] == customer.customer_no and by_id[line.pk]["shown"],
            }
            if by_id[line.pk]["balance"] != line.balance:
                problems.append(f"{username}: {key} balance {by_id[line.pk]['balance']} != {line.balance}")
            for where, shown in seen.items():
                if shown != allowed:
                    problems.append(f"{username}: {key} hand-out {'named' if shown else 'masked'} in {where}")
    assert not problems, "\n".join(problems)
