"""The read-event fast path (issue 18, item 11; rmdesk.core.audit._insert_pending): a view outside a
transaction is one INSERT built once, and it writes exactly the row `AuditPending.save()` wrote —
same columns as stored, same MAC — so sealing, `verify_audit` and the tamper checks see no difference.

The fast path runs only outside a transaction, so the tests that exercise it are transactional."""

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from rmdesk.core import audit
from rmdesk.core.models import AuditEvent, AuditPending

AT = datetime(2026, 12, 6, 9, 30, 15, 123456, tzinfo=UTC)
COLUMNS = ("at", "actor_id", "actor_name", "action", "object_type", "object_id", "summary", "ip", "mac")


@pytest.fixture
def deferred(settings):
    settings.RMDESK_AUDIT_SEAL_SYNC = False
    return settings


@pytest.fixture
def frozen(monkeypatch):
    """Both paths stamp the same instant: the fast path calls timezone.now(), the ORM path the `at`
    field's default (cached by the field as `_get_default`)."""
    monkeypatch.setattr(audit.timezone, "now", lambda: AT)
    monkeypatch.setattr(AuditPending._meta.get_field("at"), "_get_default", lambda: AT)


def _stored(pk):
    """The row as the database holds it (raw SQL: no field conversion on the way back)."""
    with connection.cursor() as cur:
        cur.execute(f"SELECT {', '.join(COLUMNS)} FROM core_auditpending WHERE id = %s", [pk])  # noqa: S608
        return cur.fetchone()


def _orm_path(monkeypatch):
    monkeypatch.setattr(audit, "_insert_pending", lambda *args: None)


CASES = [
    # (ip, record kwargs)
    ("127.0.0.1", {"channel": "api"}),
    (None, {"channel": "ui"}),
    ("2001:DB8:0:0:0:0:0:1", {"field": "id_no"}),  # stored "2001:db8::1": the MAC must cover that
    ("10.0.0.7", {"after": {"金额": Decimal("12.50"), "日期": AT.date(), "n": [1, 2.5, None]}, "备注": "张三\t李四"}),
]


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
@pytest.mark.parametrize(("ip", "extra"), CASES)
def test_the_fast_path_writes_the_row_the_orm_path_wrote(
    world, make_customer, deferred, frozen, monkeypatch, ip, extra
):
    c = make_customer(world.rm)
    token = audit.current_ip.set(ip)
    try:
        with CaptureQueriesContext(connection) as ctx:
            fast = audit.record(world.rm, "customers.view", c, **extra)
        sql = [q["sql"] for q in ctx.captured_queries]
        assert len(sql) == 1 and sql[0].upper().startswith("INSERT INTO")
        assert "ORDER BY" not in sql[0].upper() and "SAVEPOINT" not in sql[0].upper()
        with monkeypatch.context() as m:
            _orm_path(m)
            old = audit.record(world.rm, "customers.view", c, **extra)
    finally:
        audit.current_ip.reset(token)
    assert fast.pk != old.pk
    assert _stored(fast.pk) == _stored(old.pk)
    # the instance handed back is the one save() leaves
    assert [getattr(fast, f) for f in COLUMNS] == [getattr(old, f) for f in COLUMNS]
    assert (fast._state.adding, fast._state.db) == (False, "default")
    # and it reads back as a valid pending event that seals cleanly into the chain
    assert AuditPending.objects.get(pk=fast.pk).mac == fast.mac == fast.compute_mac()
    assert audit.seal_all() == 2
    events = list(AuditEvent.objects.filter(action="customers.view").order_by("id"))
    assert len(events) == 2 and not any("pending_mac_mismatch" in e.summary for e in events)
    assert events[0].summary == events[1].summary and events[0].at == events[1].at == AT
    rep = audit.verify(checkpoints=False)
    assert rep.ok and rep.broken_id is None


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_fast_path_rows_are_tamper_evident_and_api_views_take_it(world, make_customer, api_client, deferred):
    c = make_customer(world.rm)
    rm_api = api_client(world.rm)  # issues the token (an audited business write) before the capture
    with CaptureQueriesContext(connection) as ctx:
        assert rm_api.get(f"/api/customers/{c.pk}").status_code == 200
    inserts = [q["sql"] for q in ctx.captured_queries if "core_auditpending" in q["sql"]]
    assert len(inserts) == 1 and inserts[0].startswith('INSERT INTO "core_auditpending"')
    assert not any(q["sql"].upper().startswith(("SAVEPOINT", "BEGIN")) for q in ctx.captured_queries)
    p = AuditPending.objects.get(action="customers.view", object_id=str(c.pk))
    assert (p.actor_id, p.actor_name, p.summary, p.ip) == (
        world.rm.pk,
        world.rm.username,
        {"channel": "api"},
        "127.0.0.1",
    )
    assert p.mac == p.compute_mac()
    with connection.cursor() as cur:
        cur.execute("UPDATE core_auditpending SET object_id = %s WHERE id = %s", ["999999", p.id])
    assert audit.verify(checkpoints=False).pending_bad == [p.id]
    audit.seal_all()
    ev = AuditEvent.objects.get(action="customers.view")
    assert ev.summary["pending_mac_mismatch"] is True and ev.object_id == "999999"


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_text_the_column_cannot_hold_is_refused_as_before(world, deferred):
    """Over-long or control-character text leaves the fast path: the ORM path's ValidationError, nothing
    written."""
    with pytest.raises(ValidationError) as exc:
        audit.record(world.rm, "customers.view", object_type="customers.customer", object_id="9" * 65)
    assert "object_id" in exc.value.message_dict
    world.rm.username = "rm\x07"
    with pytest.raises(ValidationError) as exc:
        audit.record(world.rm, "customers.view", object_type="customers.customer", object_id=1)
    assert "actor_name" in exc.value.message_dict
    assert not AuditPending.objects.exists()


@pytest.mark.django_db
def test_the_fast_path_switches_itself_off_when_the_model_changes(world, monkeypatch):
    """A MAC the fast path would compute differently from the model's (content changed) or a new column:
    no plan, every read event takes the ORM path."""
    monkeypatch.setattr(audit, "_plans", {})
    assert audit._pending_plan(connection) is not None
    monkeypatch.setattr(audit, "_plans", {})
    original = AuditPending.content
    monkeypatch.setattr(AuditPending, "content", lambda self: {**original(self), "node": "web-2"})
    assert audit._pending_plan(connection) is None
    monkeypatch.setattr(audit, "_plans", {})
    monkeypatch.setattr(audit, "_PENDING_COLUMNS", audit._PENDING_COLUMNS[:-1])
    monkeypatch.setattr(AuditPending, "content", original)
    assert audit._pending_plan(connection) is None


def test_plain_keeps_flat_summaries_and_converts_the_rest():
    flat = {"channel": "ui", "n": 3, "ok": True, "none": None}
    assert audit._plain(flat) == flat and audit._plain(flat) is not flat
    assert audit._plain({"d": Decimal("1.50"), "t": (1, 2), 3: "x"}) == {"d": "1.50", "t": [1, 2], "3": "x"}
    assert audit._plain(None) == {}


@pytest.mark.django_db
def test_a_business_write_from_a_long_form_ipv6_address_still_verifies(world):
    """The hash covers the address as the column stores it (normalised), not as the request spelt it."""
    token = audit.current_ip.set("2001:DB8:0:0:0:0:0:1")
    try:
        ev = audit.record(world.rm, "test.write", object_type="x", object_id=1)
    finally:
        audit.current_ip.reset(token)
    assert AuditEvent.objects.get(pk=ev.pk).ip == ev.ip == "2001:db8::1"
    assert audit.verify_chain() == (AuditEvent.objects.count(), None, "")
