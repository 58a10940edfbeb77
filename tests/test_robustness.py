"""No 5xx from any input, and API errors answer JSON (issue 10, Robustness).

Fixed probes (huge ids and filters, negative or huge limits, malformed cursors, dates at year 1 and
9999, NUL and lone surrogates, 10 MB bodies, unknown API paths) and hypothesis property tests over
the list and detail endpoints of every app. Runs on SQLite and PostgreSQL (DATABASE_URL)."""

import json
from datetime import date

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

BIG = "99999999999999999999"  # beyond bigint and SQLite's integers
INT4 = str(2**31)  # beyond PostgreSQL integer

PROPERTY = settings(
    max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow]
)

API_PROBES = [
    f"/api/customers/{BIG}",
    f"/api/customers/?owner={BIG}",
    f"/api/customers/?tier={BIG}",
    f"/api/customers/?tag={BIG}",
    f"/api/customers/?min_completeness={BIG}&max_completeness=-{BIG}",
    f"/api/customers/?min_completeness={INT4}",
    "/api/customers/?page_size=-5",
    f"/api/customers/?page_size={BIG}",
    "/api/customers/?page=-3",
    f"/api/customers/?page={BIG}",
    "/api/customers/?page=100000&page_size=200",
    "/api/customers/?cursor=abc",
    "/api/customers/?cursor=1e999999_5",
    "/api/customers/?cursor=NaN_5",
    "/api/customers/?cursor=Infinity_5",
    f"/api/customers/?cursor=5_{BIG}",
    f"/api/customers/?cursor={BIG}{BIG}_5",
    f"/api/customers/pool?page_size={BIG}",
    "/api/customers/pool?cursor=x_y",
    f"/api/customers/export?owner={BIG}&tier={BIG}",
    f"/api/customers/handover/preview?from_rm={BIG}&to_rm={BIG}",
    f"/api/customers/imports/{BIG}",
    f"/api/customers/{BIG}/personal-data",
    "/api/customers/conflicts?status=x",
    "/api/work/calendar/add-working-days?start=9999-12-31&n=5",
    "/api/work/calendar/add-working-days?start=0001-01-01&n=5",
    f"/api/work/calendar/add-working-days?start=2026-01-01&n={BIG}",
    "/api/work/calendar/day?day=9999-12-31",
    "/api/work/calendar/day?day=0001-01-01",
    "/api/work/notifications?limit=-5&offset=-5",
    f"/api/work/notifications?limit={BIG}&offset={BIG}",
    f"/api/work/cadence?rm={BIG}&limit=-1&offset={BIG}",
    f"/api/work/cadence/{BIG}",
    f"/api/work/interactions?customer_id={BIG}&limit={BIG}",
    f"/api/work/interactions/{BIG}",
    "/api/work/appointments?start=9999-12-31",
    "/api/work/appointments?start=0001-01-01&end=0001-01-01",
    "/api/work/appointments?start=9999-12-01&end=9999-12-31",
    f"/api/work/appointments?owner_id={BIG}",
    f"/api/work/appointments/{BIG}",
    "/api/work/schedules?week_start=9999-12-31",
    "/api/work/schedules?week_start=0001-01-01",
    f"/api/work/schedules?owner_id={BIG}",
    f"/api/work/schedules/{BIG}",
    f"/api/work/journals?owner_id={BIG}&offset=-1",
    f"/api/work/journals/{BIG}",
    f"/api/org/units/{BIG}",
    f"/api/org/staff/{BIG}",
    f"/api/org/staff?unit_id={BIG}",
    f"/api/service/cases?customer_id={BIG}&owner_id={BIG}&limit={BIG}&offset={BIG}",
    "/api/service/cases?offset=-5&limit=-5",
    f"/api/service/cases/{BIG}",
    f"/api/service/cases/{BIG}/feedback",
    "/api/service/sla/stats?start=9999-12-31&end=9999-12-31",
    "/api/service/sla/stats?start=0001-01-01&end=0001-01-01",
    "/api/service/churn/rates?start=0001-01-01&end=9999-12-31",
    f"/api/service/churn/watch/{BIG}",
    f"/api/service/satisfaction?round_id={BIG}",
    f"/api/service/surveys/rounds/{BIG}/responses",
    "/api/nope",
    "/api/customers/abc",
    "/api/work/appointments/0",
]

PAGE_PROBES = [
    f"/customers/?owner={BIG}&tier={BIG}&tag={BIG}&min_completeness={BIG}",
    f"/customers/?page={BIG}",
    "/customers/?cursor=1e999999_5",
    f"/customers/{BIG}/",
    f"/work/interactions/?customer={BIG}&page={BIG}",
    f"/work/interactions/new/?customer={BIG}&appointment={BIG}",
    f"/work/appointments/new/?customer={BIG}",
    "/work/appointments/?date=9999-12-31",
    "/work/appointments/?date=0001-01-01&view=month",
    "/work/schedule/?week=9999-12-31",
    "/work/schedule/?week=0001-01-01",
    "/work/schedule/team/?week=9999-12-31",
    f"/work/cadence/?rm={BIG}&page={BIG}",
    f"/work/journals/{BIG}/",
    f"/service/{BIG}/",
    f"/service/new/?customer={BIG}",
    "/service/sla/?start=9999-12-31&end=9999-12-31",
    "/service/sla/?start=0001-01-01&end=0001-01-01",
    "/service/churn/?period=x",
    f"/service/churn/watch/new/?customer={BIG}",
]


def _json(resp):
    assert resp["Content-Type"].startswith("application/json"), (resp.status_code, resp["Content-Type"])
    return json.loads(resp.content)


def _client(api_client, user):
    c = api_client(user)
    c.raise_request_exception = False
    return c


@pytest.fixture
def some_customer(world, make_customer):
    return make_customer(world.rm, b_rm=world.rm_b)


def test_api_probes_answer_4xx_json(world, api_client, some_customer):
    failures = []
    for user in (world.rm, world.manager):
        c = _client(api_client, user)
        for url in API_PROBES:
            resp = c.get(url)
            is_json = resp["Content-Type"].startswith("application/json")
            if resp.status_code >= 500 or (resp.status_code >= 400 and not is_json):
                failures.append((user.username, url, resp.status_code, getattr(resp, "content", b"")[:200]))
    assert not failures


def test_huge_ids_and_bad_paging_are_422_with_the_parameter(world, api_client):
    c = _client(api_client, world.manager)
    for url, name in [
        (f"/api/customers/{BIG}", "customer_id"),
        (f"/api/customers/?page_size={BIG}", "page_size"),
        ("/api/customers/?page=-3", "page"),
        (f"/api/work/notifications?offset={BIG}", "offset"),
        ("/api/work/notifications?limit=-5", "limit"),
        ("/api/service/cases?offset=-5", "offset"),
        ("/api/work/calendar/add-working-days?start=9999-12-31&n=5", "start"),
        ("/api/service/sla/stats?start=0001-01-01", "start"),
    ]:
        resp = c.get(url)
        assert resp.status_code == 422, (url, resp.status_code, resp.content)
        assert name in json.dumps(_json(resp)), url


def test_malformed_cursor_is_422(world, api_client):
    c = _client(api_client, world.rm)
    for cursor in ("abc", "1e999999_5", "NaN_5", f"5_{BIG}", "5_-1"):
        resp = c.get("/api/customers/", {"cursor": cursor})
        assert resp.status_code == 422, (cursor, resp.content)
        assert "cursor" in json.dumps(_json(resp))


def test_page_probes_answer_no_5xx(world, client, some_customer):
    client.raise_request_exception = False
    for user in (world.rm, world.manager):
        client.force_login(user)
        failures = [(url, r.status_code) for url in PAGE_PROBES if (r := client.get(url)).status_code >= 500]
        assert not failures, user.username


# --- NUL and lone surrogates ------------------------------------------------------------------------


def test_nul_in_api_query_is_422_naming_the_parameter(world, api_client):
    c = _client(api_client, world.rm)
    for url in ("/api/customers/?q=a%00b", "/api/customers/?stage=%00", "/api/work/tasks?status=%00", "/api/x%00"):
        resp = c.get(url)
        assert resp.status_code in (404, 422), (url, resp.status_code)
        _json(resp)
    assert _json(c.get("/api/customers/?q=a%00b"))["detail"][0]["loc"] == ["query", "q"]


@pytest.mark.parametrize("bad", ["a\x00b", "\ud800", "x\udfffy"])
def test_nul_and_surrogates_in_json_bodies_are_422(world, api_client, some_customer, bad):
    c = _client(api_client, world.rm)
    cases = [
        (f"/api/customers/{some_customer.pk}/notes", {"text": bad}, ["body", "text"]),
        ("/api/work/tasks", {"title": bad}, ["body", "title"]),
        (
            "/api/work/tasks",
            {"title": "t", bad: 1},
            ["body", bad.replace("\ud800", "\ufffd").replace("\udfff", "\ufffd")],
        ),
        ("/api/customers/", {"name": "n", "tags": [bad]}, ["body", "tags", 0]),
    ]
    for url, body, loc in cases:
        resp = c.post(url, body, content_type="application/json")
        assert resp.status_code == 422, (url, resp.content)
        assert _json(resp)["detail"][0]["loc"] == loc


def test_huge_json_integers_are_422(world, api_client):
    c = _client(api_client, world.rm)
    resp = c.post("/api/work/tasks", {"title": "t", "customer_id": 10**30}, content_type="application/json")
    assert resp.status_code == 422
    assert _json(resp)["detail"][0]["loc"] == ["body", "customer_id"]


def test_nul_on_pages_is_the_400_page(world, client):
    client.raise_request_exception = False
    client.force_login(world.rm)
    resp = client.get("/customers/", {"q": "a\x00b"})
    assert resp.status_code == 400
    assert "请求无效" in resp.content.decode()
    resp = client.post("/work/tasks/", {"title": "a\x00"})
    assert resp.status_code == 400


# --- big bodies and JSON errors ---------------------------------------------------------------------


def test_ten_megabyte_bodies_are_413(world, api_client, client):
    c = _client(api_client, world.rm)
    body = json.dumps({"title": "x" * (10 * 1024 * 1024)})
    resp = c.post("/api/work/tasks", body, content_type="application/json")
    assert resp.status_code == 413
    assert _json(resp)["detail"]
    client.raise_request_exception = False
    client.force_login(world.rm)
    resp = client.post("/work/tasks/", {"title": "x" * (10 * 1024 * 1024)})
    assert resp.status_code == 413


def test_unknown_api_paths_and_methods_answer_json(world, api_client, client):
    client.raise_request_exception = False
    for c in (client, _client(api_client, world.rm)):
        resp = c.get("/api/no/such/route")
        assert resp.status_code == 404
        assert _json(resp)["detail"]
    resp = _client(api_client, world.rm).put("/api/work/cadence/summary")
    assert resp.status_code == 405
    assert _json(resp)["detail"]


def test_server_errors_in_the_api_answer_json(world, api_client, monkeypatch):
    from rmdesk.work import cadence

    def boom(user):
        raise RuntimeError("boom")

    monkeypatch.setattr(cadence, "rm_summary", boom)
    resp = _client(api_client, world.manager).get("/api/work/cadence/summary")
    assert resp.status_code == 500
    assert "boom" not in resp.content.decode()
    assert _json(resp)["detail"]


def test_lock_out_answers_json(world, client):
    client.raise_request_exception = False
    for _ in range(7):
        resp = client.post("/api/auth/token", {"username": "rm", "password": "wrong"}, content_type="application/json")
        assert resp.status_code in (401, 429)
        _json(resp)
    assert resp.status_code == 429  # locked out: Too Many Requests, as the login page answers


# --- properties -------------------------------------------------------------------------------------

wide_ints = st.one_of(
    st.integers(min_value=-(2**70), max_value=2**70),
    st.sampled_from([0, -1, 2**31 - 1, 2**31, 2**63 - 1, 2**63, 10**20]),
).map(str)
odd_dates = st.one_of(st.dates(), st.sampled_from([date.min, date.max, date(1899, 12, 31), date(3000, 1, 1)])).map(
    date.isoformat
)
query_text = st.one_of(
    st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=20),
    st.sampled_from(["\x00", "a\x00", "1e999999_5", "NaN_1", "-0", "me", "none", "%", "_"]),
)
values = st.one_of(wide_ints, odd_dates, query_text)

LIST_ENDPOINTS = {
    "customers": (
        "/api/customers/",
        [
            "q",
            "tier",
            "stage",
            "kind",
            "owner",
            "tag",
            "min_completeness",
            "max_completeness",
            "contact",
            "cursor",
            "page",
            "page_size",
        ],
    ),
    "customers-pool": ("/api/customers/pool", ["cursor", "page_size"]),
    "org-staff": ("/api/org/staff", ["unit_id", "role"]),
    "org-approvals": ("/api/org/approvals", ["kind"]),
    "work-cadence": ("/api/work/cadence", ["status", "rm", "limit", "offset"]),
    "work-interactions": ("/api/work/interactions", ["customer_id", "kind", "limit", "offset"]),
    "work-appointments": ("/api/work/appointments", ["start", "end", "owner_id"]),
    "work-schedules": ("/api/work/schedules", ["week_start", "owner_id"]),
    "work-journals": ("/api/work/journals", ["status", "owner_id", "to_review", "overdue", "limit", "offset"]),
    "work-notifications": ("/api/work/notifications", ["unread", "limit", "offset"]),
    "work-calendar": ("/api/work/calendar/add-working-days", ["start", "n"]),
    "work-day": ("/api/work/calendar/day", ["day"]),
    "service-cases": ("/api/service/cases", ["status", "customer_id", "owner_id", "breached", "limit", "offset"]),
    "service-sla": ("/api/service/sla/stats", ["group", "start", "end"]),
    "service-churn": ("/api/service/churn/rates", ["start", "end", "period"]),
    "service-satisfaction": ("/api/service/satisfaction", ["group", "round_id"]),
    "service-watch": ("/api/service/churn/watch", ["status"]),
}

DETAIL_ENDPOINTS = [
    "/api/customers/{}",
    "/api/customers/imports/{}",
    "/api/org/units/{}",
    "/api/org/staff/{}",
    "/api/work/cadence/{}",
    "/api/work/interactions/{}",
    "/api/work/appointments/{}",
    "/api/work/schedules/{}",
    "/api/work/journals/{}",
    "/api/service/cases/{}",
    "/api/service/cases/{}/feedback",
    "/api/service/churn/watch/{}",
    "/api/service/surveys/rounds/{}/responses",
]


def _check(resp, what):
    assert resp.status_code < 500, (what, resp.status_code, resp.content[:300])
    if resp.status_code != 204:
        _json(resp)


@pytest.mark.parametrize("app", ["customers", "org", "work", "service"])
def test_list_endpoints_take_any_query(world, api_client, some_customer, app):
    c = _client(api_client, world.manager)
    endpoints = [v for k, v in LIST_ENDPOINTS.items() if k.startswith(app)]

    @PROPERTY
    @given(data=st.data())
    def run(data):
        url, names = data.draw(st.sampled_from(endpoints))
        params = data.draw(st.dictionaries(st.sampled_from(names), values, max_size=4))
        _check(c.get(url, params), (url, params))

    run()


@PROPERTY
@given(template=st.sampled_from(DETAIL_ENDPOINTS), pk=wide_ints.filter(lambda s: not s.startswith("-")))
def test_detail_endpoints_take_any_id(world, api_client, template, pk):
    _check(_client(api_client, world.manager).get(template.format(pk)), (template, pk))


body_text = st.text(max_size=30)  # surrogates and NUL included
body_values = st.one_of(body_text, st.integers(min_value=-(2**80), max_value=2**80), odd_dates, st.none())


@PROPERTY
@given(
    body=st.fixed_dictionaries(
        {},
        optional={
            "title": body_text,
            "detail": body_text,
            "due_on": odd_dates,
            "customer_id": body_values,
        },
    ),
    note=body_values,
    minutes=st.integers(min_value=-(2**64), max_value=2**64),
)
def test_json_bodies_take_any_value(world, api_client, some_customer, body, note, minutes):
    c = _client(api_client, world.rm)
    _check(c.post("/api/work/tasks", body, content_type="application/json"), body)
    _check(c.post(f"/api/customers/{some_customer.pk}/notes", {"text": note}, content_type="application/json"), note)
    appt = {
        "customer_id": some_customer.pk,
        "subject": note,
        "start_at": f"{body.get('due_on', '2026-01-05')}T09:00",
        "remind_minutes": minutes,
    }
    _check(c.post("/api/work/appointments", appt, content_type="application/json"), appt)


PAGE_LISTS = {
    "/customers/": ["q", "tier", "stage", "kind", "owner", "tag", "min_completeness", "contact", "cursor", "page"],
    "/customers/pool/": ["cursor", "page"],
    "/work/notifications/": ["show", "kind", "page"],
    "/work/cadence/": ["status", "rm", "q", "page"],
    "/work/interactions/": ["customer", "kind", "mine", "page"],
    "/work/appointments/": ["view", "date", "owner"],
    "/work/schedule/": ["week"],
    "/work/schedule/team/": ["week"],
    "/work/tasks/": ["show", "page"],
    "/work/journals/": ["status", "page"],
    "/service/": ["status", "customer", "q", "page"],
    "/service/sla/": ["group", "start", "end"],
    "/service/surveys/index/": ["group", "round"],
    "/service/churn/": ["period", "status", "page", "start", "end"],
}


@pytest.mark.parametrize("user", ["rm", "manager"])
def test_list_pages_take_any_query(world, client, some_customer, user):
    client.raise_request_exception = False
    client.force_login(getattr(world, user))

    @PROPERTY
    @given(data=st.data())
    def run(data):
        url = data.draw(st.sampled_from(sorted(PAGE_LISTS)))
        params = data.draw(st.dictionaries(st.sampled_from(PAGE_LISTS[url]), values, max_size=3))
        resp = client.get(url, params)
        assert resp.status_code < 500, (url, params, resp.status_code)

    run()
