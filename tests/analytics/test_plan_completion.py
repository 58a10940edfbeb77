"""Targets against actual (SPEC §9 target letters, §11 plan completion; issue 16): the performance app's active
letters published through the kernel registry (rmdesk.core.targets), the actual from the kernel indicators,
exact figures per RM, team and unit on hand-made letters, the viewer's scope, the RM's dashboard, the API's
422 with field paths, the Excel cells' types and the PDF's Chinese text."""

import io
import subprocess
from datetime import date
from decimal import Decimal

import openpyxl
import pytest
from django.utils import timezone

from rmdesk.analytics.dashboards import rm_dashboard
from rmdesk.analytics.reports import parse_filters
from rmdesk.analytics.reports_plan import completion, plan_completion
from rmdesk.core import indicators, targets
from rmdesk.core.indicators import Direction, Indicator, Measure
from rmdesk.core.models import AuditEvent
from rmdesk.performance.models import (
    IndicatorSetting,
    IndicatorSource,
    LetterStatus,
    ManualValue,
    TargetLetter,
    TargetLine,
)

pytestmark = pytest.mark.django_db

YEAR = timezone.localdate().year
START, END = date(YEAR, 1, 1), date(YEAR, 2, 15)  # January and February: two months' targets
VALUES: dict[str, dict[int, Measure]] = {}


def _compute(code):
    def compute(start, end, rm_ids):
        return {pk: m for pk, m in VALUES.get(code, {}).items() if pk in set(rm_ids)}

    return compute


TEST_INDICATORS = [
    Indicator("t.sales", "销售额", "万元", _compute("t.sales")),
    Indicator("t.complaints", "投诉件数", "件", _compute("t.complaints"), direction=Direction.LOWER),
    Indicator("t.coverage", "覆盖率", "%", _compute("t.coverage"), percent=True),
]


@pytest.fixture
def letters(world, monkeypatch):
    """Active letters of this year: rm sales 10 a month, complaints at most 1 a month, coverage 80 %, a manual
    indicator 2 a month; rm_b sales 20 a month; rm_t1b sales 5 a month; rm2 (the other branch) sales 7 a month.
    A draft letter of rm_b (not counted) and a superseded one of rm (not counted)."""
    reg = dict(indicators.registry())
    reg.update({i.code: i for i in TEST_INDICATORS})
    monkeypatch.setattr("rmdesk.core.indicators.registry", lambda: reg)
    settings = {
        i.code: IndicatorSetting.objects.create(
            code=i.code, name=i.name, unit=i.unit, direction=i.direction, source=IndicatorSource.COMPUTED
        )
        for i in TEST_INDICATORS
    }
    settings["m.visits"] = IndicatorSetting.objects.create(
        code="m.visits", name="走访商户", unit="户", source=IndicatorSource.MANUAL
    )

    def letter(rm, status=LetterStatus.ACTIVE, number=1, **monthly):
        made = TargetLetter.objects.create(
            rm=rm, org_path=(rm.team or rm.unit).path, year=YEAR, number=number, status=status, proposed_by=world.lead
        )
        for code, per_month in monthly.items():
            per_month = Decimal(per_month)
            code = code.replace("_", ".", 1)
            TargetLine.objects.create(
                letter=made,
                indicator=settings[code],
                annual=per_month if code == "t.coverage" else per_month * 12,
                quarters=[str(per_month * 3)] * 4,
                months=[str(per_month)] * 12,
            )
        return made

    letter(world.rm, status=LetterStatus.SUPERSEDED, number=1, t_sales="99")
    letter(world.rm, number=2, t_sales="10", t_complaints="1", t_coverage="80", m_visits="2")
    letter(world.rm_b, t_sales="20")
    letter(world.rm_b, status=LetterStatus.DRAFT, number=2, t_sales="500")
    letter(world.rm_t1b, t_sales="5")
    letter(world.rm2, t_sales="7")
    ManualValue.objects.create(
        indicator=settings["m.visits"],
        rm=world.rm,
        org_path=world.t1.path,
        period_start=date(YEAR, 1, 1),
        period_end=date(YEAR, 1, 31),
        value=Decimal("3"),
        note="一月",
        entered_by=world.lead,
    )
    VALUES.clear()
    VALUES["t.sales"] = {
        world.rm.pk: Measure(Decimal(25)),
        world.rm_b.pk: Measure(Decimal(10)),
        world.rm2.pk: Measure(Decimal(14)),
    }
    VALUES["t.complaints"] = {world.rm.pk: Measure(Decimal(1))}
    VALUES["t.coverage"] = {world.rm.pk: Measure.ratio(3, 4)}
    yield settings
    VALUES.clear()


def rows(report, table_id):
    return next(t for t in report.tables if t.id == table_id).rows


def test_the_kernel_registry_answers_the_letters_targets(world, letters):
    found = {(t.rm_id, t.code): t for t in targets.targets_for([world.rm.pk, world.rm_b.pk], START, END)}
    assert found[(world.rm.pk, "t.sales")].target == Decimal(20)  # two months of the active letter, not v1's 99
    assert found[(world.rm.pk, "t.coverage")].target == Decimal(80) and found[(world.rm.pk, "t.coverage")].percent
    assert found[(world.rm_b.pk, "t.sales")].target == Decimal(40)  # the draft's 500 does not count
    manual = found[(world.rm.pk, "m.visits")]
    assert (manual.computed, manual.target, manual.actual) == (False, Decimal(4), Decimal(3))
    assert len(found) == 5
    # a whole year is the annual figure; a period over two years adds the months of each year's letter
    year = {t.code: t.target for t in targets.targets_for([world.rm.pk], date(YEAR, 1, 1), date(YEAR, 12, 31))}
    assert year["t.sales"] == Decimal(120)
    assert targets.targets_for([], START, END) == []


def test_completion_rules():
    assert completion(Decimal(20), Decimal(25)) == Decimal("125.0")
    assert completion(Decimal(2), Decimal(1), lower_better=True) == Decimal("200.0")
    assert completion(Decimal(2), Decimal(0), lower_better=True) == Decimal("100.0")
    assert completion(Decimal(0), Decimal(5)) is None and completion(Decimal(5), None) is None


def test_rm_sees_only_their_own_targets_with_exact_figures(world, letters):
    report = plan_completion(world.rm, START, END, world.t1)
    assert rows(report, "plan-completion-rm") == [
        ["rm", "一队", "走访商户（户）", Decimal("4.00"), Decimal("3.00"), Decimal("75.0")],
        ["rm", "一队", "投诉件数（件）", Decimal("2.00"), Decimal("1.00"), Decimal("200.0")],
        ["rm", "一队", "覆盖率（%）", Decimal("80.00"), Decimal("75.00"), Decimal("93.8")],
        ["rm", "一队", "销售额（万元）", Decimal("20.00"), Decimal("25.00"), Decimal("125.0")],
    ]
    assert [t.id for t in report.tables][:2] == ["plan-completion-chart", "plan-completion-rm"]
    assert "plan-completion-team" not in [t.id for t in report.tables]


def test_team_lead_sees_the_team_rolled_up_and_never_another_team(world, letters):
    report = plan_completion(world.lead, START, END, world.t1)
    per_rm = rows(report, "plan-completion-rm")
    assert {r[0] for r in per_rm} == {"rm", "rm_b"}
    assert ["rm_b", "一队", "销售额（万元）", Decimal("40.00"), Decimal("10.00"), Decimal("25.0")] in per_rm
    team = rows(report, "plan-completion-team")
    assert ["一队", "销售额（万元）", Decimal("60.00"), Decimal("35.00"), Decimal("58.3")] in team
    # a rate rolls up as Σnumerator / Σdenominator; its target is the one the RMs share (only rm has one here)
    assert ["一队", "覆盖率（%）", Decimal("80.00"), Decimal("75.00"), Decimal("93.8")] in team
    chart = dict(rows(report, "plan-completion-chart"))
    assert chart["销售额（万元）"] == Decimal("58.3") and chart["覆盖率（%）"] == Decimal("93.8")
    other = plan_completion(world.lead2, START, END, world.t2)
    assert rows(other, "plan-completion-rm") == [
        ["rm2", "二队", "销售额（万元）", Decimal("14.00"), Decimal("14.00"), Decimal("100.0")]
    ]


def test_a_team_lead_on_the_default_unit_sees_their_team(world, letters):
    start, end, unit = parse_filters(world.lead, start=START, end=END)  # their home unit: maybe the outlet above
    report = plan_completion(world.lead, start, end, unit)
    assert {r[0] for r in rows(report, "plan-completion-rm")} == {"rm", "rm_b"}  # never 一队乙's rm_t1b


def test_a_rate_with_different_targets_has_no_team_target(world, letters):
    letter = TargetLetter.objects.get(rm=world.rm_b, status=LetterStatus.ACTIVE)
    TargetLine.objects.create(
        letter=letter, indicator=letters["t.coverage"], annual=90, quarters=["90"] * 4, months=["90"] * 12
    )
    team = rows(plan_completion(world.lead, START, END, world.t1), "plan-completion-team")
    # rm_b has no coverage figure: 3 / (4 + 0) is still 75 %, but 80 % and 90 % make no team target
    assert ["一队", "覆盖率（%）", "—", Decimal("75.00"), "—"] in team


def test_the_report_in_english(world, letters):
    from django.utils import translation

    with translation.override("en"):
        report = plan_completion(world.lead, START, END, world.t1)
    assert report.title == "Plan completion report"
    assert [t.title for t in report.tables][:3] == [
        "Target completion (%)",
        "Targets by relationship manager",
        "Targets by team",
    ]


def test_branch_manager_sees_teams_and_units(world, letters):
    report = plan_completion(world.manager, START, END, world.s1)
    assert {r[0] for r in rows(report, "plan-completion-rm")} == {"rm", "rm_b", "rm_t1b"}
    team = rows(report, "plan-completion-team")
    assert ["一队乙", "销售额（万元）", Decimal("10.00"), Decimal("0.00"), Decimal("0.0")] in team
    unit = rows(report, "plan-completion-unit")
    assert ["一网点", "销售额（万元）", Decimal("70.00"), Decimal("35.00"), Decimal("50.0")] in unit
    assert all(r[0] != "二网点" for r in unit)
    # the work plans kept: one row per RM and the total
    plans = rows(report, "plan-completion-work")
    assert [r[0] for r in plans] == ["rm", "rm_b", "rm_t1b", "合计"]


def test_rm_dashboard_shows_this_months_targets(world, letters):
    board = rm_dashboard(world.rm)
    detail = next(t for t in board["tables"] if t.id == "rm-letter")
    sales = next(r for r in detail.rows if r[0] == "销售额（万元）")
    assert sales[1] == Decimal("10.00")  # this month's figure of the letter
    assert sales[2] == Decimal("25.00") and sales[3] == Decimal("250.0")
    chart = next(t for t in board["tables"] if t.id == "rm-letter-rate")
    # the hand-entered figure has no value this month (only January's): shown as such, left out of the chart
    assert ["走访商户（户）", Decimal("2.00"), "—", "—"] in detail.rows
    assert len(detail.rows) == 4 and [r[0] for r in chart.rows] == ["投诉件数（件）", "覆盖率（%）", "销售额（万元）"]
    assert all("/analytics/reports/plan-completion/" in u for u in chart.urls)
    # an RM with a letter but no figure yet: 0 done; without a letter: an empty table saying so
    own = next(t for t in rm_dashboard(world.rm_t1b)["tables"] if t.id == "rm-letter")
    assert own.rows == [["销售额（万元）", Decimal("5.00"), Decimal("0.00"), Decimal("0.0")]]
    TargetLetter.objects.filter(rm=world.rm_t1b).delete()
    empty = next(t for t in rm_dashboard(world.rm_t1b)["tables"] if t.id == "rm-letter")
    assert empty.rows == [] and empty.note == "没有生效的目标责任书。"


def test_api_figures_422_with_paths_and_404_for_non_readers(world, letters, api_client):
    lead = api_client(world.lead)
    resp = lead.get(f"/api/analytics/reports/plan-completion?start={START}&end={END}&unit={world.t1.pk}")
    assert resp.status_code == 200, resp.content
    tables = {t["id"]: t for t in resp.json()["tables"]}
    assert ["一队", "销售额（万元）", "60.00", "35.00", "58.3"] in tables["plan-completion-team"]["rows"]
    bad = lead.get(f"/api/analytics/reports/plan-completion?start={END}&end={START}&unit={world.t2.pk}")
    assert bad.status_code == 422
    assert {tuple(d["loc"]) for d in bad.json()["detail"]} == {("query", "end"), ("query", "unit")}
    assert lead.get("/api/analytics/reports/plan-completion?start=2026-13-01").status_code == 422
    assert api_client(world.assistant).get("/api/analytics/reports/plan-completion").status_code == 404


def test_excel_and_pdf_exports_are_typed_audited_and_chinese(world, letters, client):
    client.force_login(world.lead)
    url = f"/analytics/reports/plan-completion/?start={START}&end={END}&unit={world.t1.pk}"
    page = client.get(url)
    assert page.status_code == 200 and "计划完成情况报告" in page.content.decode()
    xlsx = client.get(url + "&format=xlsx")
    assert xlsx.status_code == 200
    wb = openpyxl.load_workbook(io.BytesIO(xlsx.content))
    ws = wb["团队目标完成情况"]
    assert ws["A1"].value == "团队" and ws.freeze_panes == "A2"
    sales = next(r for r in ws.iter_rows(min_row=2, values_only=True) if r[1] == "销售额（万元）")
    assert sales[2:] == (60, 35, 58.3) and all(isinstance(v, int | float) for v in sales[2:])
    pdf = client.get(url + "&format=pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    text = subprocess.run(["pdftotext", "-", "-"], input=pdf.content, capture_output=True, check=True).stdout.decode()
    assert "计划完成情况报告" in text and "一队" in text
    assert AuditEvent.objects.filter(action="analytics.export_report", object_id="plan-completion").count() == 2


def test_page_refuses_a_unit_out_of_scope_next_to_the_field(world, letters, client):
    client.force_login(world.lead)
    page = client.get(f"/analytics/reports/plan-completion/?start={START}&end={END}&unit={world.t2.pk}")
    assert page.status_code == 200
    html = page.content.decode()
    assert "不在可用的选项中" in html and "plan-completion-rm" not in html  # the form's error, no figures
    start, end, unit = parse_filters(world.lead, start=START, end=END, unit_id=world.t1.pk)
    assert unit == world.t1
