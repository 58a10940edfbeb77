"""The data-scope matrix: every role against objects inside and outside its subtree (SPEC §1).

Out-of-scope objects answer 404 on pages and API alike, never 403 (no existence leak).
"""
import pytest

from rmdesk.customers.scope import visible_customers

pytestmark = pytest.mark.django_db

# customer -> which users see it (read) and which may change it (write)
CUSTOMER_MATRIX = {
    "c_rm": ({"rm", "lead", "manager", "risk", "compliance", "assistant"}, {"rm", "lead", "manager"}),
    "c_b_post": ({"rm", "rm_t1b", "manager", "risk", "compliance", "assistant"}, {"rm", "rm_t1b", "manager"}),
    "c_t1b": ({"rm_t1b", "manager", "risk", "compliance", "assistant"}, {"rm_t1b", "manager"}),
    "c_t2": ({"rm2", "lead2"}, {"rm2", "lead2"}),
}
USERS = ["rm", "rm_b", "rm_t1b", "lead", "rm2", "lead2", "manager", "risk", "compliance", "assistant", "referrer", "admin"]


@pytest.fixture
def customers(world, make_customer):
    return {
        "c_rm": make_customer(world.rm, world.t1),
        "c_b_post": make_customer(world.rm_t1b, world.t1b, b_rm=world.rm),
        "c_t1b": make_customer(world.rm_t1b, world.t1b),
        "c_t2": make_customer(world.rm2, world.t2),
    }


@pytest.mark.parametrize("username", USERS)
def test_customer_scope_matrix(world, customers, username):
    user = getattr(world, username)
    seen = {key for key, c in customers.items() if visible_customers(user).filter(pk=c.pk).exists()}
    writable = {key for key, c in customers.items() if visible_customers(user, write=True).filter(pk=c.pk).exists()}
    assert seen == {k for k, (readers, _) in CUSTOMER_MATRIX.items() if username in readers}
    assert writable == {k for k, (_, writers) in CUSTOMER_MATRIX.items() if username in writers}


def test_several_roles_see_the_union(world, customers):
    from rmdesk.org.models import Role

    world.rm2.roles.add(Role.objects.get_or_create(code="risk")[0])
    world.rm2 = type(world.rm2).objects.get(pk=world.rm2.pk)  # drop the cached role set
    world.rm2.unit = world.s1
    seen = set(visible_customers(world.rm2).values_list("name", flat=True))
    assert seen == {customers[k].name for k in ("c_rm", "c_b_post", "c_t1b", "c_t2")}


# unit code -> users who may see that unit (and its staff)
UNIT_MATRIX = {
    "O1": {"rm", "rm_b", "rm_t1b", "lead", "manager", "risk", "compliance", "assistant", "referrer", "admin"},
    "T1": {"rm", "rm_b", "rm_t1b", "lead", "manager", "risk", "compliance", "assistant", "referrer", "admin"},
    "O2": {"rm2", "lead2", "admin"},
    "S1": {"manager", "risk", "compliance", "admin"},
    "B": {"admin"},
}


@pytest.mark.parametrize("username", USERS)
def test_unit_pages_and_api_follow_scope(client, api_client, world, username):
    user = getattr(world, username)
    client.force_login(user)
    api = api_client(user)
    for code, allowed in UNIT_MATRIX.items():
        unit = world.units[code]
        expected = 200 if username in allowed else 404
        assert client.get(f"/org/units/{unit.pk}/").status_code == expected, (username, code, "page")
        assert api.get(f"/api/org/units/{unit.pk}").status_code == expected, (username, code, "api")
    listed = {u["code"] for u in api.get("/api/org/units").json()}
    assert listed & set(UNIT_MATRIX) == {c for c, allowed in UNIT_MATRIX.items() if username in allowed}


@pytest.mark.parametrize("username", USERS)
def test_staff_pages_and_api_follow_scope(client, api_client, world, username):
    user = getattr(world, username)
    client.force_login(user)
    api = api_client(user)
    for target_name, unit_code in (("rm", "O1"), ("rm2", "O2"), ("manager", "S1")):
        target = getattr(world, target_name)
        allowed = username in UNIT_MATRIX[unit_code] or username == target_name
        expected = 200 if allowed else 404
        assert client.get(f"/org/staff/{target.pk}/").status_code == expected, (username, target_name)
        assert api.get(f"/api/org/staff/{target.pk}").status_code == expected, (username, target_name)
    names = {s["username"] for s in api.get("/api/org/staff").json()}
    assert ("rm2" in names) == (username in UNIT_MATRIX["O2"] or username == "rm2")


def test_missing_object_and_foreign_object_look_the_same(client, world):
    client.force_login(world.rm)
    foreign = client.get(f"/org/units/{world.o2.pk}/")
    missing = client.get("/org/units/999999/")
    assert foreign.status_code == missing.status_code == 404
    assert "页面不存在" in foreign.content.decode()


def test_team_that_gains_a_sub_team_covers_it(world, make_customer):
    """Leaf teams are matched by equality; once a team has children its lead sees them too."""
    from rmdesk.org.models import OrgUnit, UnitKind, User

    own = make_customer(world.rm, world.t1)
    assert set(visible_customers(world.lead)) == {own}
    sub = OrgUnit.objects.get(pk=world.t1.pk).add_child(code="T1s", name="一队小组", kind=UnitKind.TEAM)
    nested = make_customer(world.rm, sub)
    lead = User.objects.select_related("team", "unit").get(pk=world.lead.pk)
    assert set(visible_customers(lead)) == {own, nested}
