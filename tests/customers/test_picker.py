"""The searchable customer picker (issue 10, SPEC §2 search): suggestions by name, pinyin initials and
customer number, only in the user's writable scope; forms validate the picked id in that scope."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from rmdesk.customers.picker import LIMIT, picker_queryset, suggest
from rmdesk.customers.scope import visible_customers
from rmdesk.work.models import Appointment, Interaction

URL = "/customers/picker/"


def _suggested(client, q, field="customer", **extra):
    resp = client.get(URL, {"field": field, f"{field}_q": q, **extra})
    assert resp.status_code == 200
    html = resp.content.decode()
    return [int(pk) for pk in re.findall(rf'name="{field}" value="(\d+)"', html)], html


@pytest.fixture
def book(world, make_customer):
    """rm's customers (A-post), one where rm is B-post, and customers of another branch and team."""
    return {
        "zwm": make_customer(world.rm, name="张伟明", customer_no="NJ20240001"),
        "zwl": make_customer(world.rm, name="张文丽", customer_no="NJ20240002"),
        "corp": make_customer(world.rm, name="南京雨花物流有限公司", customer_no="NJ20240003", kind="corporate"),
        "b_post": make_customer(world.rm_b, b_rm=world.rm, name="张卫民", customer_no="NJ20240004"),
        "team_b": make_customer(world.rm_b, name="张维明", customer_no="NJ20240005"),
        "other_team": make_customer(world.rm_t1b, name="张伟敏", customer_no="NJ20240006"),
        "other_branch": make_customer(world.rm2, name="张伟鸣", customer_no="NJ20240007"),
    }


def test_suggest_by_name_prefix(client, world, book):
    client.force_login(world.rm)
    pks, html = _suggested(client, "张伟")
    assert pks == [book["zwm"].pk]
    assert "张伟明（NJ20240001）" in html
    assert _suggested(client, "南京雨花")[0] == [book["corp"].pk]


def test_suggest_by_pinyin_initials_any_case(client, world, book):
    client.force_login(world.rm)
    assert set(_suggested(client, "zw")[0]) == {book["zwm"].pk, book["zwl"].pk, book["b_post"].pk}
    assert _suggested(client, "ZWM")[0] == [book["zwm"].pk, book["b_post"].pk]  # 张伟明, 张卫民: by name
    assert _suggested(client, "zwl")[0] == [book["zwl"].pk]
    assert _suggested(client, "njyh")[0] == [book["corp"].pk]


def test_suggest_by_customer_number_prefix(client, world, book):
    client.force_login(world.rm)
    assert _suggested(client, "NJ20240002")[0] == [book["zwl"].pk]
    mine = {book[k].pk for k in ("zwm", "zwl", "corp", "b_post")}
    assert set(_suggested(client, "nj2024000")[0]) == mine  # lower-case typing finds upper-case numbers


def test_nothing_typed_or_nothing_found(client, world, book):
    client.force_login(world.rm)
    assert _suggested(client, "")[0] == []
    pks, html = _suggested(client, "王")
    assert pks == [] and "没有找到您可以维护的匹配客户" in html


def test_at_most_twenty_sorted_by_name(client, world, make_customer):
    for i in range(LIMIT + 5):
        make_customer(world.rm, name=f"测试客户{i:02d}")
    client.force_login(world.rm)
    pks, html = _suggested(client, "测试")
    assert len(pks) == LIMIT
    names = re.findall(r"测试客户(\d\d)", html)
    assert names == [f"{i:02d}" for i in range(LIMIT)]


def test_the_picked_customer_stays_first_and_checked(client, world, book):
    client.force_login(world.rm)
    pks, html = _suggested(client, "zwl", customer=str(book["zwm"].pk))
    assert pks == [book["zwm"].pk, book["zwl"].pk]
    assert f'value="{book["zwm"].pk}" checked' in html
    # an out-of-scope "current" value is not echoed back
    pks, html = _suggested(client, "zwl", customer=str(book["other_branch"].pk))
    assert pks == [book["zwl"].pk] and "张伟鸣" not in html


@pytest.mark.parametrize(
    "who", ["rm", "rm_b", "rm_t1b", "rm2", "lead", "lead2", "manager", "risk", "compliance", "assistant", "referrer"]
)
def test_suggestions_never_leave_the_writable_scope(client, world, book, who):
    user = getattr(world, who)
    client.force_login(user)
    writable = set(visible_customers(user, write=True).values_list("pk", flat=True))
    everyone = {c.pk for c in book.values()}
    for q in ("张", "zw", "NJ2024", "nj2024", "南京"):
        pks = set(_suggested(client, q)[0])
        assert pks <= writable, (who, q)
        assert pks == {c.pk for c in book.values() if c.pk in writable and _matches(c, q)}, (who, q)
    assert {s.pk for s in suggest(user, "NJ2024")} == writable & everyone


def _matches(c, q):
    return c.name.startswith(q) or c.name_initials.startswith(q.lower()) or c.customer_no.startswith(q.upper())


def test_scope_examples(client, world, book):
    """Concrete expectations behind the matrix above: the RM's own and B-post customers only; another
    branch's RM and a referrer get nothing of rm's book."""
    assert {c.pk for c in suggest(world.rm, "NJ2024")} == {
        book["zwm"].pk,
        book["zwl"].pk,
        book["corp"].pk,
        book["b_post"].pk,
    }
    assert {c.pk for c in suggest(world.rm2, "NJ2024")} == {book["other_branch"].pk}
    assert suggest(world.referrer, "NJ2024") == []


def test_suggest_needs_login_and_survives_odd_input(client, world, book):
    assert client.get(URL, {"customer_q": "张"}).status_code == 302
    client.force_login(world.rm)
    for params in (
        {"field": "<script>", "customer_q": "张伟"},
        {"customer_q": "张伟", "customer": "99999999999999999999999"},
        {"customer_q": "%_\\", "customer": "abc"},
        {"customer_q": "x" * 500},
        {"q": "zwm"},
    ):
        resp = client.get(URL, params)
        assert resp.status_code == 200, params
        assert "<script>" not in resp.content.decode()
    assert client.get(URL, {"customer_q": "张\x00"}).status_code == 400  # NUL: refused, never a 5xx


def _interaction(customer_value, **extra):
    return {
        "customer": customer_value,
        "kind": "phone",
        "occurred_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
        "purpose": "电话回访",
        "next_step_kind": "none",
        **extra,
    }


def _appointment(customer_value):
    start = timezone.localtime() + timedelta(days=2)
    return {
        "customer": customer_value,
        "subject": "理财面谈",
        "start_at": start.strftime("%Y-%m-%dT%H:%M"),
        "end_at": (start + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M"),
        "remind_minutes": 60,
    }


@pytest.mark.parametrize("bad", ["other_branch", "other_team", "team_b", "unknown", "huge", "text"])
def test_interaction_form_refuses_an_out_of_scope_or_unknown_customer(client, world, book, bad):
    value = {"unknown": "987654", "huge": "9" * 30, "text": "abc"}.get(bad) or book[bad].pk
    client.force_login(world.rm)
    resp = client.post("/work/interactions/new/", _interaction(value))
    assert resp.status_code == 200
    html = resp.content.decode()
    assert "请从搜索结果中选择一位您可以维护的客户" in html
    assert not Interaction.objects.exists()


@pytest.mark.parametrize("bad", ["other_branch", "team_b", "unknown"])
def test_appointment_form_refuses_an_out_of_scope_customer(client, world, book, bad):
    value = "987654" if bad == "unknown" else book[bad].pk
    client.force_login(world.rm)
    resp = client.post("/work/appointments/new/", _appointment(value))
    assert resp.status_code == 200
    assert "请从搜索结果中选择一位您可以维护的客户" in resp.content.decode()
    assert not Appointment.objects.exists()


def test_forms_accept_a_picked_customer_in_scope(client, world, book):
    client.force_login(world.rm)
    resp = client.post("/work/interactions/new/", _interaction(book["b_post"].pk))
    assert resp.status_code == 302, resp.content.decode()[:2000]
    assert Interaction.objects.get().customer == book["b_post"]
    resp = client.post("/work/appointments/new/", _appointment(book["zwl"].pk))
    assert resp.status_code == 302
    assert Appointment.objects.get().customer == book["zwl"]


def test_typing_an_exact_number_without_picking_also_works(client, world, book):
    """Without htmx the search box is posted as customer_q: an exact customer number (or a unique exact
    name) in scope is accepted; a number out of scope is the same field error."""
    client.force_login(world.rm)
    data = _interaction("")
    del data["customer"]
    resp = client.post("/work/interactions/new/", {**data, "customer_q": "NJ20240003"})
    assert resp.status_code == 302
    assert Interaction.objects.get().customer == book["corp"]
    resp = client.post("/work/interactions/new/", {**data, "customer_q": "NJ20240007"})
    assert resp.status_code == 200 and "请从搜索结果中选择一位您可以维护的客户" in resp.content.decode()
    assert 'value="NJ20240007"' in resp.content.decode()  # what was typed is kept
    resp = client.post("/work/interactions/new/", data)
    assert resp.status_code == 200 and "这个字段是必填项" in resp.content.decode()


def test_same_name_twice_asks_to_pick(client, world, book, make_customer):
    make_customer(world.rm, name="张伟明", customer_no="NJ20249999")
    client.force_login(world.rm)
    data = _interaction("")
    del data["customer"]
    resp = client.post("/work/interactions/new/", {**data, "customer_q": "张伟明"})
    assert resp.status_code == 200 and "有多位客户名为“张伟明”" in resp.content.decode()


def test_form_pages_have_no_select_of_all_customers(client, world, book):
    client.force_login(world.rm)
    for url in ("/work/interactions/new/", "/work/appointments/new/"):
        html = client.get(url).content.decode()
        assert not re.search(r'<select[^>]*name="customer"', html), url
        assert 'name="customer_q"' in html and "/customers/picker/?field=customer" in html
        for c in book.values():
            assert c.name not in html, (url, c.name)


def test_preselected_customer_shows_its_name(client, world, book):
    client.force_login(world.rm)
    for url in ("/work/interactions/new/", "/work/appointments/new/"):
        html = client.get(f"{url}?customer={book['zwl'].pk}").content.decode()
        assert f'name="customer" value="{book["zwl"].pk}" checked' in html, url
        assert "张文丽（NJ20240002）" in html
        assert client.get(f"{url}?customer={book['other_branch'].pk}").status_code == 404


def test_appointment_edit_shows_the_fixed_customer(client, world, book):
    client.force_login(world.rm)
    assert client.post("/work/appointments/new/", _appointment(book["zwm"].pk)).status_code == 302
    appt = Appointment.objects.get()
    html = client.get(f"/work/appointments/{appt.pk}/").content.decode()
    assert 'data-testid="picker-fixed-customer"' in html and "张伟明（NJ20240001）" in html
    assert 'name="customer_q"' not in html


def test_picker_queryset_excludes_merged_records(world, book):
    book["zwl"].merged_into = book["zwm"]
    book["zwl"].save(update_fields=["merged_into"])
    assert book["zwl"].pk not in set(picker_queryset(world.rm).values_list("pk", flat=True))
    assert [c.pk for c in suggest(world.rm, "张文")] == []
