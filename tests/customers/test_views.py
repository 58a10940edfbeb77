"""Pages of the customer archive: scope matrix, masking, reveal, forms, menus (SPEC §2)."""

from decimal import Decimal
from io import BytesIO

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from rmdesk.core.models import AuditEvent
from rmdesk.customers import services
from rmdesk.customers.models import Customer

pytestmark = pytest.mark.django_db

# the scope matrix of these pages and endpoints is tests/customers/test_scope.py


def login(client, user):
    client.force_login(user)
    return client


@pytest.fixture
def c_rm(world, make_customer, ids):
    return make_customer(
        world.rm,
        world.t1,
        name="张伟明",
        name_initials="zwm",
        id_number=ids.id(),
        mobile="13912345678",
        address="南京市鼓楼区湖南路100号",
        annual_income=Decimal("360000"),
        aum=Decimal("800000"),
    )


@pytest.mark.parametrize(
    "username, pages",
    [
        ("rm", {"import": 403, "pool": 403, "handover": 403, "conflicts": 200, "export": 403}),
        ("lead", {"import": 200, "pool": 200, "handover": 200, "conflicts": 200, "export": 200}),
        ("manager", {"import": 200, "pool": 200, "handover": 200, "conflicts": 200, "export": 200}),
        ("compliance", {"import": 403, "pool": 403, "handover": 403, "conflicts": 200, "export": 200}),
        ("assistant", {"import": 200, "pool": 403, "handover": 403, "conflicts": 200, "export": 403}),
        ("referrer", {"import": 403, "pool": 403, "handover": 403, "conflicts": 200, "export": 403}),
    ],
)
def test_role_pages(world, client, username, pages):
    login(client, getattr(world, username))
    for name, status in pages.items():
        assert client.get(reverse(f"customers:{name}")).status_code == status, name


def test_menu_entries_by_role(world, client):
    login(client, world.lead)
    html = client.get("/").content.decode()
    for key in ("customers", "customers_import", "customers_pool", "customers_conflicts", "customers_handover"):
        assert f'data-nav="{key}"' in html
    client.logout()
    login(client, world.referrer)
    html = client.get("/").content.decode()
    assert 'data-nav="customers"' not in html


def test_360_masks_and_logs_every_view(world, c_rm, client):
    login(client, world.rm)
    html = client.get(reverse("customers:detail", args=[c_rm.pk])).content.decode()
    assert "139****5678" in html and "13912345678" not in html
    assert c_rm.id_number not in html and c_rm.id_number[:3] + "*" * 11 + c_rm.id_number[-4:] in html
    assert "湖南路100号" not in html and "360000" not in html
    client.get(reverse("customers:detail", args=[c_rm.pk]))
    assert AuditEvent.objects.filter(action="customers.view", object_id=str(c_rm.pk), actor=world.rm).count() == 2


def test_reveal_on_page_is_audited(world, c_rm, client):
    login(client, world.rm)
    url = reverse("customers:reveal", args=[c_rm.pk])
    resp = client.post(url, {"field": "mobile", "reason": ""}, HTTP_HX_REQUEST="true")
    assert resp.status_code == 422 and "事由" in resp.content.decode()
    resp = client.post(url, {"field": "mobile", "reason": "电话回访核对"}, HTTP_HX_REQUEST="true")
    assert "13912345678" in resp.content.decode()
    ev = AuditEvent.objects.get(action="customers.reveal")
    assert (ev.actor, ev.summary["field"], ev.summary["reason"]) == (world.rm, "mobile", "电话回访核对")
    client.logout()
    login(client, world.rm2)
    assert client.post(url, {"field": "mobile", "reason": "x" * 5}).status_code == 404


def test_slots_render_on_360(world, c_rm, client, settings, tmp_path):
    from rmdesk.core import hooks

    tpl_dir = tmp_path / "tpl"
    (tpl_dir / "x").mkdir(parents=True)
    (tpl_dir / "x" / "slot.html").write_text("<p data-testid='slot-x'>{{ slot.count }} {{ customer.name }}</p>")
    settings.TEMPLATES = [{**settings.TEMPLATES[0], "DIRS": [*settings.TEMPLATES[0]["DIRS"], tpl_dir]}]
    hooks.register(hooks.Slot("x_test", "测试插槽", "x/slot.html", lambda request, c: {"count": 7}, order=1))
    try:
        login(client, world.rm)
        html = client.get(reverse("customers:detail", args=[c_rm.pk])).content.decode()
    finally:
        hooks.unregister(hooks.Slot, "x_test")
    assert "data-testid='slot-x'>7 张伟明" in html and "测试插槽" in html


def test_create_form_shows_chinese_errors_and_writes_nothing(world, client):
    login(client, world.rm)
    resp = client.post(
        reverse("customers:new") + "?kind=individual",
        {
            "kind": "individual",
            "name": "王五",
            "id_number": "110105194912310021",
            "mobile": "123",
            "source": "self",
            "stage": "potential",
        },
    )
    html = resp.content.decode()
    assert resp.status_code == 200 and "校验位错误" in html and "手机号码应为11位" in html
    assert not Customer.objects.exists()


def test_create_and_edit_through_pages(world, client, ids):
    login(client, world.rm)
    number = ids.id()
    resp = client.post(
        reverse("customers:new"),
        {
            "kind": "individual",
            "name": "王五",
            "id_number": number,
            "mobile": "13800001111",
            "source": "self",
            "stage": "potential",
            "tags": "代发, 高净值",
        },
    )
    c = Customer.objects.get()
    assert resp.status_code == 302 and resp["Location"] == reverse("customers:detail", args=[c.pk])
    assert c.a_rm == world.rm and sorted(c.tags.values_list("name", flat=True)) == ["代发", "高净值"]
    form = {
        "kind": "individual",
        "name": "王五",
        "id_number": number,
        "mobile": "13800001111",
        "source": "self",
        "stage": "active",
        "version": 1,
        "occupation": "教师",
    }
    assert client.post(reverse("customers:edit", args=[c.pk]), form).status_code == 302
    c.refresh_from_db()
    assert (c.stage, c.occupation, c.version) == ("active", "教师", 2)
    stale = client.post(reverse("customers:edit", args=[c.pk]), {**form, "occupation": "律师"})  # still version 1
    assert stale.status_code == 200 and "已被他人修改" in stale.content.decode()
    assert Customer.objects.get(pk=c.pk).occupation == "教师"


def test_duplicate_on_page_opens_conflict(world, client, c_rm):
    login(client, world.rm2)
    resp = client.post(
        reverse("customers:new"),
        {"kind": "individual", "name": "张伟明", "id_number": c_rm.id_number, "source": "self", "stage": "potential"},
        follow=True,
    )
    assert "冲突处理" in resp.content.decode()
    assert Customer.objects.count() == 1
    client.logout()
    login(client, world.lead)
    conflict_list = client.get(reverse("customers:conflicts")).content.decode()
    assert "张伟明" in conflict_list
    from rmdesk.customers.models import Conflict

    conflict = Conflict.objects.get()
    page = client.get(reverse("customers:conflict_detail", args=[conflict.pk])).content.decode()
    assert c_rm.id_number not in page  # masked on the conflict page too
    client.post(reverse("customers:conflict_detail", args=[conflict.pk]), {"action": "assign", "owner": world.rm.pk})
    conflict.refresh_from_db()
    assert conflict.status == "assigned"
    client.logout()
    login(client, world.rm_t1b)
    assert client.get(reverse("customers:conflict_detail", args=[conflict.pk])).status_code == 404


def test_list_search_and_export_page(world, c_rm, make_customer, client):
    make_customer(world.rm, name="李小红", aum=Decimal("10"))
    login(client, world.lead)
    html = client.get(reverse("customers:list"), {"q": "zwm"}).content.decode()
    assert "张伟明" in html and "李小红" not in html
    resp = client.get(reverse("customers:export"), {"q": "zwm"})
    rows = list(load_workbook(BytesIO(b"".join(resp.streaming_content))).active.iter_rows(values_only=True))
    assert len(rows) == 2 and rows[1][2] == "张伟明" and rows[1][4] == "139****5678"
    assert AuditEvent.objects.filter(action="customers.export", actor=world.lead).exists()


def test_list_pages_with_htmx_more(world, make_customer, client):
    for i in range(5):
        make_customer(world.rm, name=f"客户{i}", aum=Decimal(i))
    login(client, world.rm)
    first = client.get(reverse("customers:list"), {"page_size": 2})
    assert first.content.decode().count('data-testid="customer-row"') == 2
    cursor = first.context["page"].next_cursor
    more = client.get(reverse("customers:list"), {"page_size": 2, "cursor": cursor}, HTTP_HX_REQUEST="true")
    body = more.content.decode()
    assert "<html" not in body and "客户2" in body and "客户1" in body


def test_pool_assign_goes_to_approval(world, make_customer, client):
    c = make_customer(None, unit=world.t1, name="池中")
    login(client, world.lead)
    assert "池中" in client.get(reverse("customers:pool")).content.decode()
    client.post(reverse("customers:pool"), {"customer_ids": [c.pk], "a_rm": world.rm.pk})
    c.refresh_from_db()
    assert c.a_rm is None
    from rmdesk.core.approvals import decide
    from rmdesk.core.models import ApprovalRequest

    req = ApprovalRequest.objects.get(kind="customers.assign")
    decide(world.manager, req.pk, "approve")
    c.refresh_from_db()
    assert c.a_rm == world.rm


def test_handover_page_preview_and_submit(world, make_customer, client):
    a = make_customer(world.rm, name="甲")
    login(client, world.lead)
    html = client.get(reverse("customers:handover"), {"from_rm": world.rm.pk, "to_rm": world.rm_b.pk}).content.decode()
    assert "甲" in html and 'data-testid="handover-row"' in html
    client.post(
        reverse("customers:handover"),
        {"from_rm": world.rm.pk, "to_rm": world.rm_b.pk, "customer_ids": [a.pk], f"note_{a.pk}": "每周电话"},
    )
    from rmdesk.core.models import ApprovalRequest

    req = ApprovalRequest.objects.get(kind="customers.handover")
    assert req.payload["notes"] == {str(a.pk): "每周电话"}


def test_home_panel_for_rm(world, c_rm, client):
    services.recompute_tier(c_rm, reason="test")
    login(client, world.rm)
    html = client.get("/").content.decode()
    assert 'data-testid="home-customer-count">1<' in html


def test_personal_data_download_and_anonymise_page(world, c_rm, client):
    login(client, world.compliance)
    resp = client.get(reverse("customers:personal_data", args=[c_rm.pk]))
    assert resp.status_code == 200 and "13912345678" in resp.content.decode()
    client.post(reverse("customers:anonymise", args=[c_rm.pk]), {"reason": "客户申请"})
    assert Customer.objects.get(pk=c_rm.pk).is_anonymised
    client.logout()
    login(client, world.lead)
    assert client.get(reverse("customers:personal_data", args=[c_rm.pk])).status_code == 403


def test_english_catalogue(world, client):
    login(client, world.rm)
    client.post("/i18n/setlang/", {"language": "en", "next": "/customers/"})
    html = client.get(reverse("customers:list")).content.decode()
    assert "Customer archive" in html and "Load more" not in html and "No matching customers." in html


def test_360_additions(world, c_rm, make_customer, client):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from rmdesk.customers.models import Product

    corp = make_customer(world.rm, name="钟山电子", kind="corporate", customer_no="CORP1")
    login(client, world.rm)
    add = lambda what, data: client.post(reverse("customers:add", args=[c_rm.pk, what]), data)  # noqa: E731
    add("holding", {"product": Product.objects.get(code="WM-BAL").pk, "balance": "1500000", "account_no": "X1"})
    add("document", {"kind": "id_copy", "file": SimpleUploadedFile("id.png", b"img")})
    add("related", {"related_no": "CORP1", "kind": "shareholder"})
    add("key_date", {"kind": "anniversary", "date": "2015-05-20", "label": "结婚纪念日"})
    add("need", {"text": "子女教育金", "category": "insurance"})
    c_rm.refresh_from_db()
    assert c_rm.aum == Decimal("1500000.00") and c_rm.tier.code == "platinum"
    assert c_rm.documents.count() == 1 and c_rm.relations.get().related == corp
    assert c_rm.key_dates.filter(kind="anniversary").exists() and c_rm.needs.get().text == "子女教育金"
    client.post(
        reverse("customers:add", args=[corp.pk, "financial"]),
        {"year": 2025, "revenue": "100", "assets": "200", "liabilities": "150"},
    )
    assert corp.financials.get().debt_ratio == Decimal("75.00")
    bad = client.post(
        reverse("customers:add", args=[c_rm.pk, "holding"]),
        {"product": Product.objects.get(code="WM-BAL").pk, "balance": "-5", "account_no": "X2"},
        follow=True,
    )
    assert "负数" in bad.content.decode()
    client.logout()
    login(client, world.risk)
    assert add("note", {"text": "x"}).status_code == 404


@pytest.mark.parametrize("username", ["rm", "lead", "manager", "risk", "compliance", "assistant"])
def test_out_of_scope_pages_are_404(world, make_customer, client, username):
    c_t2 = make_customer(world.rm2, world.t2, mobile="13700000000")
    login(client, getattr(world, username))
    gets = ["detail", "edit"] + (["personal_data"] if username == "compliance" else [])
    for name in gets:
        assert client.get(reverse(f"customers:{name}", args=[c_t2.pk])).status_code == 404, name
    posts = [
        ("reveal", {"field": "mobile", "reason": "核实"}),
        ("assign", {"a_rm": world.rm2.pk}),
        ("anonymise", {"reason": "申请"}),
    ]
    for name, data in posts:
        status = client.post(reverse(f"customers:{name}", args=[c_t2.pk]), data).status_code
        # anonymisation is refused by role first (403 whatever the id, so no existence leak)
        expected = 403 if name == "anonymise" and username != "compliance" else 404
        assert status == expected, (name, status)
    assert client.post(reverse("customers:add", args=[c_t2.pk, "note"]), {"text": "x"}).status_code == 404
    from rmdesk.core.models import ApprovalRequest

    assert not ApprovalRequest.objects.exists()
    assert Customer.objects.get(pk=c_t2.pk).version == 1 and not Customer.objects.get(pk=c_t2.pk).is_anonymised


def test_admin_edits_tier_rule_sets(world, client, make_customer):
    from rmdesk.customers.models import TierRuleSet

    c = make_customer(world.rm, metrics={"monthly_spend": "500"})
    rs = TierRuleSet.objects.create(code="telecom", name="电信", metric="monthly_spend")
    client.force_login(world.admin)
    resp = client.post(
        reverse("admin:customers_tierruleset_change", args=[rs.pk]),
        {
            "code": "telecom",
            "name": "电信",
            "kind": "individual",
            "industry": "telecom",
            "metric": "monthly_spend",
            "tiers-TOTAL_FORMS": "2",
            "tiers-INITIAL_FORMS": "0",
            "tiers-MIN_NUM_FORMS": "0",
            "tiers-MAX_NUM_FORMS": "1000",
            "tiers-0-code": "gold",
            "tiers-0-name": "金卡",
            "tiers-0-rank": "2",
            "tiers-0-threshold": "300",
            "tiers-1-code": "silver",
            "tiers-1-name": "银卡",
            "tiers-1-rank": "1",
            "tiers-1-threshold": "0",
        },
    )
    assert resp.status_code == 302, resp.content.decode()[:2000]
    client.post(
        reverse("admin:customers_tierruleset_changelist"),
        {"action": "activate_and_recompute", "_selected_action": [rs.pk]},
    )
    c.refresh_from_db()
    assert c.tier.code == "gold" and c.tier.rule_set == rs


def test_export_money_reads_back_exact_to_the_cent(world, make_customer, client):
    """Money in the export is the archive's Decimal to the cent (issue 10: not 91827.17999999999), even
    when the stored value came from binary arithmetic on SQLite."""
    from rmdesk.customers.models import Customer

    c = make_customer(world.rm, name="钱多多", aum=Decimal("91827.18"), deposits=Decimal("0.10"))
    from django.db import connection

    with connection.cursor() as cur:  # binary arithmetic in the database itself (REAL on SQLite)
        cur.execute(f"UPDATE {Customer._meta.db_table} SET loans = 0.1 + 0.2 WHERE id = %s", [c.pk])
    login(client, world.lead)
    resp = client.get(reverse("customers:export"), {"q": "钱多多"})
    ws = load_workbook(BytesIO(b"".join(resp.streaming_content))).active
    row = next(r for r in ws.iter_rows(min_row=2) if r[2].value == "钱多多")
    assert [cell.value for cell in row[10:13]] == [91827.18, 0.1, 0.3]
    assert all("0.00" in cell.number_format for cell in row[10:13])
    assert [repr(cell.value) for cell in row[10:13]] == ["91827.18", "0.1", "0.3"]
