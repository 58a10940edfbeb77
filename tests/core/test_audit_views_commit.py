"""An archive view costs one autocommitted INSERT (issue 18): no BEGIN, savepoint or COMMIT round trips
outside a transaction, committed (visible to another connection) before the view answers; inside a
caller's transaction it is that transaction's (gone when it rolls back)."""

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from rmdesk.core import audit
from rmdesk.core.models import AuditEvent, AuditPending
from rmdesk.customers.services import record_view


@pytest.fixture
def deferred(settings):
    settings.RMDESK_AUDIT_SEAL_SYNC = False
    return settings


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_view_outside_a_transaction_is_one_insert(world, make_customer, deferred):
    c = make_customer(world.rm)
    assert not connection.in_atomic_block
    with CaptureQueriesContext(connection) as ctx:
        record_view(world.rm, c, channel="api")
    sql = [q["sql"].upper() for q in ctx.captured_queries]
    assert len(sql) == 1 and sql[0].startswith("INSERT INTO") and "CORE_AUDITPENDING" in sql[0].replace('"', "")
    assert not any(s.startswith(("SAVEPOINT", "BEGIN", "RELEASE")) for s in sql)
    p = AuditPending.objects.get()
    assert (p.action, p.object_id, p.summary, p.actor_id) == (
        "customers.view",
        str(c.pk),
        {"channel": "api"},
        world.rm.pk,
    )
    assert audit.seal_all() == 1 and audit.verify_chain()[1] is None


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_view_is_committed_before_the_api_answers(world, make_customer, api_client, deferred):
    """Seen from another connection as soon as the response is back: nothing lost if the worker dies
    after answering."""
    c = make_customer(world.rm)
    assert api_client(world.rm).get(f"/api/customers/{c.pk}").status_code == 200
    if connection.vendor == "postgresql":
        import psycopg

        sd = connection.settings_dict
        with psycopg.connect(
            dbname=sd["NAME"], user=sd["USER"], password=sd["PASSWORD"], host=sd["HOST"], port=sd["PORT"]
        ) as other:
            n = other.execute(
                "SELECT count(*) FROM core_auditpending WHERE action = 'customers.view' AND object_id = %s", [str(c.pk)]
            ).fetchone()[0]
    else:  # one in-memory database per process: no open transaction is left, so the row is committed
        assert not connection.connection.in_transaction
        n = AuditPending.objects.filter(action="customers.view", object_id=str(c.pk)).count()
    assert n == 1


@pytest.mark.django_db
def test_a_view_inside_a_transaction_goes_with_it(world, make_customer, deferred):
    c = make_customer(world.rm)
    with pytest.raises(RuntimeError), transaction.atomic():
        record_view(world.rm, c)
        assert AuditPending.objects.count() == 1
        raise RuntimeError("the caller's action failed")
    assert AuditPending.objects.count() == 0
    with transaction.atomic():
        record_view(world.rm, c)
    assert AuditPending.objects.count() == 1 and not AuditEvent.objects.filter(action="customers.view").exists()


@pytest.mark.django_db
def test_read_events_still_seal_at_once_under_the_test_settings(world, make_customer):
    c = make_customer(world.rm)
    record_view(world.rm, c, channel="ui")
    assert AuditEvent.objects.filter(action="customers.view", object_id=str(c.pk)).count() == 1
    assert not AuditPending.objects.exists()
