"""Gift and hospitality register (SPEC §8): refused or handed in is recorded; acceptance only under the
threshold and with a supervisor's approval; over it, refused with nothing written; compliance reviews
each entry and is reminded of unreviewed ones."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from rmdesk.compliance import services
from rmdesk.compliance.models import GiftEntry, GiftStatus, Threshold
from rmdesk.core.models import AuditEvent, Notification

from .conftest import approve

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()


def _gift(user, outcome, value, **kw):
    return services.register_gift(
        user, giver="某贸易公司", offered_on=TODAY, description="月饼礼盒", value=Decimal(value), outcome=outcome, **kw
    )


def test_refused_and_handed_in_are_recorded(world, seeded):
    assert _gift(world.rm, "refused", "500").status == GiftStatus.RECORDED
    g = _gift(world.rm, "handed_in", "3000")
    assert g.status == GiftStatus.RECORDED and g.approval is None and g.org_path == world.t1.path


def test_acceptance_over_the_threshold_is_refused(world, seeded):
    with pytest.raises(ValidationError) as exc:
        _gift(world.rm, "accepted", "200.01")
    assert "不得接受" in exc.value.message_dict["value"][0]
    assert not GiftEntry.objects.exists() and not AuditEvent.objects.filter(action="compliance.gift_register").exists()
    Threshold.objects.filter(code="gift_limit").update(value=Decimal("500"))
    assert _gift(world.rm, "accepted", "300").status == GiftStatus.PENDING  # the limit is data


def test_acceptance_under_the_threshold_needs_approval(world, seeded):
    g = _gift(world.rm, "accepted", "200")
    assert g.status == GiftStatus.PENDING and g.approval.kind == "compliance.gift"
    approve(world.lead, g.approval_id)
    assert GiftEntry.objects.get(pk=g.pk).status == GiftStatus.APPROVED
    g2 = _gift(world.rm, "accepted", "80")
    approve(world.lead, g2.approval_id, decision="reject")
    assert GiftEntry.objects.get(pk=g2.pk).status == GiftStatus.REJECTED


def test_compliance_reviews_each_entry(world, seeded):
    g = _gift(world.rm, "refused", "500")
    with pytest.raises(PermissionDenied):
        services.review_gift(world.lead, g.pk, note="已核实", version=g.version)
    pending = _gift(world.rm, "accepted", "100")
    with pytest.raises(ValidationError):
        services.review_gift(world.compliance, pending.pk, note="已核实", version=pending.version)
    g = services.review_gift(world.compliance, g.pk, note="已核实拒收", version=g.version)
    assert g.reviewed_by == world.compliance and g.review_note == "已核实拒收"
    with pytest.raises(ValidationError):
        services.review_gift(world.compliance, g.pk, note="再次", version=g.version)


def test_unreviewed_entries_remind_compliance(world, seeded, django_capture_on_commit_callbacks):
    g = _gift(world.rm, "refused", "500")
    GiftEntry.objects.filter(pk=g.pk).update(created_at=timezone.now() - timedelta(days=4))
    _gift(world.rm2, "refused", "50")  # fresh, and outside this officer's subtree anyway
    with django_capture_on_commit_callbacks(execute=True):
        assert services.unreviewed_gift_reminders() == 1
    note = Notification.objects.get(kind="compliance.gift_review")
    assert note.recipient == world.compliance and "1 条" in note.title


def test_gift_page_shows_the_error_next_to_the_field(client, world, seeded):
    client.force_login(world.rm)
    resp = client.post(
        "/compliance/gifts/",
        {
            "giver": "客户",
            "offered_on": TODAY.isoformat(),
            "description": "购物卡",
            "value": "1000",
            "outcome": "accepted",
        },
    )
    assert resp.status_code == 422 and "不得接受" in resp.content.decode()
    assert not GiftEntry.objects.exists()
