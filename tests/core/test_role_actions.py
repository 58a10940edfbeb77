"""Role × action (SPEC §1; docs/roles.md): every business action names the roles that may take it, the
service refuses every other role before it reads its arguments or the database, and the written
table in docs/ is the one the code enforces."""

from pathlib import Path

import pytest

from rmdesk.core.actions import EVERYONE, RoleRefused, load_all_actions, role_table
from rmdesk.core.roles import READ_ONLY_OVERSEERS, RoleCode
from rmdesk.org.models import User

ACTIONS = load_all_actions()
ROLES = [code for code, _label in RoleCode.choices]
DOC = Path(__file__).resolve().parents[2] / "docs" / "roles.md"


def _person(role):
    """An unsaved user holding exactly `role` (no database needed to know it)."""
    user = User(username=f"probe_{role}")
    user._role_codes = frozenset({role})
    return user


def test_every_app_has_business_actions():
    assert {name.split(".")[0] for name in ACTIONS} >= {"core", "org", "customers", "work", "service"}


@pytest.mark.parametrize("name", sorted(ACTIONS))
def test_every_business_action_names_who_may_take_it(name):
    allowed = ACTIONS[name].allowed_roles
    assert allowed is not None, f"{name}: @business_action(roles=...) missing"
    assert allowed == EVERYONE or set(allowed) <= set(ROLES)


CELLS = [
    (name, role) for name in sorted(ACTIONS) if ACTIONS[name].allowed_roles not in (None, EVERYONE) for role in ROLES
]


@pytest.mark.parametrize("name,role", CELLS)
def test_each_role_is_refused_or_let_through_exactly_as_declared(name, role, django_assert_num_queries, db):
    action = ACTIONS[name]
    if role in action.allowed_roles:
        # let through: the action itself runs (and complains about its missing arguments, the
        # unsaved probe user or its own rules), but the role check does not refuse it
        try:
            action(_person(role))
        except RoleRefused:
            pytest.fail(f"{name} refused {role}, which it declares")
        except Exception:  # noqa: BLE001 - whatever the action itself says of the empty call
            pass
    else:
        with django_assert_num_queries(0), pytest.raises(RoleRefused):
            action(_person(role))


def test_read_only_roles_take_no_customer_work():
    """In the archive, daily work and service (SPEC §1–§3, §5) risk, compliance and the back-office
    assistant read their subtree; the only actions they take there are on their own account, approval
    steps their chain names them for, their own to-dos, audited reveals, and compliance's privacy
    duty. (Risk work proper — loan classification, warnings — is the risk officer's in §6.)"""
    own_duties = {"customers.reveal_field", "customers.anonymise_customer", "work.complete_task"}
    for name, action in ACTIONS.items():
        if name.split(".")[0] not in ("customers", "work", "service"):
            continue
        if action.allowed_roles in (None, EVERYONE) or name in own_duties:
            continue
        assert not set(action.allowed_roles) & set(READ_ONLY_OVERSEERS), name


def test_the_written_table_is_the_enforced_one():
    text = DOC.read_text(encoding="utf-8")
    assert role_table() in text, "docs/roles.md is stale: run `python manage.py role_table` and paste the table"
