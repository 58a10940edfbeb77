"""Pages of the performance app (SPEC §9): the scorecard editor with the AHP matrix and its live CR, the
refusal of CR ≥ 0.1 next to the matrix, computing and publishing from the run page, the RM's breakdown
with the drill-down, the pay sheet in Excel, letters and manual values."""

import io
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from rmdesk.core.indicators import Measure
from rmdesk.performance.models import AssessmentRun, Scorecard

from .conftest import VALUES

pytestmark = pytest.mark.django_db


def _login(client, user):
    client.force_login(user)
    return client


def _card_form(test_indicators, matrix):
    t = test_indicators
    data = {
        "name": "AHP方案",
        "year": "2026",
        "period_type": "monthly",
        "weight_method": "ahp",
        "grade_method": "thresholds",
        "ahp_matrix": matrix,
    }
    for i, (code, lo, hi) in enumerate(
        (("t.sales", "0", "100"), ("t.coverage", "0", "100"), ("t.complaints", "0", "4"))
    ):
        data |= {
            f"item-{i}-kind": "quantitative",
            f"item-{i}-indicator": str(t[code].pk),
            f"item-{i}-normalisation": "linear",
            f"item-{i}-x_low": lo,
            f"item-{i}-x_high": hi,
        }
    return data


def test_editor_saves_ahp_weights_and_refuses_an_inconsistent_matrix(client, world, test_indicators):
    c = _login(client, world.lead)
    assert c.get("/performance/scorecards/new/").status_code == 200
    data = _card_form(test_indicators, "1 9 1/9\n1/9 1 9\n9 1/9 1") | {"unit": str(world.t1.pk)}
    resp = c.post("/performance/scorecards/new/", data)
    assert resp.status_code == 422
    assert "CR = " in resp.content.decode() and not Scorecard.objects.filter(name="AHP方案").exists()
    resp = c.post("/performance/scorecards/new/", data | {"ahp_matrix": "1 3 5\n1/3 1 3\n1/5 1/3 1"})
    assert resp.status_code == 302
    card = Scorecard.objects.get(name="AHP方案")
    assert [round(float(i.weight), 3) for i in card.items.order_by("order")] == [0.637, 0.258, 0.105]
    page = c.get(f"/performance/scorecards/{card.pk}/").content.decode()
    assert "1/3" in page  # the matrix is shown as typed fractions


def test_live_cr_fragment(client, world):
    c = _login(client, world.lead)
    html = c.post("/performance/ahp/", {"ahp_matrix": "1 3 5\n1/3 1 3\n1/5 1/3 1"}).content.decode()
    assert "CR = 0.0332" in html and "0.6370" in html
    html = c.post("/performance/ahp/", {"ahp_matrix": "1 2\n3 1"}).content.decode()
    assert "倒数" in html


def test_compute_publish_breakdown_drill_down_and_pay_sheet(client, world, card, make_customer):
    VALUES.update({"t.sales": {"rm": Measure(Decimal(80))}})
    c = _login(client, world.lead)
    resp = c.post("/performance/runs/compute/", {"scorecard": card.pk, "unit": world.t1.pk, "year": 2026, "number": 3})
    run = AssessmentRun.objects.get()
    assert resp.status_code == 302 and resp["Location"] == f"/performance/runs/{run.pk}/"
    html = c.get(f"/performance/runs/{run.pk}/").content.decode()
    assert "rm" in html and 'data-testid="review"' in html
    assert c.post(f"/performance/runs/{run.pk}/act/publish/", {"version": run.version}).status_code == 422
    c.post(f"/performance/runs/{run.pk}/act/review/", {"version": run.version})
    c.post(f"/performance/runs/{run.pk}/act/publish/", {"version": run.version + 1})
    c.post(f"/performance/runs/{run.pk}/act/pay/", {"version": run.version + 2})
    xlsx = c.get(f"/performance/runs/{run.pk}/pay.xlsx")
    assert xlsx.status_code == 200
    rows = [list(r) for r in load_workbook(io.BytesIO(xlsx.content)).active.iter_rows(values_only=True)]
    assert rows[0][0] == "工号" and rows[-1][1] == "合计" and len(rows) == 4  # head, two RMs, total
    result = run.results.get(rm=world.rm)
    rm = _login(type(client)(), world.rm)
    page = rm.get(f"/performance/results/{result.pk}/").content.decode()
    assert 'data-testid="breakdown"' in page and "销售额" in page and 'data-testid="chart-trend"' in page
    item = result.items.get(code="t.sales")
    assert rm.get(f"/performance/items/{item.pk}/records/").status_code == 200
    assert rm.get("/performance/").status_code == 200


def test_compute_errors_are_shown_next_to_the_fields(client, world, card):
    c = _login(client, world.lead)
    resp = c.post("/performance/runs/compute/", {"scorecard": "", "unit": world.t1.pk, "year": 2026})
    assert resp.status_code == 422 and "请选择考核方案" in resp.content.decode()
    resp = c.post("/performance/runs/compute/", {"scorecard": card.pk, "unit": world.t2.pk, "year": 2026, "number": 1})
    assert resp.status_code == 422 and "只能考核本人管辖的机构" in resp.content.decode()
    resp = c.post("/performance/runs/compute/", {"scorecard": card.pk, "unit": world.t1.pk, "year": "x"})
    assert resp.status_code == 422


def test_letter_and_manual_value_pages(client, world, test_indicators, manual_indicator):
    c = _login(client, world.lead)
    resp = c.post(
        "/performance/letters/",
        {"rm": world.rm.pk, "year": 2026, "t-0-indicator": test_indicators["t.sales"].pk, "t-0-annual": "1200"},
    )
    assert resp.status_code == 302
    letter_url = resp["Location"]
    rm = _login(type(client)(), world.rm)
    page = rm.get(letter_url).content.decode()
    assert "SHA-256" in page and 'data-testid="sign"' in page
    resp = c.post(
        "/performance/indicators/",
        {
            "indicator": manual_indicator.pk,
            "rm": world.rm.pk,
            "period_start": "2026-03-01",
            "period_end": "2026-03-31",
            "value": "80",
            "note": "",
        },
    )
    assert resp.status_code == 422 and "请填写说明" in resp.content.decode()
    for url in ("/performance/runs/", "/performance/scorecards/", "/performance/advice/", "/performance/indicators/"):
        assert c.get(url).status_code == 200, url
    assert rm.get("/performance/runs/").status_code == 404  # supervisors' pages


def test_editor_sets_grade_thresholds_and_quotas_with_field_errors(client, world, test_indicators):
    """The scorecard's own grade thresholds and forced-distribution ceilings are edited on the page; a bad
    figure is refused next to its field (422) and nothing is saved."""
    c = _login(client, world.lead)
    base = _card_form(test_indicators, "1 3 5\n1/3 1 3\n1/5 1/3 1") | {"unit": str(world.t1.pk), "name": "分数线方案"}
    html = c.get("/performance/scorecards/new/").content.decode()
    assert 'name="threshold_excellent"' in html and 'name="quota_basic"' in html
    resp = c.post("/performance/scorecards/new/", base | {"threshold_good": "95"})  # above 优秀's default 90
    assert resp.status_code == 422 and "分数线应低于上一等次的分数线" in resp.content.decode()
    resp = c.post("/performance/scorecards/new/", base | {"threshold_pass": "abc"})
    assert resp.status_code == 422 and "请输入数字" in resp.content.decode()
    resp = c.post("/performance/scorecards/new/", base | {"quota_excellent": "80", "quota_good": "30"})
    assert resp.status_code == 422 and "合计不超过 100%" in resp.content.decode()
    assert not Scorecard.objects.filter(name="分数线方案").exists()
    resp = c.post(
        "/performance/scorecards/new/",
        base | {"grade_method": "forced", "threshold_excellent": "92", "quota_excellent": "10", "quota_good": "30"},
    )
    assert resp.status_code == 302
    card = Scorecard.objects.get(name="分数线方案")
    assert (card.grade_method, card.thresholds, card.quotas) == (
        "forced",
        {"excellent": "92"},
        {"excellent": "10", "good": "30"},
    )
    html = c.get(f"/performance/scorecards/{card.pk}/").content.decode()
    assert 'name="threshold_excellent" value="92"' in html
