"""Read events (views, reveals, exports) are written without the chain's lock and sealed into it in
batches (issue 18); business writes keep their chained event in their own transaction."""

import threading

import psycopg
import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from rmdesk.core import audit
from rmdesk.core.models import AuditEvent, AuditPending

pytestmark = pytest.mark.django_db


@pytest.fixture
def deferred(settings):
    settings.RMDESK_AUDIT_SEAL_SYNC = False
    return settings


def test_a_view_is_pending_until_sealed(world, make_customer, deferred):
    c = make_customer(world.rm)
    before = AuditEvent.objects.count()
    pending = audit.record(world.rm, "customers.view", c, channel="ui")
    assert isinstance(pending, AuditPending) and AuditPending.objects.count() == 1
    assert AuditEvent.objects.count() == before
    out = call_command_out("verify_audit")
    assert "1 read events awaiting sealing" in out
    call_command("seal_audit")
    assert AuditPending.objects.count() == 0
    ev = AuditEvent.objects.get(action="customers.view")
    assert (ev.actor_id, ev.object_id, ev.summary, ev.at) == (world.rm.pk, str(c.pk), {"channel": "ui"}, pending.at)
    assert "0 read events awaiting sealing" in call_command_out("verify_audit")


def call_command_out(*args):
    import io

    buf = io.StringIO()
    call_command(*args, stdout=buf)
    return buf.getvalue()


def test_a_page_view_commits_its_pending_event_before_answering(world, make_customer, client, deferred):
    c = make_customer(world.rm)
    client.force_login(world.rm)
    assert client.get(f"/customers/{c.pk}/").status_code == 200
    assert AuditPending.objects.filter(action="customers.view", object_id=str(c.pk)).count() == 1
    assert not AuditEvent.objects.filter(action="customers.view").exists()


def test_a_business_write_seals_the_backlog_on_its_way(world, deferred):
    for i in range(3):
        audit.record(world.rm, "customers.view", object_type="customers.customer", object_id=i)
    write = audit.record(world.rm, "test.write")
    assert AuditPending.objects.count() == 0
    assert list(AuditEvent.objects.order_by("id").values_list("action", flat=True)) == [
        "customers.view",
        "customers.view",
        "customers.view",
        "test.write",
    ]
    assert AuditEvent.objects.order_by("id").last().id == write.id
    assert audit.verify_chain() == (4, None, "")


def test_a_pending_event_altered_before_sealing_is_reported_and_flagged(world, deferred):
    p = audit.record(world.rm, "customers.reveal", object_type="customers.customer", object_id=7, field="id_no")
    with connection.cursor() as cur:
        cur.execute("UPDATE core_auditpending SET actor_name = %s WHERE id = %s", ["someone_else", p.id])
    with pytest.raises(CommandError, match=rf"pending events altered before sealing: ids \[{p.id}\]"):
        call_command("verify_audit")
    audit.seal_all()
    ev = AuditEvent.objects.get(action="customers.reveal")
    assert ev.summary["pending_mac_mismatch"] is True and ev.actor_name == "someone_else"


def test_read_audit_can_be_switched_off_for_the_benchmark_only(world, deferred):
    deferred.RMDESK_AUDIT_READS = False
    assert audit.record(world.rm, "customers.view", object_type="x", object_id=1) is None
    assert not AuditPending.objects.exists()
    audit.record(world.rm, "test.write")  # business writes are always audited
    assert AuditEvent.objects.filter(action="test.write").exists()


def test_sync_sealing_setting_puts_views_in_the_chain_at_once(world):
    """settings_test seals synchronously, so the suites that query AuditEvent after a view find it."""
    audit.record(world.rm, "customers.view", object_type="x", object_id=1)
    assert AuditEvent.objects.filter(action="customers.view").count() == 1
    assert not AuditPending.objects.exists()


@pytest.mark.skipif("connection.vendor != 'postgresql'", reason="the advisory lock exists on PostgreSQL only")
def test_views_do_not_wait_for_the_chain_lock(world, deferred):
    """While another session holds the chain's advisory lock (a long business write), a view is still
    recorded at once; a business write waits for it."""
    sd = connection.settings_dict
    other = psycopg.connect(
        dbname=sd["NAME"], user=sd["USER"], password=sd["PASSWORD"], host=sd["HOST"], port=sd["PORT"], autocommit=True
    )
    try:
        other.execute("SELECT pg_advisory_lock(%s)", [audit._CHAIN_LOCK_KEY])
        with connection.cursor() as cur:
            cur.execute("SET LOCAL lock_timeout = '1s'")
            cur.execute("SET LOCAL statement_timeout = '3s'")
        audit.record(world.rm, "customers.view", object_type="x", object_id=1)  # would time out if it locked
        assert AuditPending.objects.count() == 1
        with pytest.raises(Exception, match="statement timeout|canceling statement"):
            audit.record(world.rm, "test.write")
    finally:
        other.execute("SELECT pg_advisory_unlock(%s)", [audit._CHAIN_LOCK_KEY])
        other.close()


def test_seal_loop_stops_on_signal(world, deferred, monkeypatch):
    """The loop seals and stops cleanly (the embedded default runs it as a child process)."""
    from rmdesk.core.management.commands import seal_audit

    audit.record(world.rm, "customers.view", object_type="x", object_id=1)
    calls = []

    class OneShot(threading.Event):
        def wait(self, timeout=None):
            calls.append(timeout)
            self.set()
            return True

    monkeypatch.setattr(seal_audit.threading, "Event", OneShot)
    monkeypatch.setattr(seal_audit.signal, "signal", lambda *a: None)
    call_command("seal_audit", "--loop", "--interval", "0.5")
    assert calls == [0.5] and not AuditPending.objects.exists()
    assert AuditEvent.objects.filter(action="customers.view").count() == 1
