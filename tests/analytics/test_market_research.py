"""The market research report (市场调研报告, SPEC §11; seed 001:563–569), configured as a work journal template by
analytics' seed migration: its sections (the four kinds of research and the steps from purpose to conclusions),
the RM fills and submits it, the team lead returns it with comments and then accepts it; stale versions are 409,
missing sections 422 with their paths, another team's lead gets 404, every step is audited."""

import pytest

from rmdesk.core.models import AuditEvent
from rmdesk.work.models import Journal, JournalTemplate

pytestmark = pytest.mark.django_db

KEYS = ["purpose", "design", "environment", "marketing_mix", "customers", "competitors", "collection", "conclusions"]


def test_the_template_has_the_seeds_sections():
    template = JournalTemplate.objects.get(code="market_research")
    assert template.name == "市场调研报告" and template.period == "quarter" and not template.required
    assert [s["key"] for s in template.sections] == KEYS
    titles = "".join(s["title"] for s in template.sections)
    for words in ("调研目的和范围", "调查方案", "市场环境", "营销组合", "客户", "竞争对手", "结论和建议"):
        assert words in titles


def test_rm_fills_lead_returns_then_accepts(world, api_client):
    rm, lead = api_client(world.rm), api_client(world.lead)
    opened = rm.post("/api/work/journals", {"template": "market_research"}, content_type="application/json")
    assert opened.status_code == 201, opened.content
    journal = opened.json()
    jid, version = journal["id"], journal["version"]
    assert set(journal["content"]) == set(KEYS)

    # every section is required on submitting: 422 naming the missing ones
    partial = {"purpose": "了解本区域小微企业结算需求", "competitors": "两家同业网点的收费与服务"}
    resp = rm.post(
        f"/api/work/journals/{jid}/submit", {"version": version, "content": partial}, content_type="application/json"
    )
    assert resp.status_code == 422
    missing = {tuple(d["loc"]) for d in resp.json()["detail"]}
    assert missing == {("body", "content", k) for k in KEYS if k not in partial}

    full = {k: f"{k} 的调研内容" for k in KEYS}
    saved = rm.put(f"/api/work/journals/{jid}", {"version": version, "content": full}, content_type="application/json")
    assert saved.status_code == 200
    # a stale version is refused (409), nothing written
    stale = rm.put(f"/api/work/journals/{jid}", {"version": version, "content": {}}, content_type="application/json")
    assert stale.status_code == 409
    version = saved.json()["version"]
    submitted = rm.post(f"/api/work/journals/{jid}/submit", {"version": version}, content_type="application/json")
    assert submitted.status_code == 200 and submitted.json()["status"] == "submitted"
    version = submitted.json()["version"]

    # another team's lead does not see it at all
    other = api_client(world.lead2)
    assert other.get(f"/api/work/journals/{jid}").status_code == 404
    resp = other.post(
        f"/api/work/journals/{jid}/review", {"version": version, "approve": True}, content_type="application/json"
    )
    assert resp.status_code == 404

    # returned with comments, revised, resubmitted, accepted
    returned = lead.post(
        f"/api/work/journals/{jid}/review",
        {"version": version, "approve": False, "comment": "请补充竞争对手的价格对比"},
        content_type="application/json",
    )
    assert returned.status_code == 200 and returned.json()["status"] == "returned"
    version = returned.json()["version"]
    again = rm.post(
        f"/api/work/journals/{jid}/submit",
        {"version": version, "content": {**full, "competitors": "两家同业的价格对比表"}},
        content_type="application/json",
    )
    assert again.status_code == 200
    accepted = lead.post(
        f"/api/work/journals/{jid}/review",
        {"version": again.json()["version"], "approve": True, "comment": "同意"},
        content_type="application/json",
    )
    assert accepted.status_code == 200 and accepted.json()["status"] == "approved"
    journal = Journal.objects.get(pk=jid)
    assert journal.content["competitors"] == "两家同业的价格对比表" and journal.reviewer == world.lead
    actions = list(
        AuditEvent.objects.filter(object_id=str(jid), action__startswith="work.journal")
        .values_list("action", flat=True)
        .order_by("id")
    )
    assert actions == [
        "work.journal_opened",
        "work.journal_saved",
        "work.journal_submitted",
        "work.journal_returned",
        "work.journal_submitted",
        "work.journal_approved",
    ]
    # the RM's report index points to it
    from django.test import Client

    page = Client()
    page.force_login(world.rm)
    html = page.get("/analytics/reports/").content.decode()
    assert "市场调研报告" in html and "/work/journals/" in html
