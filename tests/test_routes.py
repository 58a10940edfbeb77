"""Route coverage of the scope matrix (SPEC §1, issue 9): every URL pattern and every OpenAPI
operation that takes an object id must be walked by a scope matrix (tests/scope_matrix.py, one per
app in tests/<app>/test_scope*.py) or be exempt with a written reason. A new page or endpoint that
takes an id therefore fails here until its app registers it, e.g.::

    matrix.page("sales:lead_detail", obj="lead")
    matrix.api("POST /api/sales/leads/{lead_id}/close", obj="lead", body={...})
"""

import importlib
import re
from pathlib import Path

import pytest
from django.urls import URLPattern, URLResolver, get_resolver
from django.urls.converters import IntConverter, PathConverter

from tests import scope_matrix

TESTS = Path(__file__).resolve().parent

#: path parameters that name an object
ID_NAME = re.compile(r"(^|_)(id|pk)$")
_CONVERTER = re.compile(r"<(?:\w+:)?(\w+)>")

#: routes of the project (not of one app) that take an id without a scope check; apps exempt their
#: own routes next to their matrix (matrix.exempt)
PROJECT_EXEMPT = {
    "admin:*": "Django admin: configuration screens for staff users (is_staff), not scoped by org unit by design",
}


def _load_matrices():
    """Import every app's scope-matrix module, so their checks and exemptions are registered."""
    for path in sorted(TESTS.rglob("test_scope*.py")):
        importlib.import_module(".".join(path.relative_to(TESTS.parent).with_suffix("").parts))


def _django_routes(patterns=None, prefix="", namespace=""):
    """(key, route, id parameters) of every URL pattern; the key is the namespaced URL name."""
    for p in get_resolver().url_patterns if patterns is None else patterns:
        if isinstance(p, URLResolver):
            ns = ":".join(x for x in (namespace, p.namespace) if x)
            yield from _django_routes(p.url_patterns, prefix + str(p.pattern), ns)
        elif isinstance(p, URLPattern):
            route = prefix + str(p.pattern)
            name = ":".join(x for x in (namespace, p.name or route) if x)
            ids = [
                k
                for k, conv in p.pattern.converters.items()
                if isinstance(conv, IntConverter | PathConverter) or ID_NAME.search(k)
            ]
            yield name, route, ids


def _api_routes(schema):
    """(key, path, id parameters) of every OpenAPI operation; the key is "METHOD /api/path"."""
    for path, ops in schema["paths"].items():
        for method, op in ops.items():
            ids = [
                p["name"]
                for p in op.get("parameters", [])
                if p["in"] == "path" and (p.get("schema", {}).get("type") == "integer" or ID_NAME.search(p["name"]))
            ]
            yield f"{method.upper()} {path}", path, ids


@pytest.fixture(scope="module")
def routes():
    """Every route as {key: (route, id parameters)}: pages from the URL map, API operations from
    the OpenAPI schema (the API's own URL patterns are checked through the schema, with methods)."""
    from rmdesk.api import api

    _load_matrices()
    schema = api.get_openapi_schema()
    out = {key: (path, ids) for key, path, ids in _api_routes(schema)}
    for key, route, ids in _django_routes():
        if route.startswith("api/") and "/" + _CONVERTER.sub(r"{\1}", route) in schema["paths"]:
            continue  # an operation of the schema, checked above with its method
        out[key] = (route, ids)
    return out


def _exemption(key):
    exempt = {**PROJECT_EXEMPT, **scope_matrix.EXEMPT}
    return exempt.get(key) or next(
        (why for k, why in exempt.items() if k.endswith(":*") and key.startswith(k[:-1])), None
    )


def test_every_route_that_takes_an_id_is_in_a_scope_matrix(routes):
    missing = sorted(
        f"{key}  ({route}; id: {', '.join(ids)})"
        for key, (route, ids) in routes.items()
        if ids and key not in scope_matrix.REGISTRY and not _exemption(key)
    )
    assert not missing, (
        "routes that take an object id but are in no scope matrix:\n  "
        + "\n  ".join(missing)
        + "\nRegister each in its app's tests/<app>/test_scope*.py (matrix.page / matrix.api, see "
        "tests/scope_matrix.py), or exempt it there with a reason (matrix.exempt)."
    )


def test_matrix_entries_and_exemptions_name_existing_routes(routes):
    stale = sorted(k for k in scope_matrix.REGISTRY if k not in routes)
    stale += sorted(f"{k} (exempt)" for k in scope_matrix.EXEMPT if k not in routes)
    assert not stale, "scope-matrix entries for routes that do not exist (renamed or removed?): " + ", ".join(stale)
    needless = sorted(k for k in scope_matrix.EXEMPT if not routes[k][1])
    assert not needless, "exempt routes that take no object id: " + ", ".join(needless)
