"""Shell: health check, home page in Chinese with the user's unit and roles, English switch, API docs (SPEC §12)."""

import pytest

pytestmark = pytest.mark.django_db


def test_healthz_reports_database(client):
    resp = client.get("/healthz")
    assert resp.status_code == 200
    assert resp.json() == {"status": "ok", "database": True}


def test_home_shows_name_unit_and_roles_in_chinese(client, world):
    client.force_login(world.rm)
    body = client.get("/").content.decode()
    assert "您好，rm" in body and "一队" in body and "客户经理" in body
    assert 'lang="zh-hans"' in body


def test_home_in_english_after_switch(client, world):
    client.force_login(world.rm)
    resp = client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    assert resp.status_code == 302
    body = client.get("/").content.decode()
    assert 'lang="en"' in body
    assert "Hello, rm" in body and "Sign out" in body


def test_anonymous_is_sent_to_login(client, db):
    resp = client.get("/")
    assert resp.status_code == 302 and resp.url.startswith("/login/")


def test_openapi_document_and_docs(client, db):
    doc = client.get("/api/openapi.json")
    assert doc.status_code == 200
    paths = doc.json()["paths"]
    assert "/api/auth/token" in paths and "/api/me" in paths and "/api/org/units" in paths
    assert client.get("/api/docs").status_code == 200


def test_static_assets_are_local(client, world):
    client.force_login(world.rm)
    body = client.get("/").content.decode()
    assert "http://" not in body.replace("http://www.w3.org", "") and "https://" not in body


def test_me_returns_roles_and_unit(api_client, world):
    data = api_client(world.lead).get("/api/me").json()
    assert data["roles"] == ["team_lead"]
    assert data["unit"]["code"] == "O1" and data["team"]["code"] == "T1"
    assert data["role_names"] == ["团队长/网点负责人"]


def test_admin_pages_are_chinese(client, world):
    client.force_login(world.admin)
    body = client.get("/admin/org/orgunit/").content.decode()
    assert "机构" in body


def test_demo_seed_is_idempotent(db):
    from django.core.management import call_command

    from rmdesk.org.models import OrgUnit, User

    call_command("seed_demo", "--scale", "0.02")
    counts = (OrgUnit.objects.count(), User.objects.count())
    call_command("seed_demo", "--scale", "0.02")
    assert (OrgUnit.objects.count(), User.objects.count()) == counts
    assert counts[1] >= 40
    from rmdesk.org.models import RoleCode

    for code in RoleCode.values:
        assert User.objects.filter(roles__code=code).exists(), code
    assert set(User.objects.exclude(rm_level="").values_list("rm_level", flat=True)) == {"1", "2", "3"}


def test_english_browser_still_gets_chinese_until_switch(client, world):
    client.force_login(world.rm)
    body = client.get("/", HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9").content.decode()
    assert 'lang="zh-hans"' in body and "您好" in body
