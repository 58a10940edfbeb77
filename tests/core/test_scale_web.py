"""Any node serves any request (issue 17): /readyz for load balancers, the read-replica router that pins a
user to the primary after a write, and the named task queues every backend serves."""

import warnings

import pytest
from django.db import connections
from django.http import HttpResponse
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext

from rmdesk.core import db_router
from rmdesk.org import views as org_views
from rmdesk.org.models import User

# --- /readyz ----------------------------------------------------------------------------------------


@pytest.fixture
def fresh_readiness(monkeypatch):
    monkeypatch.setattr(org_views, "_migrations_applied", False)


@pytest.mark.django_db
def test_readyz_ready_when_database_answers_and_migrations_applied(client, fresh_readiness):
    resp = client.get("/readyz")
    assert resp.status_code == 200
    assert resp.json() == {"status": "ready", "database": True, "migrations": True}
    assert client.get("/healthz").status_code == 200


@pytest.mark.django_db
def test_readyz_not_ready_with_an_unapplied_migration(client, fresh_readiness, monkeypatch):
    from django.db.migrations.executor import MigrationExecutor

    monkeypatch.setattr(MigrationExecutor, "migration_plan", lambda self, targets: [("pending", False)])
    resp = client.get("/readyz")
    assert resp.status_code == 503
    assert resp.json()["migrations"] is False


@pytest.mark.django_db
def test_readyz_not_ready_when_configured_redis_does_not_answer(client, fresh_readiness, settings):
    settings.REDIS_URL = "redis://127.0.0.1:1/0"
    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": settings.REDIS_URL}
    }
    resp = client.get("/readyz")
    assert resp.status_code == 503
    assert resp.json()["redis"] is False
    assert resp.json()["database"] is True


def test_readyz_refuses_post(client):
    assert client.post("/readyz").status_code == 405


# --- the replica router -----------------------------------------------------------------------------


@pytest.fixture
def replica(transactional_db, django_db_serialized_rollback, settings):
    """A "replica" alias on the test database, as settings' TEST MIRROR makes it when
    DATABASE_REPLICA_URL is set: a second connection to the same data (committed rows only)."""
    from django.db.utils import load_backend

    primary = connections["default"].settings_dict
    with warnings.catch_warnings():  # "overriding DATABASES": only the router reads this copy
        warnings.simplefilter("ignore")
        settings.DATABASES = {**settings.DATABASES, db_router.REPLICA: {**primary, "TEST": {"MIRROR": "default"}}}
    conn = load_backend(primary["ENGINE"]).DatabaseWrapper({**primary}, db_router.REPLICA)
    connections[db_router.REPLICA] = conn
    try:
        yield conn
    finally:
        conn.close()
        del connections[db_router.REPLICA]


def test_router_without_replica_changes_nothing():
    router = db_router.PrimaryReplicaRouter()
    with db_router.reads_from_replica():
        assert router.db_for_read(User) is None
    assert router.db_for_write(User) == "default"
    assert router.allow_migrate("default", "org") is True


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_router_sends_reads_to_replica_only_when_asked(replica):
    router = db_router.PrimaryReplicaRouter()
    assert router.db_for_read(User) is None
    with db_router.reads_from_replica():
        assert router.db_for_read(User) == "replica"
        assert router.db_for_write(User) == "default"
        assert User.objects.all().db == "replica"
    assert router.allow_migrate("replica", "org") is False
    User.objects.create(username="on-primary", employee_no="E-RP-1")
    with db_router.reads_from_replica(), CaptureQueriesContext(replica) as on_replica:
        assert User.objects.filter(username="on-primary").exists()  # the mirror sees the committed row
    assert len(on_replica.captured_queries) == 1


def _middleware_run(request):
    """Run the middleware around a view that reads users; return (response, queries on the replica)."""

    def view(req):
        list(User.objects.all()[:1])
        return HttpResponse("ok")

    with CaptureQueriesContext(connections[db_router.REPLICA]) as on_replica:
        response = db_router.ReplicaPinMiddleware(view)(request)
    return response, len(on_replica.captured_queries)


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_report_reads_go_to_replica_until_the_user_writes(replica, settings):
    settings.RMDESK_REPLICA_PIN_SECONDS = 30
    rf = RequestFactory()
    _, n = _middleware_run(rf.get("/analytics/reports/x/"))
    assert n == 1  # a report read: the replica
    _, n = _middleware_run(rf.get("/customers/"))
    assert n == 0  # not a report page: the primary

    resp, _ = _middleware_run(rf.post("/customers/1/edit/"))  # a write
    pin = resp.cookies[db_router.PIN_COOKIE]
    assert int(pin["max-age"]) == 30
    pinned = rf.get("/analytics/reports/x/")
    pinned.COOKIES[db_router.PIN_COOKIE] = pin.value
    _, n = _middleware_run(pinned)
    assert n == 0  # just wrote: reads its own writes from the primary
    assert db_router.is_pinned(pinned) is True
    import time

    assert db_router.is_pinned(pinned, now=time.time() + 31) is False  # the pin runs out


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_api_user_without_cookies_is_pinned_through_the_shared_cache(replica, settings):
    user = User.objects.create(username="api-writer", employee_no="E-RP-2")
    rf = RequestFactory()
    write = rf.post("/api/work/interactions")
    write.user = user
    failed = rf.post("/api/work/interactions")
    failed.user = User.objects.create(username="api-failer", employee_no="E-RP-3")

    def refuse(req):
        return HttpResponse(status=422)

    assert db_router.PIN_COOKIE not in db_router.ReplicaPinMiddleware(refuse)(failed).cookies  # refused: no pin
    _middleware_run(write)
    read = rf.get("/api/analytics/dashboard")
    read.user = user
    _, n = _middleware_run(read)
    assert n == 0
    other = rf.get("/api/analytics/dashboard")
    other.user = failed.user
    _, n = _middleware_run(other)
    assert n == 1


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_dashboard_page_through_the_whole_stack_reads_the_replica(replica, client, world):
    client.force_login(world.manager)
    with CaptureQueriesContext(replica) as on_replica:
        assert client.get("/analytics/").status_code == 200
    assert len(on_replica.captured_queries) > 0
    assert client.post("/i18n/setlang/", {"language": "zh-hans"}).status_code == 302  # a non-safe request
    with CaptureQueriesContext(replica) as on_replica:
        assert client.get("/analytics/").status_code == 200
    assert len(on_replica.captured_queries) == 0


# --- named queues -----------------------------------------------------------------------------------


def test_every_backend_serves_every_named_queue(settings):
    from rmdesk.core.tasks import deliver_notification
    from rmdesk.customers.tasks import recompute_tiers, run_import

    assert {"default", "imports", "notifications", "periodic", "reports"} <= set(settings.TASK_QUEUES)
    assert set(settings.TASKS["default"]["QUEUES"]) == set(settings.TASK_QUEUES)
    assert run_import.queue_name == "imports"
    assert recompute_tiers.queue_name == "periodic"
    assert deliver_notification.queue_name == "notifications"
    for t in (run_import, recompute_tiers, deliver_notification):
        t.get_backend().validate_task(t)  # the configured backend accepts the task's queue
