"""Shared fixtures: a small org with two branches and one person per role, and customer factories.

World (paths are treebeard's):
  总行 HQ
  └ 分行 BR
    ├ 支行 S1 ─ 网点 O1 ─ 团队 T1 (rm, rm_b, lead) ; 团队 T1b (rm_t1b)
    └ 支行 S2 ─ 网点 O2 ─ 团队 T2 (rm2, lead2)
Managers: manager (S1), risk (S1), compliance (S1), assistant (O1), referrer (O1), admin (HQ).
"""

import itertools
import pathlib
from datetime import timedelta

import pytest
from django.apps import apps
from django.utils import timezone

from rmdesk.org.models import OrgUnit, Qualification, Role, RoleCode, UnitKind, User

PASSWORD = "test-pass-123"
_seq = itertools.count(1)


def make_user(username, roles, unit=None, team=None, *, qualified=True, level="", **extra):
    user = User(
        username=username,
        full_name=extra.pop("full_name", username),
        unit=unit,
        team=team,
        rm_level=level,
        employee_no=f"T{next(_seq):05d}",
        **extra,
    )
    user.set_password(PASSWORD)
    user.save()
    user.roles.set([Role.objects.get_or_create(code=c)[0] for c in roles])
    if qualified:
        today = timezone.localdate()
        Qualification.objects.create(
            user=user,
            number=f"Q-{username}",
            issued_on=today - timedelta(days=30),
            expires_on=today + timedelta(days=365),
        )
    return user


#: data migrations whose rows the tests rely on (chains, tier sets, products, cadence rules, journal
#: templates, SLA policies, credit products); every forward function is idempotent (get_or_create)
SEED_MIGRATIONS = [
    ("core", "0002_seed_one_step_chains"),
    ("customers", "0004_seed_bank_tiers_products"),
    ("customers", "0009_kind_tier_sets_id_type_import_progress"),
    ("service", "0002_seed_defaults"),
    ("service", "0003_top_tier_churn_targets"),
    ("work", "0004_seed_defaults"),
    ("work", "0008_cadence_per_customer_kind"),
    ("credit", "0002_seed_defaults"),
]


def _seed_migrations() -> list[tuple[str, str]]:
    """SEED_MIGRATIONS, then every other data migration of an rmdesk app whose name says `seed`
    (`000N_seed_*`: the convention for the apps' seeded configuration)."""
    import pkgutil

    from django.apps import apps

    found = list(SEED_MIGRATIONS)
    for config in apps.get_app_configs():
        label = config.name.removeprefix("rmdesk.")
        if label == config.name or not (config.path and (pathlib.Path(config.path) / "migrations").is_dir()):
            continue
        for info in sorted(pkgutil.iter_modules([str(pathlib.Path(config.path) / "migrations")]), key=lambda i: i.name):
            if "_seed" in info.name and (label, info.name) not in found:
                found.append((label, info.name))
    return found


def reseed_migration_data():
    """Run the seed migrations' forward functions again (against the current models), as after `migrate`."""
    import importlib
    from types import SimpleNamespace

    from django.apps import apps
    from django.db import connection
    from django.db.migrations import RunPython

    # the seed functions use only `apps` (and at most the editor's connection); a real schema editor
    # cannot be opened inside the test's transaction on SQLite
    editor = SimpleNamespace(connection=connection)
    for app, name in _seed_migrations():
        migration = importlib.import_module(f"rmdesk.{app}.migrations.{name}").Migration
        for op in migration.operations:
            if isinstance(op, RunPython):
                op.code(apps, editor)


@pytest.fixture(autouse=True)
def _seed_data_survives_flushes(request):
    """A transactional test (live server, browser) ends with a flush that empties every table, also of
    the rows the data migrations seeded. Before a test that runs in a transaction, put them back when
    they are gone, so it sees the database `migrate` made whatever order the files run in.
    (Transactional tests build their own data on whatever they find, as before.)"""
    marker = request.node.get_closest_marker("django_db")
    transactional = bool(marker and (marker.kwargs.get("transaction") or (marker.args and marker.args[0])))
    transactional = transactional or bool({"transactional_db", "live_server"} & set(request.fixturenames))
    uses_db = marker or "db" in request.fixturenames
    restored_content_types = False
    if uses_db and not transactional:
        from django.contrib.contenttypes.management import create_contenttypes
        from django.contrib.contenttypes.models import ContentType

        from rmdesk.work.models import JournalTemplate

        request.getfixturevalue("db")  # inside the test's transaction: rolled back with it, so a later
        if not JournalTemplate.objects.exists():  # serialized-rollback test still finds the flushed state
            reseed_migration_data()
        if not ContentType.objects.exists():  # a serialized-rollback test's flush left none, and the
            ContentType.objects.clear_cache()  # cache still names the ids it had: make them afresh
            for config in apps.get_app_configs():
                create_contenttypes(config, verbosity=0)
            restored_content_types = True
    yield
    if restored_content_types:
        from django.contrib.contenttypes.models import ContentType

        ContentType.objects.clear_cache()  # the rows were rolled back with the test


@pytest.fixture(autouse=True)
def _chinese_by_default():
    """Each test starts in the product's default language, whatever an earlier test switched to."""
    from django.utils import translation

    with translation.override("zh-hans"):
        yield


@pytest.fixture
def world(db):
    hq = OrgUnit.add_root(code="H", name="总行", kind=UnitKind.HEAD_OFFICE)
    br = hq.add_child(code="B", name="分行", kind=UnitKind.BRANCH)
    s1 = br.add_child(code="S1", name="一支行", kind=UnitKind.SUPPORT)
    s2 = br.add_child(code="S2", name="二支行", kind=UnitKind.SUPPORT)
    o1 = s1.add_child(code="O1", name="一网点", kind=UnitKind.OUTLET)
    o2 = s2.add_child(code="O2", name="二网点", kind=UnitKind.OUTLET)
    o1.add_child(code="T1", name="一队", kind=UnitKind.TEAM)
    o1.add_child(code="T1b", name="一队乙", kind=UnitKind.TEAM)
    o2.add_child(code="T2", name="二队", kind=UnitKind.TEAM)
    units = {u.code: u for u in OrgUnit.objects.all()}

    class World:
        pass

    w = World()
    w.units = units
    w.hq, w.br, w.s1, w.s2, w.o1, w.o2, w.t1, w.t1b, w.t2 = (
        units[c] for c in ("H", "B", "S1", "S2", "O1", "O2", "T1", "T1b", "T2")
    )
    w.rm = make_user("rm", [RoleCode.RM], w.o1, w.t1, level="2")
    w.rm_b = make_user("rm_b", [RoleCode.RM], w.o1, w.t1, level="3")
    w.rm_t1b = make_user("rm_t1b", [RoleCode.RM], w.o1, w.t1b, level="3")
    w.lead = make_user("lead", [RoleCode.TEAM_LEAD], w.o1, w.t1, qualified=False)
    w.rm2 = make_user("rm2", [RoleCode.RM], w.o2, w.t2, level="1")
    w.lead2 = make_user("lead2", [RoleCode.TEAM_LEAD], w.o2, w.t2, qualified=False)
    w.manager = make_user("manager", [RoleCode.BRANCH_MANAGER], w.s1, qualified=False)
    w.risk = make_user("risk", [RoleCode.RISK], w.s1, qualified=False)
    w.compliance = make_user("compliance", [RoleCode.COMPLIANCE], w.s1, qualified=False)
    w.assistant = make_user("assistant", [RoleCode.ASSISTANT], w.o1, qualified=False)
    w.referrer = make_user("referrer", [RoleCode.REFERRER], w.o1, qualified=False)
    w.admin = make_user("admin", [RoleCode.ADMIN], w.hq, qualified=False, is_staff=True, is_superuser=True)
    return w


@pytest.fixture
def make_customer(db):
    """Factory: make_customer(a_rm, unit=None, b_rm=None, **fields) -> Customer (bypasses services)."""
    from rmdesk.customers.models import Customer

    counter = itertools.count(1)

    def _make(a_rm=None, unit=None, b_rm=None, **fields):
        n = next(counter)
        unit = unit or (a_rm.team or a_rm.unit)
        fields.setdefault("name", f"客户{n}")
        fields.setdefault("customer_no", f"C{n:08d}")
        return Customer.objects.create(a_rm=a_rm, b_rm=b_rm, org_unit=unit, org_path=unit.path, **fields)

    return _make


@pytest.fixture
def make_demo_ctx():
    """make_demo_ctx(scale=1.0) -> the context seed_demo hands each app's demo.build (seed 7, quiet)."""
    import io

    from rmdesk.org.management.commands.seed_demo import DemoContext

    return lambda scale=1.0: DemoContext(io.StringIO(), seed=7, scale=scale)


def api_token_for(client, username, password=PASSWORD):
    resp = client.post("/api/auth/token", {"username": username, "password": password}, content_type="application/json")
    assert resp.status_code == 200, resp.content
    return resp.json()["token"]


@pytest.fixture
def api_client(client):
    """api_client(user) -> a client sending that user's bearer token."""
    from django.test import Client

    def _for(user):
        c = Client()
        token = api_token_for(c, user.username)
        c.defaults["HTTP_AUTHORIZATION"] = f"Bearer {token}"
        return c

    return _for
