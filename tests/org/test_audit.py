"""The audit trail is append-only and its hash chain detects alteration and deletion (SPEC §8)."""

from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from rmdesk.core import audit
from rmdesk.core.models import AuditEvent

pytestmark = pytest.mark.django_db


def _three_events(world):
    for i in range(3):
        audit.record(world.rm, "test.event", object_type="x", object_id=i, after={"amount": Decimal("12.50"), "i": i})
    return list(AuditEvent.objects.order_by("id"))


def test_chain_links_each_event_to_the_previous(world):
    events = _three_events(world)
    assert events[0].prev_hash == audit.GENESIS
    assert events[1].prev_hash == events[0].hash
    assert events[2].prev_hash == events[1].hash
    assert audit.verify_chain() == (3, None, "")
    call_command("verify_audit")


def test_orm_refuses_update_and_delete(world):
    event = _three_events(world)[0]
    event.action = "changed"
    with pytest.raises(PermissionError):
        event.save()
    with pytest.raises(PermissionError):
        event.delete()


def test_verify_fails_naming_an_altered_row(world):
    events = _three_events(world)
    with connection.cursor() as cur:  # tamper behind the ORM's back, as an attacker with SQL would
        cur.execute("UPDATE org_auditevent SET action = %s WHERE id = %s", ["forged", events[1].id])
    with pytest.raises(CommandError, match=f"id={events[1].id}.*altered"):
        call_command("verify_audit")


def test_verify_fails_naming_the_link_after_a_deleted_row(world):
    events = _three_events(world)
    with connection.cursor() as cur:
        cur.execute("DELETE FROM org_auditevent WHERE id = %s", [events[1].id])
    with pytest.raises(CommandError, match=f"id={events[2].id}.*deleted"):
        call_command("verify_audit")


def test_failed_action_leaves_no_event(world):
    from django.db import transaction

    with pytest.raises(RuntimeError):
        with transaction.atomic():
            audit.record(world.rm, "test.rolled_back")
            raise RuntimeError("business action failed")
    assert not AuditEvent.objects.filter(action="test.rolled_back").exists()
