"""Bulk import from .xlsx/.csv (SPEC §2): all-or-nothing per file, error report per bad row,
idempotent upsert by customer number, conflicts instead of duplicates, holdings recompute AUM."""

import io
from decimal import Decimal

import pytest
import xlsxwriter
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import load_workbook

from rmdesk.core.models import AuditEvent
from rmdesk.customers.importer import CUSTOMER_COLUMNS
from rmdesk.customers.models import Conflict, Customer, Holding, ImportJob, TierChange

pytestmark = pytest.mark.django_db

HEADER = [label for _f, label in CUSTOMER_COLUMNS]


def xlsx(rows, header=HEADER):
    buf = io.BytesIO()
    wb = xlsxwriter.Workbook(buf, {"in_memory": True})
    ws = wb.add_worksheet()
    for r, row in enumerate([header, *rows]):
        for c, v in enumerate(row):
            ws.write(r, c, v)
    wb.close()
    return buf.getvalue()


def csv_bytes(rows, header=HEADER, encoding="utf-8-sig"):
    import csv

    out = io.StringIO()
    w = csv.writer(out)
    w.writerow(header)
    w.writerows(rows)
    return out.getvalue().encode(encoding)


def row(no, name, **kw):
    values = {"customer_no": no, "kind": "个人", "name": name, **kw}
    return [values.get(f, "") for f, _l in CUSTOMER_COLUMNS]


def upload(client, content, name="customers.xlsx", kind="customers"):
    resp = client.post(reverse("customers:import"), {"kind": kind, "file": SimpleUploadedFile(name, content)})
    assert resp.status_code == 302, resp.content
    return ImportJob.objects.latest("id")


@pytest.fixture
def lead_client(client, world):
    client.force_login(world.lead)
    return client


def good_rows(world, ids):
    return [
        row(
            "K001",
            "张伟明",
            id_number=ids.id(),
            mobile="13900000001",
            a_rm_no=world.rm.employee_no,
            annual_income="360000",
            risk_tolerance="C3",
            tags="代发、高净值",
        ),
        row("K002", "李小红", mobile="13900000002", gender="女", a_rm_no=world.rm_b.employee_no, stage="活跃"),
        row(
            "K003",
            "金陵机械有限公司",
            kind="对公",
            credit_code=ids.credit(),
            legal_rep="王刚",
            registered_capital="5000000",
            org_unit_code="T1",
        ),
        row("K004", "王记便利店", kind="零售户", mobile="13900000004", a_rm_no=world.rm.employee_no),
    ]


def test_bad_rows_write_nothing_and_each_is_reported(world, lead_client, ids):
    rows = good_rows(world, ids) + [
        row("K005", "坏证件", id_number="110105194912310021"),
        row("K006", "", mobile="13900000006"),
        row("K007", "坏手机", mobile="1390000"),
        row("K001", "重复客户号", mobile="13900000008"),
        row("K009", "无资质", mobile="13900000009", a_rm_no=world.lead.employee_no),
        row("K010", "坏金额", mobile="13900000010", annual_income="12.345"),
    ]
    before = (Customer.objects.count(), TierChange.objects.count())
    job = upload(lead_client, xlsx(rows))
    assert job.status == "failed"
    assert (Customer.objects.count(), TierChange.objects.count()) == before
    assert job.error_count == 6
    bad_rows = sorted({e["row"] for e in job.errors})
    assert bad_rows == [6, 7, 8, 9, 10, 11]
    by_row = {e["row"]: e for e in job.errors}
    assert by_row[6]["field"] == "id_number" and "校验位" in by_row[6]["message"]
    assert by_row[7]["field"] == "name"
    assert "客户号与第 2 行重复" in by_row[9]["message"]
    assert "客户经理" in by_row[10]["message"]
    # the page shows them and the report downloads with one line per error
    page = lead_client.get(reverse("customers:import_detail", args=[job.pk])).content.decode()
    assert "未导入任何数据" in page and "校验位" in page
    report = lead_client.get(reverse("customers:import_errors", args=[job.pk]))
    wb = load_workbook(io.BytesIO(b"".join(report.streaming_content)))
    lines = list(wb.active.iter_rows(values_only=True))
    assert lines[0][0] == "行号" and sorted(r[0] for r in lines[1:]) == [6, 7, 8, 9, 10, 11]
    assert AuditEvent.objects.filter(action="customers.import_failed").exists()


def test_good_file_imports_and_the_same_file_twice_changes_nothing(world, lead_client, ids):
    content = xlsx(good_rows(world, ids))
    job = upload(lead_client, content)
    assert job.status == "done", job.errors
    assert (job.created_count, job.updated_count, job.unchanged_count) == (4, 0, 0)
    k1 = Customer.objects.get(customer_no="K001")
    assert k1.a_rm == world.rm and k1.org_path == world.t1.path and k1.source == "import"
    assert sorted(k1.tags.values_list("name", flat=True)) == ["代发", "高净值"]
    assert Customer.objects.get(customer_no="K003").a_rm is None  # into the team's pool
    assert Customer.objects.get(customer_no="K002").stage == "active"
    snapshot = list(Customer.objects.order_by("id").values())
    counts = (TierChange.objects.count(), Conflict.objects.count())
    again = upload(lead_client, content)
    assert again.status == "done"
    assert (again.created_count, again.updated_count, again.unchanged_count) == (0, 0, 4)
    assert list(Customer.objects.order_by("id").values()) == snapshot
    assert (TierChange.objects.count(), Conflict.objects.count()) == counts


def test_upsert_by_customer_number_updates_changed_rows(world, lead_client, ids):
    rows = good_rows(world, ids)
    upload(lead_client, xlsx(rows))
    rows[1] = row("K002", "李小红", mobile="13900000002", gender="女", occupation="会计")
    rows[2] = row("K003", "金陵机械有限公司", kind="", industry="机械")  # empty cells keep what is on file
    job = upload(lead_client, csv_bytes(rows), name="update.csv")
    assert job.status == "done", job.errors
    assert (job.created_count, job.updated_count, job.unchanged_count) == (0, 2, 2)
    k3 = Customer.objects.get(customer_no="K003")
    assert (k3.kind, k3.industry, k3.legal_rep) == ("corporate", "机械", "王刚")
    k2 = Customer.objects.get(customer_no="K002")
    assert k2.occupation == "会计" and k2.version == 2 and k2.a_rm == world.rm_b


def test_gb18030_csv(world, lead_client):
    job = upload(
        lead_client, csv_bytes([row("G001", "赵大海", mobile="13900000011")], encoding="gb18030"), name="gbk.csv"
    )
    assert job.status == "done" and Customer.objects.get(customer_no="G001").name == "赵大海"


def test_import_row_matching_another_archive_opens_conflict(world, lead_client, make_customer, ids):
    number = ids.id()
    existing = make_customer(world.rm2, name="张伟明", id_number=number)
    job = upload(
        lead_client,
        xlsx(
            [row("K100", "张伟明", id_number=number, mobile="13900000100"), row("K101", "新客户", mobile="13900000101")]
        ),
    )
    assert job.status == "done" and job.conflict_count == 1 and job.created_count == 1
    assert not Customer.objects.filter(customer_no="K100").exists()
    conflict = Conflict.objects.get()
    assert conflict.existing == existing and conflict.source == "import" and conflict.proposed["customer_no"] == "K100"
    upload(lead_client, xlsx([row("K100", "张伟明", id_number=number, mobile="13900000100")]))
    assert Conflict.objects.count() == 1


def test_duplicates_inside_the_file_are_bad_rows(world, lead_client):
    job = upload(lead_client, xlsx([row("D1", "甲", mobile="13900000201"), row("D2", "乙", mobile="13900000201")]))
    assert job.status == "failed" and job.errors[0]["row"] == 3 and job.errors[0]["field"] == "mobile"
    assert not Customer.objects.exists()


def test_out_of_scope_customer_numbers_and_units_are_refused(world, lead_client, make_customer):
    make_customer(world.rm2, customer_no="X001", name="外行客户")
    job = upload(
        lead_client,
        xlsx(
            [row("X001", "改名", mobile="13900000301"), row("X002", "外机构", mobile="13900000302", org_unit_code="T2")]
        ),
    )
    assert job.status == "failed" and {e["row"] for e in job.errors} == {2, 3}
    assert Customer.objects.get(customer_no="X001").name == "外行客户"


def test_holdings_import_recomputes_aum_and_tier(world, lead_client, ids):
    upload(lead_client, xlsx(good_rows(world, ids)))
    header = ["客户号", "产品代码", "账号", "余额", "开户日期", "销户日期"]
    content = xlsx(
        [
            ["K001", "WM-STABLE", "A-1", "1500000", "2024-01-05", ""],
            ["K001", "DEP-CUR", "A-2", "600000.50", "", ""],
            ["K002", "LN-MORTGAGE", "L-1", "800000", "", ""],
        ],
        header=header,
    )
    job = upload(lead_client, content, name="holdings.xlsx", kind="holdings")
    assert job.status == "done", job.errors
    k1 = Customer.objects.get(customer_no="K001")
    assert k1.aum == Decimal("2100000.50") and k1.deposits == Decimal("600000.50") and k1.tier.code == "diamond"
    assert Customer.objects.get(customer_no="K002").loans == Decimal("800000.00")
    again = upload(lead_client, content, name="holdings.xlsx", kind="holdings")
    assert (again.created_count, again.updated_count, again.unchanged_count) == (0, 0, 3)
    bad = upload(
        lead_client,
        xlsx([["K001", "NOPE", "A-9", "1", "", ""], ["K001", "DEP-CUR", "A-2", "x", "", ""]], header=header),
        name="h2.xlsx",
        kind="holdings",
    )
    assert bad.status == "failed" and bad.error_count == 2
    assert Holding.objects.count() == 3


def test_progress_and_api(world, api_client, ids):
    client = api_client(world.lead)
    content = xlsx(good_rows(world, ids))
    resp = client.post("/api/customers/imports", {"kind": "customers", "file": SimpleUploadedFile("c.xlsx", content)})
    assert resp.status_code == 201, resp.content
    body = client.get(f"/api/customers/imports/{resp.json()['id']}").json()
    assert body["status"] == "done" and body["percent"] == 100 and body["processed_rows"] == 4
    assert api_client(world.rm).get(f"/api/customers/imports/{resp.json()['id']}").status_code == 404
    assert (
        api_client(world.rm).post("/api/customers/imports", {"file": SimpleUploadedFile("c.xlsx", content)}).status_code
        == 403
    )


def test_wrong_file_type_and_missing_header(world, lead_client):
    resp = lead_client.post(
        reverse("customers:import"), {"kind": "customers", "file": SimpleUploadedFile("a.txt", b"x")}
    )
    assert resp.status_code == 200 and "只支持" in resp.content.decode()
    job = upload(lead_client, csv_bytes([["1", "2"]], header=["foo", "bar"]), name="x.csv")
    assert job.status == "failed" and "客户号" in job.errors[0]["message"]


def test_progress_is_reported_while_validating(world, lead_client, monkeypatch):
    from rmdesk.customers import importer

    seen = []
    real = importer._progress

    def spy(job, n):
        seen.append((ImportJob.objects.get(pk=job.pk).status, n))
        real(job, n)

    monkeypatch.setattr(importer, "PROGRESS_EVERY", 10)
    monkeypatch.setattr(importer, "_progress", spy)
    rows = [row(f"P{i:03d}", f"客户{i}", mobile=f"1380000{i:04d}") for i in range(35)]
    job = upload(lead_client, xlsx(rows))
    assert job.status == "done" and job.created_count == 35
    assert [n for _s, n in seen] == [10, 20, 30, 35] and {s for s, _n in seen} == {"validating"}
    html = lead_client.get(reverse("customers:import_detail", args=[job.pk]), HTTP_HX_REQUEST="true").content.decode()
    assert "<html" not in html and 'data-status="done"' in html and "hx-trigger" not in html


def test_running_job_page_polls(world, lead_client):
    from django.core.files.base import ContentFile

    job = ImportJob(
        kind="customers",
        original_name="big.xlsx",
        created_by=world.lead,
        status="validating",
        total_rows=1000,
        processed_rows=250,
    )
    job.file.save("big.xlsx", ContentFile(b"x"), save=False)
    job.save()
    html = lead_client.get(reverse("customers:import_detail", args=[job.pk])).content.decode()
    assert 'hx-trigger="every 2s"' in html and "width:25%" in html and "250 / 1000" in html


def test_metric_columns_feed_other_tier_sets(world, lead_client):
    from rmdesk.customers.models import Tier, TierRuleSet
    from rmdesk.customers.services import activate_rule_set

    rs = TierRuleSet.objects.create(code="telecom", name="电信VIP", metric="monthly_spend")
    for rank, (code, threshold) in enumerate([("silver", "100"), ("gold", "300"), ("diamond", "800")], start=1):
        Tier.objects.create(rule_set=rs, code=code, name=code, rank=rank, threshold=Decimal(threshold))
    activate_rule_set(world.admin, rs.pk)
    header = [*HEADER, "指标:monthly_spend"]
    rows = [[*row("T1", "甲", mobile="13900000401"), "950"], [*row("T2", "乙", mobile="13900000402"), "120"]]
    job = upload(lead_client, xlsx(rows, header=header))
    assert job.status == "done", job.errors
    assert {c.customer_no: c.tier.code for c in Customer.objects.select_related("tier")} == {
        "T1": "diamond",
        "T2": "silver",
    }
    again = upload(lead_client, xlsx(rows, header=header))
    assert again.unchanged_count == 2
    rows[1][-1] = "400"
    upload(lead_client, xlsx(rows, header=header))
    t2 = Customer.objects.get(customer_no="T2")
    assert t2.tier.code == "gold" and t2.metrics == {"monthly_spend": "400.00"}
    assert t2.tier_changes.latest("id").direction == "up"
