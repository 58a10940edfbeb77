"""Thresholds edited on a page (SPEC §8 "thresholds in the database"; issue 14): compliance officers and
administrators change them, every other role is refused (404 on the page, RoleRefused in the service);
bad values are a field error and write nothing; a stale version is 409; each change is audited with
the old and the new value, and the anomaly rules read the new value."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from rmdesk.compliance import services
from rmdesk.compliance.models import Threshold
from rmdesk.core.actions import RoleRefused, StaleVersion
from rmdesk.core.models import AuditEvent
from tests.scope_matrix import EXEMPT, USERS

pytestmark = pytest.mark.django_db
EXEMPT["compliance:threshold_edit"] = "thresholds are bank-wide configuration, not scoped records (roles tested)"
EDITORS = {"compliance", "admin"}


def _t(code):
    return Threshold.objects.get(code=code)


def test_seeded_including_the_fee_tolerance():
    assert _t("fee_tolerance_percent").value == Decimal("0")
    assert _t("gift_limit").value == Decimal("200")


def test_service_rules_stale_version_and_audit(world):
    t = _t("exports_per_day")
    for value, message in (
        (Decimal("-1"), "不能为负数"),
        (Decimal("2.5"), "整数"),
        (None, "请填写数值"),
    ):
        with pytest.raises(ValidationError) as exc:
            services.set_threshold(world.compliance, t.pk, value=value, version=1)
        assert message in exc.value.message_dict["value"][0]
    with pytest.raises(ValidationError) as exc:
        services.set_threshold(world.compliance, _t("work_start_hour").pk, value=Decimal("22"), version=1)
    assert "早于" in exc.value.message_dict["value"][0]
    with pytest.raises(ValidationError):
        services.set_threshold(world.compliance, _t("work_end_hour").pk, value=Decimal("25"), version=1)
    with pytest.raises(ValidationError):
        services.set_threshold(world.compliance, _t("fee_tolerance_percent").pk, value=Decimal("101"), version=1)
    assert not AuditEvent.objects.filter(action="compliance.threshold_set").exists()
    services.set_threshold(world.compliance, t.pk, value=Decimal("5"), version=1)
    assert (_t("exports_per_day").value, _t("exports_per_day").version) == (Decimal("5"), 2)
    assert services.threshold("exports_per_day") == Decimal("5")  # what the anomaly rules read
    event = AuditEvent.objects.get(action="compliance.threshold_set", object_id=str(t.pk))
    assert event.summary["before"] == {"value": "3.00"} or event.summary["before"]["value"] in ("3", "3.00", 3)
    with pytest.raises(StaleVersion):
        services.set_threshold(world.admin, t.pk, value=Decimal("6"), version=1)
    services.set_threshold(world.admin, _t("gift_limit").pk, value=Decimal("150.50"), version=1)
    assert _t("gift_limit").value == Decimal("150.50")


@pytest.mark.parametrize("username", USERS)
def test_every_role_on_the_page_and_the_service(client, world, username):
    user = getattr(world, username)
    t = _t("exports_per_day")
    client.force_login(user)
    page = client.get("/compliance/thresholds/")
    resp = client.post(f"/compliance/thresholds/{t.pk}/", {"value": "4", "version": "1"})
    if username in EDITORS:
        assert page.status_code == 200 and 'data-code="exports_per_day"' in page.content.decode()
        assert resp.status_code == 302 and _t("exports_per_day").value == Decimal("4")
    else:
        assert page.status_code == 404 and resp.status_code == 404
        assert _t("exports_per_day").value == Decimal("3")
        with pytest.raises(RoleRefused):
            services.set_threshold(user, t.pk, value=Decimal("4"), version=1)


def test_page_errors_next_to_the_value_and_409(client, world):
    client.force_login(world.compliance)
    t = _t("work_end_hour")
    resp = client.post(f"/compliance/thresholds/{t.pk}/", {"value": "abc", "version": "1"})
    assert resp.status_code == 422 and "请输入有效的数字" in resp.content.decode()
    resp = client.post(f"/compliance/thresholds/{t.pk}/", {"value": "5", "version": "1"})
    assert resp.status_code == 422 and "工作开始时间须早于工作结束时间" in resp.content.decode()
    assert client.post(f"/compliance/thresholds/{t.pk}/", {"value": "20", "version": "1"}).status_code == 302
    resp = client.post(f"/compliance/thresholds/{t.pk}/", {"value": "19", "version": "1"})
    assert resp.status_code == 409 and _t("work_end_hour").value == Decimal("20")
    assert client.post("/compliance/thresholds/999999/", {"value": "1", "version": "1"}).status_code == 404
