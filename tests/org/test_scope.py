"""Scope matrix of the org app (SPEC §1): every role against units, staff and approval requests
inside and outside its subtree. Out-of-scope objects answer 404 on pages and API alike, never 403
(no existence leak). The customer archive's matrix is in tests/customers/test_scope.py."""

import pytest

from tests.scope_matrix import Matrix, Sample

pytestmark = pytest.mark.django_db

# --- units and staff: administrators see all, others their home unit's subtree --------------------

# unit code -> users who may see that unit (and its staff)
UNIT_MATRIX = {
    "O1": {"rm", "rm_b", "rm_t1b", "lead", "manager", "risk", "compliance", "assistant", "referrer", "admin"},
    "T1": {"rm", "rm_b", "rm_t1b", "lead", "manager", "risk", "compliance", "assistant", "referrer", "admin"},
    "O2": {"rm2", "lead2", "admin"},
    "S1": {"manager", "risk", "compliance", "admin"},
    "B": {"admin"},
}

units = Matrix("org", samples="unit_samples")


@pytest.fixture
def unit_samples(world):
    return [Sample(code, readers, unit=world.units[code]) for code, readers in UNIT_MATRIX.items()]


units.page("org:unit_detail", obj="unit")
units.api("GET /api/org/units/{unit_id}", obj="unit")
units.listing("GET /api/org/units", obj="unit", field="code", attr="code")

test_unit_scope_matrix = units.test()

staff = Matrix("org", samples="staff_samples")


@pytest.fixture
def staff_samples(world):
    # a person is seen by whoever sees their unit, and always by themselves
    return [
        Sample(name, UNIT_MATRIX[code] | {name}, person=getattr(world, name))
        for name, code in (("rm", "O1"), ("rm2", "O2"), ("manager", "S1"))
    ]


staff.page("org:staff_detail", obj="person")
staff.api("GET /api/org/staff/{staff_id}", obj="person")
staff.listing("GET /api/org/staff", obj="person", field="username", attr="username")

test_staff_scope_matrix = staff.test()


def test_missing_object_and_foreign_object_look_the_same(client, world):
    client.force_login(world.rm)
    foreign = client.get(f"/org/units/{world.o2.pk}/")
    missing = client.get("/org/units/999999/")
    assert foreign.status_code == missing.status_code == 404
    assert "页面不存在" in foreign.content.decode()


# --- approval requests: the deciders of the pending step see it, the maker withdraws it -----------

approvals = Matrix("org", samples="approval_samples")


@pytest.fixture
def approval_samples(world):
    from rmdesk.core.approvals import request_approval

    def ask(maker, unit):
        return request_approval(maker, "test.scope", f"{maker.username} 的申请", {}, unit=unit, reason="范围测试")

    # the default one-step chain: a supervisor (team lead, branch manager) over the request's unit
    return [
        Sample("t1", {"lead", "manager"}, {"lead", "manager"}, request=ask(world.rm, world.t1), maker="rm"),
        Sample("t2", {"lead2"}, {"lead2"}, request=ask(world.rm2, world.t2), maker="rm2"),
    ]


def _maker_only(ok):
    return lambda username, s: ok if username == s.maker else 404


approvals.listing("GET /api/org/approvals", obj="request")
approvals.api(
    "POST /api/org/approvals/{request_id}/decision",
    obj="request",
    body=lambda s: {"decision": "reject", "version": s.request.version, "opinion": "不同意"},
)
# only the maker may resubmit (a pending request is not returned: 422) or withdraw their request
approvals.api(
    "POST /api/org/approvals/{request_id}/resubmit",
    obj="request",
    body=lambda s: {"version": s.request.version},
    expect=_maker_only(422),
)
approvals.api(
    "POST /api/org/approvals/{request_id}/cancel",
    obj="request",
    body=lambda s: {"version": s.request.version},
    expect=_maker_only(200),
)

test_approval_scope_matrix = approvals.test()

approvals.exempt(
    "DELETE /api/auth/tokens/{token_id}",
    "revokes only the caller's own tokens (administrators any): tests/org/test_auth.py",
)
