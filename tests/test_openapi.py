"""The OpenAPI document describes the API truly (SPEC §12, issue 10): no two schemas share a component
name (Ninja names components by class name, so a later one would silently replace the earlier), every
operation documents the errors it can answer, and Ninja's own errors come as JSON in the user's
language."""

import json
import typing
from collections import defaultdict

import pytest
from django.conf import settings
from pydantic import BaseModel

from rmdesk.api import api
from rmdesk.core import schemas as core_schemas


def _models_in(annotation, found: set):
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        if annotation not in found:
            found.add(annotation)
            for field in annotation.model_fields.values():
                _models_in(field.annotation, found)
        return
    for arg in typing.get_args(annotation):
        _models_in(arg, found)


def _operations():
    for _prefix, router in api._routers:
        for path_view in router.path_operations.values():
            yield from path_view.operations


def _reachable_models() -> set:
    """Every schema class an operation reads or writes, with the models nested in them (Ninja wraps
    each operation's parameters and responses in models of its own: their fields are the schemas)."""
    found = set()
    for op in _operations():
        wrappers = list(op.models) + [m for m in op.response_models.values() if m is not None]
        for wrapper in wrappers:
            for field in getattr(wrapper, "model_fields", {}).values():
                _models_in(field.annotation, found)
    return found | {core_schemas.ErrorOut, core_schemas.ErrorItem, core_schemas.ValidationErrorOut}


@pytest.fixture(scope="module")
def document():
    return api.get_openapi_schema()


def test_the_walker_sees_the_schemas_of_every_app():
    """Guards the test below: were the walk to find nothing, no collision could fail it."""
    modules = {m.__module__ for m in _reachable_models()}
    for app in ("org.api", "customers.schemas", "work.schemas", "service.schemas", "core.schemas"):
        assert f"rmdesk.{app}" in modules


def test_no_two_schemas_share_a_component_name(document):
    by_name = defaultdict(set)
    for model in _reachable_models():
        by_name[model.__name__].add(f"{model.__module__}.{model.__qualname__}")
    shared = {name: sorted(where) for name, where in by_name.items() if len(where) > 1}
    assert not shared, f"schema classes sharing a component name (prefix them with their app): {shared}"
    components = document["components"]["schemas"]
    models = {m.__name__: m for m in _reachable_models()}
    for name, component in components.items():
        model = models.get(name)
        if model is None or "properties" not in component:
            continue
        # the component is this class's, not another's of the same name written over it
        assert set(component["properties"]) == set(model.model_json_schema()["properties"]), name


def _op(document, method, path):
    return document["paths"][path][method]


def _statuses(document, method, path):
    return {int(s) for s in _op(document, method, path)["responses"]}


def test_every_operation_documents_its_errors(document):
    for path, item in document["paths"].items():
        for method, op in item.items():
            statuses = {int(s) for s in op["responses"]}
            if op.get("security"):
                assert 401 in statuses, (method, path)
            if "{" in path:
                assert {404, 422} <= statuses, (method, path)
            for status, response in op["responses"].items():
                if int(status) >= 400:
                    schema = response["content"]["application/json"]["schema"]
                    want = "ValidationErrorOut" if int(status) == 422 else "ErrorOut"
                    assert schema == {"$ref": f"#/components/schemas/{want}"}, (method, path, status)


@pytest.mark.parametrize(
    "method, path, statuses",
    [
        ("get", "/api/me", {200, 401}),
        ("post", "/api/auth/token", {200, 400, 401, 403, 422, 429}),  # 403: a role that must enrol in 2FA first
        ("patch", "/api/customers/{customer_id}", {200, 202, 400, 401, 403, 404, 409, 422}),
        ("get", "/api/customers/{customer_id}", {200, 401, 404, 422}),
        ("get", "/api/customers/handover/preview", {200, 401, 403, 404, 422}),
        ("delete", "/api/work/schedules/items/{item_id}", {204, 401, 403, 404, 409, 422}),
        ("post", "/api/work/tasks", {201, 400, 401, 403, 404, 422}),
        ("post", "/api/service/cases/{case_id}/accept", {200, 400, 401, 403, 404, 409, 422}),
        ("get", "/api/service/categories", {200, 401}),
    ],
)
def test_documented_statuses_follow_what_the_operation_does(document, method, path, statuses):
    """401 when authenticated, 403 on writes and role-checked reads, 404 for looked-up ids, 409 where a
    version is checked, 422 with input, 429 only where the lock-out applies."""
    assert _statuses(document, method, path) == statuses


def test_the_validation_error_schema_is_what_the_handlers_write(document):
    schemas = document["components"]["schemas"]
    detail = schemas["ValidationErrorOut"]["properties"]["detail"]
    assert {"$ref": "#/components/schemas/ErrorItem"} in [v.get("items") for v in detail["anyOf"]]
    assert set(schemas["ErrorItem"]["required"]) == {"type", "loc", "msg"}


# --- Ninja's own errors: JSON, in the user's language -----------------------------------------------


def test_malformed_json_is_a_422_with_its_path_in_chinese(world, api_client):
    c = api_client(world.rm)
    resp = c.post("/api/work/tasks", '{"title": ', content_type="application/json")
    assert resp.status_code == 422
    assert resp["Content-Type"].startswith("application/json")
    detail = json.loads(resp.content)["detail"]
    assert detail == [{"type": "json_invalid", "loc": ["body"], "msg": "请求体无法解析，请提交有效的 JSON。"}]


def test_malformed_json_in_english_for_an_english_user(world, api_client):
    c = api_client(world.rm)
    c.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    resp = c.post("/api/work/tasks", "not json", content_type="application/json")
    assert resp.status_code == 422
    assert json.loads(resp.content)["detail"][0]["msg"] == "The request body cannot be parsed; please send valid JSON."


def test_a_write_without_credentials_is_401_not_a_csrf_403(client, db):
    """A caller with neither a token nor a session is unauthenticated (401), whatever the method."""
    client.raise_request_exception = False
    for resp in (
        client.post("/api/work/tasks", {"title": "t"}, content_type="application/json"),
        client.post("/api/work/tasks", {"title": "t"}, content_type="application/json", HTTP_AUTHORIZATION="Bearer x"),
        client.delete("/api/auth/token"),
    ):
        assert resp.status_code == 401
        assert json.loads(resp.content)["detail"] == "未登录或令牌无效。"


def test_a_session_write_without_the_csrf_token_is_a_chinese_403(world):
    from django.test import Client

    c = Client(enforce_csrf_checks=True)
    c.force_login(world.rm)
    resp = c.post("/api/work/tasks", {"title": "t"}, content_type="application/json")
    assert resp.status_code == 403
    assert json.loads(resp.content)["detail"] == "无权执行此操作（会话已失效时请刷新页面后重试）。"


def test_unknown_api_path_and_method_answer_json(world, api_client):
    c = api_client(world.rm)
    for resp in (c.get("/api/no-such-thing"), c.put("/api/me")):
        assert resp.status_code in (404, 405)
        assert resp["Content-Type"].startswith("application/json")
        assert json.loads(resp.content)["detail"]


def test_a_body_the_server_cannot_read_is_a_json_400_as_documented(world, api_client, document):
    """A multipart body without its boundary cannot be read at all (400, documented on every operation
    with a body), JSON and Chinese like every API error."""
    c = api_client(world.rm)
    c.raise_request_exception = False
    resp = c.generic("POST", "/api/work/tasks", b"x", content_type="multipart/form-data")
    assert resp.status_code == 400
    assert json.loads(resp.content)["detail"] == "请求无效。"
    assert 400 in _statuses(document, "post", "/api/work/tasks")
