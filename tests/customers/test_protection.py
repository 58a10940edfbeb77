"""Protection of the archive's data (SPEC §2 为客户保密 and 不争夺客户, issue 10 "Security and data
protection"):

- sensitive fields (protection.SENSITIVE_FIELDS) never leave in clear except through the audited
  reveal: a walker renders every customers page and API operation as every role and looks for the
  raw values; the edit page's sensitive inputs are write-only;
- a claim on an existing archive tells the claimant nothing of that archive when it lies outside
  their scope; the supervisor covering both sees both.
"""

import re
from decimal import Decimal
from io import BytesIO

import pytest
from django.core.files.base import ContentFile
from django.urls import URLPattern, URLResolver, reverse
from openpyxl import load_workbook

from rmdesk.core.models import AuditEvent
from rmdesk.core.roles import RoleCode
from rmdesk.customers import services
from rmdesk.customers.models import Conflict, Customer, Document, ImportJob
from rmdesk.customers.protection import SENSITIVE_FIELDS, mask
from tests.conftest import make_user

pytestmark = pytest.mark.django_db

ROLES = (
    "rm",
    "rm_b",
    "rm_t1b",
    "lead",
    "rm2",
    "lead2",
    "manager",
    "risk",
    "compliance",
    "assistant",
    "referrer",
    "admin",
)
ADDRESS = "南京市鼓楼区湖南路一百号银河大厦十七楼"
CORP_ADDRESS = "苏州市工业园区星湖街三百二十八号"
INCOME = Decimal("987654.32")


def _raw_tokens(customer):
    """The clear forms of a customer's sensitive values as they could appear in a page or answer."""
    tokens = []
    for field in SENSITIVE_FIELDS:
        value = getattr(customer, field)
        if value in (None, ""):
            continue
        if field == "annual_income":
            tokens += ["987654", "987,654", "987654.32"]
        elif field == "address":
            tokens += [value, value[:10]]
        else:
            tokens.append(str(value))
    return tokens


def _text(resp) -> str:
    """Everything a response says: HTML/JSON as text, a streamed xlsx as its cells' values."""
    body = b"".join(resp.streaming_content) if getattr(resp, "streaming", False) else resp.content
    if body[:2] == b"PK":  # an xlsx
        wb = load_workbook(BytesIO(body), read_only=True)
        return "\n".join(
            str(v) for ws in wb.worksheets for row in ws.iter_rows(values_only=True) for v in row if v is not None
        )
    return body.decode("utf-8", "replace") + "\n" + "\n".join(f"{k}: {v}" for k, v in resp.items())


@pytest.fixture
def protected(world, make_customer, ids):
    """An individual and a corporate archive in team T1 with known sensitive values, an open
    conflict on the individual (claimed by rm2 of another sub-branch) and an import job per importer."""
    person = make_customer(
        world.rm,
        world.t1,
        b_rm=world.rm_b,
        name="张伟明",
        name_initials="zwm",
        id_number=ids.id(),
        mobile="13912345678",
        address=ADDRESS,
        annual_income=INCOME,
        aum=Decimal("800000"),
    )
    company = make_customer(
        world.rm,
        world.t1,
        kind="corporate",
        name="星湖科技有限公司",
        credit_code=ids.credit(),
        mobile="13987654321",
        address=CORP_ADDRESS,
    )
    _, conflict = services.create_customer(
        world.rm2, {"name": "张伟明", "mobile": person.mobile, "address": ADDRESS, "annual_income": INCOME}
    )
    assert conflict is not None
    for user in (world.lead, world.assistant):
        ImportJob.objects.create(created_by=user, kind="customers", original_name="c.xlsx")
    Document.objects.create(customer=person, kind="other", file=ContentFile(b"scan", name="scan.pdf"), title="扫描件")
    return {"person": person, "company": company, "conflict": conflict}


# --- what the walker requests ------------------------------------------------------------------------

#: page routes the walker does not request, with the reason
PAGE_EXEMPT = {
    "customers:reveal": "the audited reveal itself (test_reveal_is_the_only_clear_answer_and_is_audited)",
    "customers:personal_data": "compliance's audited data-subject export (test_personal_data_is_audited)",
    "customers:add": "POST-only additions answering a redirect",
    "customers:assign": "POST-only request answering a redirect",
    "customers:anonymise": "POST-only erasure answering a redirect",
    "customers:import_errors": "the uploader's own error report of the file they uploaded (no stored archive)",
    "customers:import_retry": "POST-only re-queue of the uploader's own failed import answering a redirect",
}
#: API operations the walker does not request, with the reason
API_EXEMPT = {
    "POST /api/customers/{customer_id}/reveal": "the audited reveal itself",
    "GET /api/customers/{customer_id}/personal-data": "compliance's audited data-subject export",
    "POST /api/customers/{customer_id}/anonymise": "erases the data (answer is the masked detail)",
    "POST /api/customers/imports": "an upload; its answer is the job (walked as GET imports/{job_id})",
    "POST /api/customers/imports/{job_id}/retry": "re-queues the uploader's own job; answers the job (as GET)",
    "POST /api/customers/assignments": "answers an approval request (id, kind, title, status)",
    "POST /api/customers/handover": "answers an approval request (id, kind, title, status)",
    "POST /api/customers/conflicts/{conflict_id}/resolve": "a supervisor's decision (test_conflict_* below)",
    "POST /api/customers/{customer_id}/holdings": "answers the holding only",
    "POST /api/customers/{customer_id}/notes": "answers an id",
    "POST /api/customers/{customer_id}/needs": "answers an id",
}


def _page_requests(world, d, user):
    person, company, conflict = d["person"], d["company"], d["conflict"]
    job = ImportJob.objects.filter(created_by=user).first()
    out = {
        "customers:list": [("get", reverse("customers:list"), {}), ("get", reverse("customers:list"), {"q": "zwm"})],
        "customers:new": [("get", reverse("customers:new"), {"kind": k}) for k in ("individual", "corporate")],
        "customers:export": [("get", reverse("customers:export"), {})],
        "customers:import": [("get", reverse("customers:import"), {})],
        "customers:import_template": [("get", reverse("customers:import_template", args=["customers"]), {})],
        "customers:import_detail": [("get", reverse("customers:import_detail", args=[job.pk if job else 999999]), {})],
        "customers:pool": [("get", reverse("customers:pool"), {})],
        "customers:conflicts": [("get", reverse("customers:conflicts"), {"status": ""})],
        "customers:conflict_detail": [("get", reverse("customers:conflict_detail", args=[conflict.pk]), {})],
        "customers:handover": [("get", reverse("customers:handover"), {"from_rm": world.rm.pk})],
        "customers:picker_suggest": [
            ("get", reverse("customers:picker_suggest"), {"q": q}) for q in (person.name[:1], person.customer_no[:4])
        ]
        + [("get", reverse("customers:picker_suggest"), {"customer": person.pk})],
        "customers:document": [
            ("get", reverse("customers:document", args=[doc.customer_id, doc.pk]), {})
            for doc in Document.objects.filter(customer__in=[person, company])
        ],
        "customers:detail": [],
        "customers:edit": [],
    }
    for c in (person, company):
        out["customers:detail"].append(("get", reverse("customers:detail", args=[c.pk]), {}))
        out["customers:edit"].append(("get", reverse("customers:edit", args=[c.pk]), {}))
        # a refused edit re-renders the form: still nothing in clear
        out["customers:edit"].append(
            ("post", reverse("customers:edit", args=[c.pk]), {"version": c.version, "name": "", "stage": "potential"})
        )
    return out


def _api_requests(world, d, user, ids):
    person, company = d["person"], d["company"]
    job = ImportJob.objects.filter(created_by=user).first()
    out = {
        "GET /api/customers/": [("get", "/api/customers/", {}), ("get", "/api/customers/", {"q": "zwm"})],
        "GET /api/customers/export": [("get", "/api/customers/export", {})],
        "GET /api/customers/pool": [("get", "/api/customers/pool", {})],
        "GET /api/customers/tier-rule-sets": [("get", "/api/customers/tier-rule-sets", {})],
        "GET /api/customers/handover/preview": [("get", "/api/customers/handover/preview", {"from_rm": world.rm.pk})],
        "GET /api/customers/conflicts": [("get", "/api/customers/conflicts", {"status": ""})],
        "GET /api/customers/imports/{job_id}": [("get", f"/api/customers/imports/{job.pk if job else 999999}", {})],
        # a claim of the same mobile: the 202 answer (or the refusal) says nothing in clear
        "POST /api/customers/": [("post", "/api/customers/", {"name": "王五", "mobile": person.mobile})],
        "GET /api/customers/{customer_id}": [],
        "PATCH /api/customers/{customer_id}": [],
        "GET /api/customers/{customer_id}/qualification": [],
    }
    for c in (person, company):
        out["GET /api/customers/{customer_id}"].append(("get", f"/api/customers/{c.pk}", {}))
        out["GET /api/customers/{customer_id}/qualification"].append(
            ("get", f"/api/customers/{c.pk}/qualification", {})
        )
        out["PATCH /api/customers/{customer_id}"].append(
            ("patch", f"/api/customers/{c.pk}", lambda c=c: {"version": Customer.objects.get(pk=c.pk).version})
        )
    return out


def _page_names():
    from rmdesk.customers import urls

    return {f"customers:{p.name}" for p in urls.urlpatterns if isinstance(p, URLPattern)} | {
        p for p in urls.urlpatterns if isinstance(p, URLResolver)
    }


def _api_keys():
    from rmdesk.api import api

    schema = api.get_openapi_schema()
    return {
        f"{method.upper()} {path}"
        for path, ops in schema["paths"].items()
        if path.startswith("/api/customers")
        for method in ops
    }


def test_the_walker_covers_every_customers_route(world, protected, ids):
    pages = set(_page_requests(world, protected, world.rm)) | set(PAGE_EXEMPT)
    assert _page_names() - pages == set(), "customers pages the masking walker does not request"
    apis = set(_api_requests(world, protected, world.rm, ids)) | set(API_EXEMPT)
    assert _api_keys() - apis == set(), "customers API operations the masking walker does not request"


@pytest.mark.parametrize("username", ROLES)
def test_no_page_or_api_answer_shows_a_sensitive_value_in_clear(world, protected, client, api_client, ids, username):
    user = getattr(world, username)
    tokens = _raw_tokens(protected["person"]) + _raw_tokens(protected["company"])
    assert len(tokens) >= 7
    seen = []
    client.force_login(user)
    for key, reqs in _page_requests(world, protected, user).items():
        for method, url, data in reqs:
            resp = getattr(client, method)(url, data)
            seen.append(resp.status_code)
            text = _text(resp)
            leaked = [t for t in tokens if t in text]
            assert not leaked, f"{username} {method.upper()} {url} ({key}, {resp.status_code}) shows {leaked}"
            # the htmx partial of the list too
            if key == "customers:list":
                text = _text(client.get(url, data, HTTP_HX_REQUEST="true"))
                assert not [t for t in tokens if t in text], f"{username} list rows"
    api = api_client(user)
    for key, reqs in _api_requests(world, protected, user, ids).items():
        for method, url, data in reqs:
            body = data() if callable(data) else data
            if method == "get":
                resp = api.get(url, body)
            else:
                resp = getattr(api, method)(url, body, content_type="application/json")
            seen.append(resp.status_code)
            text = _text(resp)
            leaked = [t for t in tokens if t in text]
            assert not leaked, f"{username} {method.upper()} {url} ({key}, {resp.status_code}) shows {leaked}"
    assert 200 in seen  # the walk read something as this role


def test_reveal_is_the_only_clear_answer_and_is_audited(world, protected, client, api_client):
    person = protected["person"]
    client.force_login(world.rm)
    resp = client.post(reverse("customers:reveal", args=[person.pk]), {"field": "mobile", "reason": "核实身份"})
    assert person.mobile in resp.content.decode()
    resp = api_client(world.rm).post(
        f"/api/customers/{person.pk}/reveal",
        {"field": "id_number", "reason": "核实身份"},
        content_type="application/json",
    )
    assert resp.json()["value"] == person.id_number
    fields = sorted(e.summary.get("field") for e in AuditEvent.objects.filter(action="customers.reveal"))
    assert fields == ["id_number", "mobile"]


def test_personal_data_is_audited(world, protected, client):
    client.force_login(world.compliance)
    resp = client.get(reverse("customers:personal_data", args=[protected["person"].pk]))
    assert resp.status_code == 200 and protected["person"].mobile in resp.content.decode()
    assert AuditEvent.objects.filter(action="customers.personal_data_export").count() == 1


# --- write-only sensitive inputs on the edit page -----------------------------------------------------


def _edit_form(client, customer, **changes):
    """The edit form's fields as the page renders them (inputs, selects, textareas), then `changes`."""
    html = client.get(reverse("customers:edit", args=[customer.pk])).content.decode()
    data = {}
    for m in re.finditer(r"<input[^>]*>", html):
        tag = m.group(0)
        name = re.search(r'name="([^"]+)"', tag)
        if not name or name.group(1) == "csrfmiddlewaretoken":
            continue
        if 'type="checkbox"' in tag:
            if "checked" in tag:
                data[name.group(1)] = "on"
            continue
        value = re.search(r'value="([^"]*)"', tag)
        data[name.group(1)] = value.group(1) if value else ""
    for m in re.finditer(r'<select[^>]*name="([^"]+)"[^>]*>(.*?)</select>', html, re.S):
        sel = re.search(r'<option value="([^"]*)"[^>]*selected', m.group(2))
        data[m.group(1)] = sel.group(1) if sel else ""
    for m in re.finditer(r'<textarea[^>]*name="([^"]+)"[^>]*>(.*?)</textarea>', html, re.S):
        data[m.group(1)] = m.group(2).strip()
    data.update(changes)
    return html, data


@pytest.mark.parametrize("which", ["person", "company"])
def test_edit_page_sensitive_inputs_are_empty_with_the_masked_value_as_placeholder(world, protected, client, which):
    c = protected[which]
    client.force_login(world.rm)
    html, data = _edit_form(client, c)
    for field in SENSITIVE_FIELDS:
        if field not in data:
            continue
        assert data[field] == "", f"{field} is not write-only"
        if getattr(c, field) not in (None, ""):
            assert f'placeholder="{mask(field, getattr(c, field))}"' in html, field
    assert "留空则不修改" in html


@pytest.mark.parametrize("which", ["person", "company"])
def test_blank_sensitive_inputs_keep_the_stored_values(world, protected, client, which):
    c = protected[which]
    before = {f: getattr(c, f) for f in SENSITIVE_FIELDS}
    client.force_login(world.rm)
    _, data = _edit_form(client, c, email="new@example.com")
    resp = client.post(reverse("customers:edit", args=[c.pk]), data)
    assert resp.status_code == 302, resp.content.decode()[:2000]
    c = Customer.objects.get(pk=c.pk)
    assert c.email == "new@example.com" and c.version == 2
    assert {f: getattr(c, f) for f in SENSITIVE_FIELDS} == before
    event = AuditEvent.objects.filter(action="customers.update").get()
    assert "email" in event.summary["after"] and not set(SENSITIVE_FIELDS) & set(event.summary["after"])


def test_a_new_sensitive_value_replaces_the_stored_one_and_is_audited_masked(world, protected, client, ids):
    c = protected["person"]
    new_id = ids.id()
    client.force_login(world.rm)
    _, data = _edit_form(client, c, mobile="13800001111", id_number=new_id, annual_income="123456.78")
    resp = client.post(reverse("customers:edit", args=[c.pk]), data)
    assert resp.status_code == 302, resp.content.decode()[:2000]
    c = Customer.objects.get(pk=c.pk)
    assert (c.mobile, c.id_number, c.annual_income, c.address) == (
        "13800001111",
        new_id,
        Decimal("123456.78"),
        ADDRESS,
    )
    event = AuditEvent.objects.filter(action="customers.update").get()
    assert set(event.summary["after"]) >= {"mobile", "id_number", "annual_income"}
    assert event.summary["after"]["mobile"] == mask("mobile", "13800001111")
    assert event.summary["before"]["mobile"] == mask("mobile", "13912345678")
    logged = str(event.summary)
    assert "13800001111" not in logged and new_id not in logged and "13912345678" not in logged


def test_a_new_sensitive_value_is_validated_as_before(world, protected, client):
    c = protected["person"]
    client.force_login(world.rm)
    _, data = _edit_form(client, c, mobile="12345")
    resp = client.post(reverse("customers:edit", args=[c.pk]), data)
    assert resp.status_code == 200 and 'data-field-error="mobile"' in resp.content.decode()
    assert Customer.objects.get(pk=c.pk).mobile == "13912345678"


def test_api_patch_leaves_unsent_sensitive_fields_and_answers_masked(world, protected, api_client):
    c = protected["person"]
    api = api_client(world.rm)
    resp = api.patch(
        f"/api/customers/{c.pk}", {"version": c.version, "occupation": "教师"}, content_type="application/json"
    )
    assert resp.status_code == 200
    assert resp.json()["customer"]["mobile"] == mask("mobile", c.mobile)
    fresh = Customer.objects.get(pk=c.pk)
    assert (fresh.mobile, fresh.id_number, fresh.address, fresh.annual_income) == (
        c.mobile,
        c.id_number,
        c.address,
        c.annual_income,
    )


# --- conflicts: the claimant learns nothing of an archive outside their scope ------------------------


@pytest.fixture
def claim(world, make_customer, ids):
    """An archive of T1 (A-post 欧阳守正) with distinctive facts; rm2 (T2) claims the same ID number."""
    owner = make_user("ouyang", [RoleCode.RM], world.o1, world.t1, level="2", full_name="欧阳守正")
    existing = make_customer(
        owner,
        world.t1,
        name="慕容复兴",
        customer_no="EXIST4242",
        id_number=ids.id(),
        mobile=ids.mobile(),
        aum=Decimal("8123456.78"),
    )
    branch = make_user("bm", [RoleCode.BRANCH_MANAGER], world.br, qualified=False)
    return {"existing": existing, "owner": owner, "branch": branch}


def _existing_tokens(claim):
    e = claim["existing"]
    return ["慕容复兴", "EXIST4242", "欧阳守正", "8,123,456", "8123456", f"/customers/{e.pk}/"]


def _assert_hidden(text, claim, where):
    leaked = [t for t in _existing_tokens(claim) if t in text]
    assert not leaked, f"{where} shows the existing archive: {leaked}"


def test_claimant_on_the_create_page_learns_only_their_conflict_reference(world, claim, client):
    existing = claim["existing"]
    client.force_login(world.rm2)
    resp = client.post(
        reverse("customers:new"),
        {
            "kind": "individual",
            "name": "李四光",
            "id_number": existing.id_number,
            "source": "self",
            "stage": "potential",
        },
        follow=True,
    )
    conflict = Conflict.objects.get()
    html = resp.content.decode()
    assert f"#{conflict.pk}" in html and "冲突处理" in html and "李四光" in html  # their own claim
    _assert_hidden(html, claim, "the page after the claim")
    for url in (reverse("customers:conflicts") + "?status=", reverse("customers:conflict_detail", args=[conflict.pk])):
        page = client.get(url)
        assert page.status_code == 200
        _assert_hidden(page.content.decode(), claim, url)


def test_claimant_through_the_api_is_not_told_the_existing_id(world, claim, api_client):
    existing = claim["existing"]
    api = api_client(world.rm2)
    resp = api.post(
        "/api/customers/", {"name": "李四光", "id_number": existing.id_number}, content_type="application/json"
    )
    assert resp.status_code == 202
    body = resp.json()
    assert body["conflict"]["existing_id"] is None and body["conflict"]["id"] == Conflict.objects.get().pk
    _assert_hidden(resp.content.decode(), claim, "the 202 answer")
    listed = api.get("/api/customers/conflicts", {"status": ""})
    assert [c["existing_id"] for c in listed.json()] == [None]
    _assert_hidden(listed.content.decode(), claim, "the conflict list")


def test_claimant_editing_into_a_duplicate_learns_nothing_of_the_other_archive(world, claim, make_customer, client):
    own = make_customer(world.rm2, world.t2, name="李四光")
    client.force_login(world.rm2)
    _, data = _edit_form(client, own, id_number=claim["existing"].id_number)
    resp = client.post(reverse("customers:edit", args=[own.pk]), data, follow=True)
    assert Conflict.objects.filter(subject=own).exists()
    _assert_hidden(resp.content.decode(), claim, "the page after the edit")
    conflict = Conflict.objects.get()
    _assert_hidden(
        client.get(reverse("customers:conflict_detail", args=[conflict.pk])).content.decode(), claim, "conflict page"
    )


def test_claimants_own_supervisor_outside_the_archives_scope_sees_nothing_of_it(world, claim, client, api_client):
    services.create_customer(world.rm2, {"name": "李四光", "id_number": claim["existing"].id_number})
    conflict = Conflict.objects.get()
    client.force_login(world.lead2)
    for url in (reverse("customers:conflicts") + "?status=", reverse("customers:conflict_detail", args=[conflict.pk])):
        _assert_hidden(client.get(url).content.decode(), claim, url)
    listed = api_client(world.lead2).get("/api/customers/conflicts").json()
    assert [c["existing_id"] for c in listed] == [None]


def test_supervisor_covering_both_sees_both(world, claim, client, api_client):
    existing = claim["existing"]
    services.create_customer(world.rm2, {"name": "李四光", "id_number": existing.id_number})
    conflict = Conflict.objects.get()
    client.force_login(claim["branch"])
    html = client.get(reverse("customers:conflict_detail", args=[conflict.pk])).content.decode()
    for token in ("慕容复兴", "EXIST4242", "欧阳守正", "8,123,456.78", "李四光"):
        assert token in html, token
    assert 'data-testid="conflict-resolve"' in html
    assert existing.id_number not in html  # masked on both sides
    listing = client.get(reverse("customers:conflicts")).content.decode()
    assert "慕容复兴" in listing
    listed = api_client(claim["branch"]).get("/api/customers/conflicts").json()
    assert [c["existing_id"] for c in listed] == [existing.pk]
