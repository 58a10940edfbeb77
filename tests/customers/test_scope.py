"""Scope matrix of the customer archive (SPEC §1, §2): every role against archives, conflicts and
import jobs inside and outside its subtree, on every page and API operation that takes their id.
Out of scope answers 404 (never 403: no existence leak); role checks that come first say so."""

from decimal import Decimal

import pytest
from django.core.files.base import ContentFile

from rmdesk.customers.models import Conflict, Document, ImportJob
from rmdesk.customers.scope import visible_customers
from tests.scope_matrix import USERS, Matrix, Sample, fresh, role_gate

pytestmark = pytest.mark.django_db

#: who may reveal a sensitive field of a customer they see (assistants may not)
REVEALERS = set(USERS) - {"assistant"}

# --- archives -------------------------------------------------------------------------------------

archive = Matrix("customers", samples="customer_samples")


@pytest.fixture
def customer_samples(world, make_customer, ids):
    def make(rm, team, **kw):
        customer = make_customer(
            rm,
            team,
            id_number=ids.id(),
            mobile=ids.mobile(),
            address="南京市鼓楼区湖南路100号",
            annual_income=Decimal("360000"),
            aum=Decimal("800000"),
            **kw,
        )
        Document.objects.create(customer=customer, kind="other", file=ContentFile(b"scan", name="scan.pdf"))
        return customer

    rm_cust = make(world.rm, world.t1, name="张伟明", name_initials="zwm")
    return [
        # A-post rm in team T1: rm, their lead and the branch see it; rm, lead and manager may change it
        Sample(
            "c_rm",
            {"rm", "lead", "manager", "risk", "compliance", "assistant"},
            {"rm", "lead", "manager"},
            customer=rm_cust,
            assignee=world.rm_b,
        ),
        # A-post in team T1b, B-post rm of T1: both RMs (not T1's lead) see and change it
        Sample(
            "c_b_post",
            {"rm", "rm_t1b", "manager", "risk", "compliance", "assistant"},
            {"rm", "rm_t1b", "manager"},
            customer=make(world.rm_t1b, world.t1b, b_rm=world.rm, name="李春燕"),
            assignee=world.rm_t1b,
        ),
        Sample(
            "c_t1b",
            {"rm_t1b", "manager", "risk", "compliance", "assistant"},
            {"rm_t1b", "manager"},
            customer=make(world.rm_t1b, world.t1b, name="王建国"),
            assignee=world.rm_t1b,
        ),
        # another sub-branch
        Sample(
            "c_t2",
            {"rm2", "lead2"},
            {"rm2", "lead2"},
            customer=make(world.rm2, world.t2, name="赵海峰"),
            assignee=world.rm2,
        ),
    ]


archive.queryset(visible_customers, obj="customer")
# reads
archive.page("customers:detail", obj="customer")
archive.page(
    "customers:document",
    obj="customer",
    params=lambda s: {"pk": s.customer.pk, "doc_pk": s.customer.documents.get().pk},
)
archive.listing("customers:list", obj="customer", contains=lambda html, c: c.name in html)
archive.api("GET /api/customers/{customer_id}", obj="customer")
archive.listing("GET /api/customers/", obj="customer")
archive.page(
    "customers:reveal",
    obj="customer",
    method="post",
    data={"field": "mobile", "reason": "核实身份"},
    expect=role_gate(REVEALERS),
)
archive.api(
    "POST /api/customers/{customer_id}/reveal",
    obj="customer",
    body={"field": "mobile", "reason": "核实身份"},
    write=False,
    expect=role_gate(REVEALERS),
)
# writes (on the three samples that differ for writers: own, B-post, other sub-branch)
W = {"samples": ("c_rm", "c_b_post", "c_t2")}
archive.page("customers:edit", obj="customer", write=True, **W)
archive.api(
    "PATCH /api/customers/{customer_id}",
    obj="customer",
    **W,
    body=lambda s: {"version": fresh(s.customer).version, "occupation": "教师"},
)
archive.page(
    "customers:add",
    obj="customer",
    method="post",
    data={"text": "到访"},
    write=True,
    ok=302,
    **W,
    params=lambda s: {"pk": s.customer.pk, "what": "note"},
)
archive.api("POST /api/customers/{customer_id}/notes", obj="customer", body={"text": "来访"}, ok=201, **W)
archive.api("POST /api/customers/{customer_id}/needs", obj="customer", body={"text": "想了解养老理财"}, ok=201, **W)
archive.api(
    "POST /api/customers/{customer_id}/holdings",
    obj="customer",
    ok=201,
    **W,
    body={"product_code": "DEP-CUR", "balance": "1000"},
)
# ownership changes are requested by anyone who may change the archive (a supervisor approves)
archive.page(
    "customers:assign",
    obj="customer",
    method="post",
    write=True,
    ok=302,
    **W,
    data=lambda s: {"a_rm": s.assignee.pk, "reason": "调整"},
)
archive.api(
    "POST /api/customers/assignments",
    obj="customer",
    ok=201,
    **W,
    body=lambda s: {"customer_ids": [s.customer.pk], "a_rm": s.assignee.pk, "reason": "调整"},
)
# the key-account qualification (issue 19): read by whoever reads the archive (no rule for a kind: 200, n/a)
archive.api("GET /api/customers/{customer_id}/qualification", obj="customer")
# personal data (PIPL): compliance only, refused by role before the archive is looked up
COMPLIANCE_ONLY = role_gate({"compliance"}, before_scope=True)
archive.page("customers:personal_data", obj="customer", expect=COMPLIANCE_ONLY, **W)
archive.api("GET /api/customers/{customer_id}/personal-data", obj="customer", expect=COMPLIANCE_ONLY, **W)
archive.api(
    "POST /api/customers/{customer_id}/anonymise",
    obj="customer",
    body={"reason": "客户申请 A-1"},
    expect=COMPLIANCE_ONLY,
    **W,
)
archive.page(
    "customers:anonymise",
    obj="customer",
    method="post",
    data={"reason": "客户申请 A-1"},
    expect=role_gate({"compliance"}, before_scope=True, ok=302),
    **W,
)


@archive.invariant
def refused_writes_change_nothing(samples, username):
    from rmdesk.core.models import ApprovalRequest

    for s in samples:
        c = fresh(s.customer)
        if username not in s.writers and not c.is_anonymised:
            assert c.version == 1, (s.key, "changed by a user who may not write it")
            assert not [r for r in ApprovalRequest.objects.all() if c.pk in r.payload.get("customer_ids", [])], s.key
        anonymised_here = username == "compliance" and username in s.readers and s.key in W["samples"]
        assert c.is_anonymised == anonymised_here, s.key


test_archive_scope_matrix = archive.test()


def test_several_roles_see_the_union(world, make_customer):
    from rmdesk.org.models import Role

    made = [
        make_customer(world.rm, world.t1),
        make_customer(world.rm_t1b, world.t1b, b_rm=world.rm),
        make_customer(world.rm_t1b, world.t1b),
        make_customer(world.rm2, world.t2),
    ]
    world.rm2.roles.add(Role.objects.get_or_create(code="risk")[0])
    world.rm2 = type(world.rm2).objects.get(pk=world.rm2.pk)  # drop the cached role set
    world.rm2.unit = world.s1
    assert set(visible_customers(world.rm2)) == set(made)


def test_team_that_gains_a_sub_team_covers_it(world, make_customer):
    """Leaf teams are matched by equality; once a team has children its lead sees them too."""
    from rmdesk.org.models import OrgUnit, UnitKind, User

    own = make_customer(world.rm, world.t1)
    assert set(visible_customers(world.lead)) == {own}
    sub = OrgUnit.objects.get(pk=world.t1.pk).add_child(code="T1s", name="一队小组", kind=UnitKind.TEAM)
    nested = make_customer(world.rm, sub)
    lead = User.objects.select_related("team", "unit").get(pk=world.lead.pk)
    assert set(visible_customers(lead)) == {own, nested}


# --- conflicts (不争夺客户): the claimant and the supervisors of either side -----------------------

conflicts = Matrix("customers", samples="conflict_samples")
SUPERVISORS = {"lead", "lead2", "manager"}


@pytest.fixture
def conflict_samples(world, make_customer, ids):
    def conflict(existing, claimant):
        return Conflict.objects.create(
            existing=existing,
            match_field="mobile",
            match_value=existing.mobile,
            source="create",
            proposed={"name": existing.name, "mobile": existing.mobile},
            claimant=claimant,
            org_path=existing.org_path,
            claimant_path=(claimant.team or claimant.unit).path,
        )

    c1 = make_customer(world.rm, world.t1, mobile=ids.mobile())
    c2 = make_customer(world.rm2, world.t2, mobile=ids.mobile())
    return [
        Sample("t1", {"rm_b", "lead", "manager"}, {"rm_b", "lead", "manager"}, conflict=conflict(c1, world.rm_b)),
        Sample("t2", {"rm2", "lead2"}, {"rm2", "lead2"}, conflict=conflict(c2, world.rm2)),
    ]


conflicts.page("customers:conflict_detail", obj="conflict")
conflicts.listing("GET /api/customers/conflicts", obj="conflict")
# settling is for supervisors (403 first), then only conflicts they see (404)
conflicts.api(
    "POST /api/customers/conflicts/{conflict_id}/resolve",
    obj="conflict",
    body={"action": "dismiss", "note": "不重复"},
    expect=role_gate(SUPERVISORS, before_scope=True),
)

test_conflict_scope_matrix = conflicts.test()


# --- import jobs: each person sees only the jobs they uploaded ------------------------------------

imports = Matrix("customers", samples="import_samples")


@pytest.fixture
def import_samples(world):
    from django.core.files.base import ContentFile

    def job(user):
        j = ImportJob(kind="customers", original_name="客户.xlsx", created_by=user, status="failed", error_count=1)
        j.file.save("客户.xlsx", ContentFile(b"x"), save=False)
        j.error_report.save("errors.xlsx", ContentFile(b"x"), save=False)
        j.save()
        return j

    return [Sample("lead", {"lead"}, job=job(world.lead)), Sample("lead2", {"lead2"}, job=job(world.lead2))]


imports.page("customers:import_detail", obj="job")
imports.page("customers:import_errors", obj="job")
imports.api("GET /api/customers/imports/{job_id}", obj="job")

test_import_scope_matrix = imports.test()

# retry of a failed import: the uploader, or a supervisor whose staff scope holds the uploader (issue 10)
retries = Matrix("customers", samples="retry_samples")


@pytest.fixture
def retry_samples(import_samples):
    lead_job, lead2_job = (s.job for s in import_samples)
    return [
        Sample("lead", {"lead", "manager"}, {"lead", "manager"}, job=lead_job),
        Sample("lead2", {"lead2"}, {"lead2"}, job=lead2_job),
    ]


retries.page("customers:import_retry", obj="job", method="post", write=True, ok=302)
retries.api("POST /api/customers/imports/{job_id}/retry", obj="job")

test_import_retry_scope_matrix = retries.test()
