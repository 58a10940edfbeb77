"""Versioned manual values (SPEC §9: manual indicators entered by a supervisor with a note): a change keeps
the previous value as a version (who, when, note), the page and the API show the history, a stale change is
409 and writes nothing, bad input is a field error, and a published run's snapshot never changes."""

from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse

from rmdesk.core.actions import StaleVersion
from rmdesk.core.models import AuditEvent
from rmdesk.performance import services
from rmdesk.performance.models import ManualValue, ManualValueVersion, ResultItem

from .conftest import item, ver

pytestmark = pytest.mark.django_db
D = Decimal
MARCH = {"period_start": date(2026, 3, 1), "period_end": date(2026, 3, 31)}


def _enter(world, indicator, value="80", note="季度检查得分", **kw):
    return services.enter_manual_value(
        world.lead, indicator.pk, rm_id=world.rm.pk, value=value, note=note, **MARCH, **kw
    )


def test_a_change_keeps_the_previous_value_as_a_version(world, manual_indicator):
    row = _enter(world, manual_indicator)
    assert (row.version, row.value, row.history.count()) == (1, D("80"), 0)
    services.change_manual_value(world.manager, row.pk, value="85.5", note="复核后调整", version=1)
    row = ManualValue.objects.get(pk=row.pk)
    assert (row.value, row.note, row.entered_by, row.version) == (D("85.5"), "复核后调整", world.manager, 2)
    old = row.history.get()
    assert (old.version, old.value, old.note, old.entered_by) == (1, D("80"), "季度检查得分", world.lead)
    # entering the same RM and period again is a change too: with the version read, else refused
    with pytest.raises(ValidationError) as exc:
        _enter(world, manual_indicator, value="90")
    assert "version" in exc.value.message_dict
    _enter(world, manual_indicator, value="90", note="第三次", version=2)
    assert list(ManualValueVersion.objects.filter(manual_value=row).values_list("version", "value")) == [
        (2, D("85.5")),
        (1, D("80")),
    ]
    events = AuditEvent.objects.filter(object_id=str(row.pk), action__startswith="performance.")
    assert sorted(events.values_list("action", flat=True)) == [
        "performance.change_manual_value",
        "performance.change_manual_value",
        "performance.enter_manual_value",
    ]
    last = events.filter(action="performance.change_manual_value").order_by("-id").first()
    assert last.summary["before"]["value"] == "85.5000" and last.summary["after"]["value"] == "90"


def test_stale_or_bad_changes_write_nothing(world, manual_indicator):
    row = _enter(world, manual_indicator)
    services.change_manual_value(world.lead, row.pk, value="81", note="更正", version=1)
    with pytest.raises(StaleVersion):
        services.change_manual_value(world.manager, row.pk, value="99", note="旧页面", version=1)
    for bad, field in (({"value": "abc", "note": "x"}, "value"), ({"value": "1", "note": "  "}, "note")):
        with pytest.raises(ValidationError) as exc:
            services.change_manual_value(world.lead, row.pk, version=2, **bad)
        assert field in exc.value.message_dict
    row = ManualValue.objects.get(pk=row.pk)
    assert (row.value, row.version, row.history.count()) == (D("81"), 2, 1)


def test_published_snapshot_never_changes_when_the_value_does(world, manual_indicator):
    _enter(world, manual_indicator, value="80")
    card = services.save_scorecard(
        world.lead,
        name="专项检查",
        year=2026,
        period_type="monthly",
        unit_id=world.t1.pk,
        items=[item(manual_indicator, weight="1", x_low="0", x_high="100")],
    )
    run = services.compute_run(world.lead, card.pk, unit_id=world.t1.pk, year=2026, number=3)
    services.review_run(world.lead, run.pk, version=ver(run))
    services.publish_run(world.lead, run.pk, version=ver(run))
    mine = run.results.get(rm=world.rm)
    row = ManualValue.objects.get(rm=world.rm)
    services.change_manual_value(world.lead, row.pk, value="20", note="检查结果更正", version=row.version)
    mine.refresh_from_db()
    snap = ResultItem.objects.get(result=mine)
    assert (mine.score, snap.value, snap.mu) == (D("80"), D("80"), D("0.8"))
    # the engine reads today's value for anything computed from now on
    fresh_eval = services.evaluate(card, [world.rm], date(2026, 3, 1), date(2026, 3, 31))
    assert fresh_eval[0]["score"] == D("20")


def test_the_page_shows_the_history_and_refuses_a_stale_form(world, manual_indicator):
    row = _enter(world, manual_indicator)
    c = Client()
    c.force_login(world.lead)
    url = reverse("performance:manual_value_detail", args=[row.pk])
    resp = c.post(url, {"value": "70", "note": "按检查报告更正", "version": "1"})
    assert resp.status_code == 302
    page = c.get(url).content.decode()
    assert "按检查报告更正" in page and "季度检查得分" in page and 'data-testid="manual-history"' in page
    resp = c.post(url, {"value": "60", "note": "旧页面提交", "version": "1"})
    assert resp.status_code == 422 and "该记录已被他人修改" in resp.content.decode()
    resp = c.post(url, {"value": "x", "note": "", "version": "2"})
    body = resp.content.decode()
    assert resp.status_code == 422 and "请输入数字" in body and "请填写说明" in body
    assert ManualValue.objects.get(pk=row.pk).value == D("70")
    listing = c.get(reverse("performance:indicator_list")).content.decode()
    assert url in listing


def test_api_history_409_and_field_paths(world, manual_indicator, api_client):
    row = _enter(world, manual_indicator)
    lead = api_client(world.lead)
    url = f"/api/performance/manual-values/{row.pk}"
    resp = lead.put(url, {"value": "88", "note": "更正", "version": 1}, content_type="application/json")
    assert resp.status_code == 200, resp.content
    body = resp.json()
    assert (D(body["value"]), body["version"]) == (D(88), 2)
    assert [(h["version"], D(h["value"]), h["note"]) for h in body["history"]] == [(1, D(80), "季度检查得分")]
    resp = lead.put(url, {"value": "1", "note": "旧", "version": 1}, content_type="application/json")
    assert resp.status_code == 409
    resp = lead.put(url, {"value": "1", "note": " ", "version": 2}, content_type="application/json")
    assert resp.status_code == 422 and any(e["loc"][-1] == "note" for e in resp.json()["detail"])
    resp = lead.put(url, {"value": "abc", "note": "x", "version": 2}, content_type="application/json")
    assert resp.status_code == 422 and any(e["loc"][-1] == "value" for e in resp.json()["detail"])
    resp = lead.post(
        "/api/performance/manual-values",
        {"indicator_id": manual_indicator.pk, "rm_id": world.rm.pk, "period_start": "2026-03-01",
         "period_end": "2026-03-31", "value": "5", "note": "重复录入"},
        content_type="application/json",
    )  # fmt: skip
    assert resp.status_code == 422 and any(e["loc"][-1] == "version" for e in resp.json()["detail"])
    assert D(lead.get(url).json()["value"]) == D(88)
    again = {"indicator_id": manual_indicator.pk, "rm_id": world.rm.pk, "period_start": "2026-03-01",
             "period_end": "2026-03-31", "value": "89", "note": "再次录入", "version": 2}  # fmt: skip
    assert lead.post("/api/performance/manual-values", again, content_type="application/json").status_code == 201
    assert lead.post("/api/performance/manual-values", again, content_type="application/json").status_code == 409
    assert [h["version"] for h in lead.get(url).json()["history"]] == [2, 1]
    assert api_client(world.lead2).get(url).status_code == 404
    assert ManualValue.objects.get(pk=row.pk).version == 3
