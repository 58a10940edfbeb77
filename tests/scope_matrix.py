"""One scope-matrix harness for every app (SPEC §1: out of scope answers 404, never 403).

An app's scope test module builds a `Matrix`: a pytest fixture giving *samples* (objects placed
inside and outside each demo user's subtree, with the users who may read and write each one) and
*checks* (a page, an API operation, a listing or a scope function), then exposes the one walking
test::

    matrix = Matrix("work", samples="work_samples")
    matrix.page("work:journal_detail", obj="journal")
    matrix.api("PUT /api/work/journals/{journal_id}", obj="journal", write=True,
               body=lambda s: {"content": {}, "version": fresh(s.journal).version})
    matrix.listing("GET /api/work/journals", obj="journal")
    test_scope_matrix = matrix.test()

The walking test runs once per demo user (tests/conftest.py `world`) and, for every check and
sample, compares the status with the expectation: readers get `ok`, others 404; on a write, writers
get `ok`, readers who may not write get `read_only` (404 unless the app answers 403), others 404.
Every mismatch of one user is reported together. Routes are named as tests/test_routes.py sees
them: a Django URL name ("customers:detail") or an OpenAPI operation ("GET /api/customers/{customer_id}"),
so a route that takes an object id and appears in no matrix (nor in an exemption) fails the build.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass
from typing import Any

import pytest

#: the demo users of tests/conftest.py `world`, one or two per role
USERS = (
    "rm", "rm_b", "rm_t1b", "lead", "rm2", "lead2", "manager", "risk", "compliance", "assistant", "referrer", "admin",
)  # fmt: skip

#: every check registered by any matrix, by route key (read by tests/test_routes.py)
REGISTRY: dict[str, list[Check]] = {}
#: routes that take an object id on purpose without a scope check, with the reason
EXEMPT: dict[str, str] = {}

_API = re.compile(r"^(GET|POST|PUT|PATCH|DELETE) (/api/\S*)$")
_PARAM = re.compile(r"{(\w+)}")

Expect = Callable[[str, "Sample"], Collection[int] | int]


class Sample:
    """Objects of one case (e.g. "t1": a customer of team T1 and its records) and who may use them."""

    def __init__(self, key: str, readers: Iterable[str], writers: Iterable[str] = (), **objects):
        self.key = key
        self.readers = frozenset(readers)
        self.writers = frozenset(writers)
        self.objects = objects
        unknown = (self.readers | self.writers) - set(USERS)
        assert not unknown, f"sample {key}: unknown users {sorted(unknown)}"
        assert self.writers <= self.readers, f"sample {key}: writers must be readers too"

    def __getattr__(self, name):
        try:
            return self.__dict__["objects"][name]
        except KeyError:
            raise AttributeError(name) from None

    def __repr__(self):
        return f"Sample({self.key!r})"


def fresh(obj):
    """The row as it is now in the database (a check's body often needs the current `version`)."""
    return type(obj)._default_manager.get(pk=obj.pk)


def role_gate(allowed: Iterable[str], status: int = 403, *, before_scope: bool = False, ok=200) -> Expect:
    """Expectation of a route that also checks a role: users outside `allowed` get `status`, either
    whatever the object (`before_scope`, e.g. compliance-only exports) or only on objects they see."""
    allowed = frozenset(allowed)

    def expect(username: str, sample: Sample):
        if before_scope and username not in allowed:
            return status
        if username not in sample.readers:
            return 404
        return ok if username in allowed else status

    return expect


@dataclass
class Check:
    app: str
    route: str  # "ns:name" of a page or "METHOD /api/path/{param}" of an API operation
    kind: str  # "page", "api", "listing" or "queryset"
    obj: str | None = None  # the sample's object whose id fills the path
    method: str = "get"
    write: bool = False
    ok: frozenset = frozenset({200})
    read_only: frozenset = frozenset({404})
    body: Any = None  # dict, or callable(sample) -> dict
    params: Callable | None = None  # callable(sample) -> path parameters, when the id alone is not enough
    query: str | Callable = ""  # appended to the URL; or callable(sample) -> str
    expect: Expect | None = None
    samples: tuple[str, ...] | None = None  # only these samples (default: all)
    users: tuple[str, ...] | None = None  # only these users (default: all; for slow routes such as PDFs)
    multipart: bool = False
    # listings
    field: str = "id"
    attr: str = "pk"
    contains: Callable | None = None  # callable(html, obj) -> bool, for pages
    # querysets
    func: Callable | None = None

    def label(self):
        return self.route if self.kind != "queryset" else f"{self.func.__module__}.{self.func.__name__}"

    def expected(self, username: str, sample: Sample) -> frozenset:
        if self.expect is not None:
            got = self.expect(username, sample)
            return frozenset({got} if isinstance(got, int) else got)
        if self.write:
            if username in sample.writers:
                return self.ok
            return self.read_only if username in sample.readers else frozenset({404})
        return self.ok if username in sample.readers else frozenset({404})


def _codes(value) -> frozenset:
    return frozenset({value} if isinstance(value, int) else value)


class Matrix:
    """The scope checks of one app (or one family of its objects)."""

    def __init__(self, app: str, *, samples: str, users: Iterable[str] = USERS):
        self.app = app
        self.samples_fixture = samples
        self.users = tuple(users)
        self.checks: list[Check] = []
        self.invariants: list[Callable] = []

    # --- registration ---------------------------------------------------------------------------
    def _add(self, check: Check) -> Check:
        self.checks.append(check)
        if check.kind != "queryset":
            REGISTRY.setdefault(check.route, []).append(check)
        return check

    def page(self, name: str, obj: str, *, method="get", data=None, write=False, ok=200, read_only=404, **kw):
        """A page found by URL name; `data` is the POST form (dict or callable(sample))."""
        return self._add(
            Check(
                self.app,
                name,
                "page",
                obj=obj,
                method=method,
                write=write,
                ok=_codes(ok),
                read_only=_codes(read_only),
                body=data,
                **kw,
            )
        )

    def api(self, operation: str, obj: str, *, body=None, write=None, ok=200, read_only=404, **kw):
        """An API operation as OpenAPI names it ("POST /api/x/{x_id}/y"); anything but GET is a write."""
        m = _API.match(operation)
        assert m, f"{operation!r}: expected 'METHOD /api/path'"
        method = m.group(1).lower()
        write = method != "get" if write is None else write
        return self._add(
            Check(
                self.app,
                operation,
                "api",
                obj=obj,
                method=method,
                write=write,
                ok=_codes(ok),
                read_only=_codes(read_only),
                body=body,
                **kw,
            )
        )

    def listing(self, route: str, obj: str, *, write=False, **kw):
        """A list (page or GET API) that shows `obj` exactly to its readers (or writers, write=True)."""
        assert route.startswith("GET /api/") or kw.get("contains"), f"{route}: a page listing needs contains="
        return self._add(Check(self.app, route, "listing", obj=obj, write=write, **kw))

    def queryset(self, func: Callable, obj: str, *, write=True, **kw):
        """A scope function `func(user, write=False)`: `obj` is in it exactly for its readers, and in
        `func(user, write=True)` exactly for its writers (unless write=False)."""
        return self._add(Check(self.app, "", "queryset", obj=obj, write=write, func=func, **kw))

    def invariant(self, func: Callable):
        """Decorator: `func(samples, username)` runs after the walk, e.g. to assert that the refused
        writes changed nothing."""
        self.invariants.append(func)
        return func

    def exempt(self, route: str, reason: str):
        """A route that takes an object id but needs no scope check here (say why)."""
        EXEMPT[route] = reason

    # --- the walking test -----------------------------------------------------------------------
    def test(self):
        """The parametrised test to bind in the app's test module: `test_scope_matrix = matrix.test()`."""
        matrix = self

        @pytest.mark.django_db
        @pytest.mark.parametrize("username", self.users)
        def test_scope_matrix(request, world, username):
            matrix.run(request, world, username)

        test_scope_matrix.__doc__ = f"Scope matrix of {self.app}: every check against every sample as one user."
        return test_scope_matrix

    def run(self, request, world, username: str):
        samples = request.getfixturevalue(self.samples_fixture)
        keys = [s.key for s in samples]
        assert len(set(keys)) == len(keys), f"duplicate sample keys {keys}"
        user = getattr(world, username)
        walker = _Walker(request, user)
        mismatches = []
        for check in self.checks:
            if check.users is not None and username not in check.users:
                continue
            for sample in samples:
                if check.samples is not None and sample.key not in check.samples:
                    continue
                problem = walker.check(check, sample, username)
                if problem:
                    mismatches.append(f"{check.label()} [{sample.key}]: {problem}")
        assert not mismatches, f"{self.app} scope matrix as {username}:\n  " + "\n  ".join(mismatches)
        for func in self.invariants:
            func(samples, username)


class _Walker:
    def __init__(self, request, user):
        self.request = request
        self.user = user
        self._page = self._api = None

    @property
    def page_client(self):
        if self._page is None:
            from django.test import Client

            self._page = Client()
            self._page.force_login(self.user)
        return self._page

    @property
    def api_client(self):
        if self._api is None:
            self._api = self.request.getfixturevalue("api_client")(self.user)
        return self._api

    def check(self, check: Check, sample: Sample, username: str) -> str | None:
        obj = getattr(sample, check.obj) if check.obj else None
        if check.kind == "queryset":
            return self._queryset(check, sample, username, obj)
        if check.kind == "listing":
            return self._listing(check, sample, username, obj)
        resp = self._request(check, sample, obj)
        want = check.expected(username, sample)
        if resp.status_code not in want:
            return f"{resp.status_code}, expected {'/'.join(map(str, sorted(want)))}{_excerpt(resp)}"
        return None

    def _url(self, check: Check, sample: Sample, obj) -> str:
        params = check.params(sample) if check.params else None
        if _API.match(check.route):
            path = check.route.split(" ", 1)[1]
            if params is None:
                names = _PARAM.findall(path)
                assert len(names) <= 1, f"{check.route}: several path parameters, give params="
                params = {names[0]: obj.pk} if names else {}
            url = path.format(**params)
        else:
            from django.urls import reverse

            url = (
                reverse(check.route, kwargs=params)
                if params is not None
                else (reverse(check.route, args=[obj.pk]) if obj is not None else reverse(check.route))
            )
        return url + (check.query(sample) if callable(check.query) else check.query)

    def _request(self, check: Check, sample: Sample, obj):
        url = self._url(check, sample, obj)
        body = check.body(sample) if callable(check.body) else check.body
        if not _API.match(check.route):
            client = self.page_client
            return client.get(url) if check.method == "get" else getattr(client, check.method)(url, body or {})
        client = self.api_client
        if check.method in ("get", "delete") and body is None:
            return getattr(client, check.method)(url)
        if check.multipart:
            return getattr(client, check.method)(url, body)
        return getattr(client, check.method)(url, body or {}, content_type="application/json")

    def _listing(self, check: Check, sample: Sample, username: str, obj) -> str | None:
        resp = self._request(check, sample, obj=None)
        if resp.status_code != 200:
            return f"listing answered {resp.status_code}{_excerpt(resp)}"
        if check.contains is not None:
            shown = bool(check.contains(resp.content.decode(), obj))
        else:
            rows = resp.json()
            rows = rows["items"] if isinstance(rows, dict) else rows
            shown = getattr(obj, check.attr) in {row[check.field] for row in rows}
        allowed = username in (sample.writers if check.write else sample.readers)
        if shown != allowed:
            return f"{'listed' if shown else 'not listed'}, expected {'listed' if allowed else 'not listed'}"
        return None

    def _queryset(self, check: Check, sample: Sample, username: str, obj) -> str | None:
        problems = []
        seen = check.func(self.user).filter(pk=obj.pk).exists()
        if seen != (username in sample.readers):
            problems.append(f"visible={seen}")
        if check.write:
            writable = check.func(self.user, write=True).filter(pk=obj.pk).exists()
            if writable != (username in sample.writers):
                problems.append(f"writable={writable}")
        return ", ".join(problems) or None


def _excerpt(resp) -> str:
    if resp.status_code < 400 or "json" not in resp.get("Content-Type", ""):
        return ""
    try:
        return f" ({json.dumps(resp.json(), ensure_ascii=False)[:200]})"
    except ValueError:
        return ""
