"""The rating page (信用等级与授信额度, seed 001:1155; SPEC §6 "customer credit rating"): every rating in
the viewer's scope with its history per customer, and the form the customer's RM or supervisor records
the year's rating with, errors next to the fields and nothing written on bad input."""

from decimal import Decimal

import pytest
from django.utils import timezone

from rmdesk.credit import services
from rmdesk.credit.models import CreditRating

pytestmark = pytest.mark.django_db


@pytest.fixture
def rated(world, make_customer):
    year = timezone.localdate().year
    mine = make_customer(world.rm, name="甲公司", customer_no="C10000001")
    theirs = make_customer(world.rm2, name="乙公司", customer_no="C20000002")
    services.rate_customer(world.rm, customer_id=mine.pk, year=year - 1, grade="A", credit_line=Decimal("300000"))
    services.rate_customer(world.lead, customer_id=mine.pk, year=year, grade="AA", credit_line=Decimal("500000"))
    services.rate_customer(world.rm2, customer_id=theirs.pk, year=year, grade="BBB", credit_line=Decimal("100000"))
    return mine, theirs, year


def test_the_page_lists_ratings_in_scope_with_each_customers_history(world, rated, client):
    mine, theirs, year = rated
    client.force_login(world.rm)
    html = client.get("/credit/ratings/").content.decode()
    assert "甲公司" in html and "乙公司" not in html and "500000" in html and "300000" in html
    history = client.get(f"/credit/ratings/?customer={mine.pk}").content.decode()
    assert history.index("500000") < history.index("300000")  # newest first
    # another branch's customer: nothing, as if it did not exist
    assert "乙公司" not in client.get(f"/credit/ratings/?customer={theirs.pk}").content.decode()
    client.force_login(world.risk)  # read-only overseer: sees the subtree, no form
    html = client.get("/credit/ratings/").content.decode()
    assert "甲公司" in html and 'data-testid="rating-form"' not in html
    assert client.post("/credit/ratings/", {"customer": "C10000001"}).status_code == 404


def test_the_form_records_a_rating(world, rated, client):
    mine, _theirs, year = rated
    client.force_login(world.rm)
    resp = client.post(
        "/credit/ratings/",
        {"customer": "C10000001", "year": year, "grade": "AAA", "credit_line": "800000.00", "note": "年度评级"},
    )
    assert resp.status_code == 302 and resp["Location"].endswith(f"?customer={mine.pk}")
    latest = CreditRating.objects.filter(customer=mine).order_by("-rated_at", "-id").first()
    assert (latest.grade, latest.credit_line, latest.rated_by, latest.note) == (
        "AAA",
        Decimal("800000.00"),
        world.rm,
        "年度评级",
    )


@pytest.mark.parametrize(
    "changes, field, message",
    [
        ({"customer": "C20000002"}, "customer", "客户不存在或不在您的管辖范围内。"),
        ({"year": "2001"}, "year", "评级年度须为上一年、本年或下一年。"),
        ({"grade": "Z"}, "grade", "选择一个有效的选项"),
        ({"credit_line": "-5"}, "credit_line", "确保该值大于或等于0"),
        ({"credit_line": "abc"}, "credit_line", "输入一个数字"),
    ],
)
def test_bad_input_is_shown_next_to_the_field_and_nothing_is_written(world, rated, client, changes, field, message):
    _mine, _theirs, year = rated
    client.force_login(world.rm)
    before = CreditRating.objects.count()
    data = {"customer": "C10000001", "year": year, "grade": "AA", "credit_line": "1000"} | changes
    resp = client.post("/credit/ratings/", data)
    assert resp.status_code == 422
    html = resp.content.decode()
    block = html[html.index(f'for="id_{field}"') :]
    assert message in block[: block.index('<div class="field">') if '<div class="field">' in block else None]
    assert CreditRating.objects.count() == before


def test_the_360_slot_links_to_the_history(world, rated, client):
    mine, _theirs, _year = rated
    client.force_login(world.rm)
    html = client.get(f"/customers/{mine.pk}/").content.decode()
    assert f"/credit/ratings/?customer={mine.pk}" in html
