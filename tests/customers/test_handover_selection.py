"""The handover selection page (SPEC §2 handover, issue 10): filters by tier and stage, select all /
none, the count, the confirmation naming the receiver and the count; the service keeps its scope."""

import re
from decimal import Decimal

import pytest
from django.urls import reverse

from rmdesk.core.models import ApprovalRequest
from rmdesk.customers import services
from rmdesk.customers.models import Customer, Tier

pytestmark = pytest.mark.django_db


@pytest.fixture
def book(world, make_customer):
    """rm's book: two gold, one standard; stages active / potential."""
    made = {
        "gold_active": make_customer(world.rm, name="金卡活跃", aum=Decimal("600000"), stage="active"),
        "gold_new": make_customer(world.rm, name="金卡潜在", aum=Decimal("700000"), stage="potential"),
        "std_active": make_customer(world.rm, name="普通活跃", aum=Decimal("1000"), stage="active"),
    }
    for c in made.values():
        services.recompute_tier(c, reason="test")
    return made


ROW = r'<tr data-testid="handover-row"><td><input type="checkbox" name="customer_ids" value="(\d+)"[^>]*?( checked)?>'


def _rows(html):
    return re.findall(ROW, html)


def _page(client, world, **params):
    resp = client.get(reverse("customers:handover"), {"from_rm": world.rm.pk, "to_rm": world.rm_b.pk, **params})
    assert resp.status_code == 200
    return resp.content.decode()


def test_filters_by_tier_and_stage_and_counts(world, book, client):
    client.force_login(world.lead)
    html = _page(client, world)
    assert len(_rows(html)) == 3 and 'data-testid="handover-count">3<' in html
    gold = Tier.objects.get(rule_set__code="bank", code="gold")
    html = _page(client, world, tier=gold.pk)
    assert {int(pk) for pk, _c in _rows(html)} == {book["gold_active"].pk, book["gold_new"].pk}
    assert "普通活跃" not in html
    html = _page(client, world, tier=gold.pk, stage="active")
    assert [int(pk) for pk, _c in _rows(html)] == [book["gold_active"].pk]
    assert 'data-testid="handover-count">1<' in html
    assert "活跃" in html and ">active<" not in html  # the stage shows its label
    # a malformed filter selects nothing, never everything
    assert _rows(_page(client, world, stage="nonsense")) == []
    assert _rows(_page(client, world, tier="99999999999999999999")) == []


def test_select_all_and_none_without_javascript(world, book, client):
    client.force_login(world.lead)
    html = _page(client, world, stage="active")
    none_href = re.search(r'href="\?([^"]+)" data-handover-select="none"', html).group(1).replace("&amp;", "&")
    assert "stage=active" in none_href and "select=none" in none_href  # the filters are kept
    html = client.get(reverse("customers:handover") + "?" + none_href).content.decode()
    rows = _rows(html)
    assert len(rows) == 2 and all(not checked for _pk, checked in rows)
    assert 'data-testid="handover-count">0<' in html
    all_href = re.search(r'href="\?([^"]+)" data-handover-select="all"', html).group(1).replace("&amp;", "&")
    rows = _rows(client.get(reverse("customers:handover") + "?" + all_href).content.decode())
    assert len(rows) == 2 and all(checked for _pk, checked in rows)


def test_confirmation_names_the_receiver_and_the_count_then_submits(world, book, client):
    client.force_login(world.lead)
    chosen = [book["gold_active"].pk, book["std_active"].pk]
    resp = client.post(
        reverse("customers:handover"),
        {
            "from_rm": world.rm.pk,
            "to_rm": world.rm_b.pk,
            "customer_ids": chosen,
            f"note_{chosen[0]}": "每周电话",
            "reason": "调岗",
            "step": "confirm",
        },
    )
    html = resp.content.decode()
    assert resp.status_code == 200 and 'data-testid="handover-confirm"' in html
    text = re.search(r'data-testid="handover-confirm-text">([^<]+)<', html).group(1)
    unit = (world.rm_b.team or world.rm_b.unit).name
    assert f"2 户客户移交给 {world.rm_b.display_name}（工号 {world.rm_b.employee_no}，{unit}）" in text
    assert html.count('data-testid="handover-confirm-row"') == 2
    assert not ApprovalRequest.objects.filter(kind="customers.handover").exists()  # nothing yet
    # the confirmation form carries the selection and the notes: submitting it files the request
    fields = dict(re.findall(r'<input type="hidden" name="(note_\d+|reason|step)" value="([^"]*)">', html))
    assert fields == {f"note_{chosen[0]}": "每周电话", f"note_{chosen[1]}": "", "reason": "调岗", "step": "submit"}
    resp = client.post(
        reverse("customers:handover"),
        {"from_rm": world.rm.pk, "to_rm": world.rm_b.pk, "customer_ids": chosen, **fields},
    )
    assert resp.status_code == 302
    req = ApprovalRequest.objects.get(kind="customers.handover")
    assert sorted(req.payload["customer_ids"]) == sorted(chosen)
    assert req.payload["notes"] == {str(chosen[0]): "每周电话"}


def test_a_customer_outside_the_scope_posted_by_hand_is_refused(world, book, client, make_customer):
    outsider = make_customer(world.rm2, name="二队客户")  # lead2's team: outside lead's scope
    client.force_login(world.lead)
    for step in ("confirm", "submit"):
        resp = client.post(
            reverse("customers:handover"),
            {
                "from_rm": world.rm.pk,
                "to_rm": world.rm_b.pk,
                "customer_ids": [book["gold_active"].pk, outsider.pk],
                "step": step,
            },
        )
        html = resp.content.decode()
        assert resp.status_code == 200 and 'data-field-error="customer_ids"' in html
        assert "不在您的管辖范围内" in html and "二队客户" not in html
    assert not ApprovalRequest.objects.filter(kind="customers.handover").exists()
    assert Customer.objects.get(pk=outsider.pk).a_rm == world.rm2
    with pytest.raises(Exception) as exc:
        services.request_handover(world.lead, world.rm.pk, world.rm_b.pk, customer_ids=[outsider.pk])
    assert "不在您的管辖范围内" in str(exc.value)
