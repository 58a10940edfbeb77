"""The REST API (SPEC §12): Django Ninja at /api/, OpenAPI at /api/openapi.json, docs at /api/docs.

Auth: `Authorization: Bearer <token>` (POST /api/auth/token) or the browser session.
Errors: Django ValidationError -> 422 with field paths; PermissionDenied -> 403; out of scope -> 404;
a value the database refuses -> 422; a body that is not JSON -> 422. Every error under /api/ is JSON
(rmdesk.core.middleware), in the user's language. Each app contributes a router from its own api.py.

The OpenAPI document lists, on every operation, the errors it can answer (`document_errors`), so a
client (and the schemathesis run in tests/test_schemathesis.py) can rely on it.
"""

from http.client import responses as _reasons

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import DataError
from django.http import Http404
from django.utils.translation import gettext as _
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError
from ninja.schema import NinjaGenerateJsonSchema
from ninja.security import HttpBearer, SessionAuth as NinjaSessionAuth

from rmdesk.core.actions import StaleVersion
from rmdesk.core.schemas import MAY_ANSWER, ErrorOut, ValidationErrorOut
from rmdesk.org.twofactor import api_docs_decorator


class BearerToken(HttpBearer):
    def authenticate(self, request, token):
        from rmdesk.org.services import user_for_token

        user = user_for_token(token)
        if user is not None:
            request.user = user
        return user


class SessionAuth(NinjaSessionAuth):
    """The browser session. A caller without a logged-in session is not a session caller, so it gets
    the 401 of a missing credential (not the CSRF check's 403, which is for logged-in sessions only)."""

    def __call__(self, request):
        if not request.user.is_authenticated:
            return None
        return super().__call__(request)


_UNSAFE = {"post", "put", "patch", "delete"}
_REF = "#/components/schemas/{model}"


def _resolve(document: dict, schema: dict) -> dict:
    """A request body's schema with its $ref / allOf followed (one level is all Ninja writes)."""
    while "$ref" in schema:
        schema = document["components"]["schemas"][schema["$ref"].rsplit("/", 1)[-1]]
    if "allOf" in schema and len(schema["allOf"]) == 1:
        return _resolve(document, schema["allOf"][0])
    return schema


def error_statuses(document: dict, op: dict) -> set[int]:
    """The error statuses an operation can answer, derived from what it is (SPEC §12):

    - 400: it has a body, and the body is one the server cannot read at all (a malformed multipart);
    - 401: it needs authentication (a missing, expired or revoked token);
    - 403: it writes as an authenticated user (role checks in the services; a session caller without
      the CSRF token), or it is a read that checks a role (named by `may_answer(403)`);
    - 404: it looks up a path id (missing and out of scope alike), or names one elsewhere (`may_answer`);
    - 409: its input carries the `version` it was made on (core.actions.check_version);
    - 422: it has any input (path, query, body: Ninja's validation, the services' ValidationError, a
      value the database refuses, text with NUL characters);
    - 429: only POST /auth/token (the login lock-out), declared by the route itself.
    """
    statuses = set(op.pop(MAY_ANSWER, []))
    params = op.get("parameters", [])
    body = op.get("requestBody")
    if op.get("security"):
        statuses.add(401)
        if op["_method"] in _UNSAFE:
            statuses.add(403)
    if any(p["in"] == "path" for p in params):
        statuses.add(404)
    if body:
        statuses.add(400)
    if params or body:
        statuses.add(422)
    versioned = any(p["name"] == "version" for p in params)
    for content in (body or {}).get("content", {}).values():
        versioned |= "version" in _resolve(document, content["schema"]).get("properties", {})
    if versioned:
        statuses.add(409)
    return statuses


def _component(model, components: dict) -> dict:
    schema = model.model_json_schema(ref_template=_REF, schema_generator=NinjaGenerateJsonSchema)
    components.update(schema.pop("$defs", {}))
    components[model.__name__] = schema
    return {"$ref": _REF.format(model=model.__name__)}


def document_errors(document: dict) -> dict:
    """Add the error responses of every operation (error_statuses) to an OpenAPI document, with the
    JSON bodies the handlers below and rmdesk.core.middleware write (core.schemas)."""
    components = document.setdefault("components", {}).setdefault("schemas", {})
    error_ref = _component(ErrorOut, components)
    invalid_ref = _component(ValidationErrorOut, components)
    for path_item in document["paths"].values():
        for method, op in path_item.items():
            op["_method"] = method
            statuses = error_statuses(document, op)
            del op["_method"]
            for status in sorted(statuses):
                ref = invalid_ref if status == 422 else error_ref
                op["responses"].setdefault(
                    status, {"description": _reasons[status], "content": {"application/json": {"schema": ref}}}
                )
    return document


class RmDeskAPI(NinjaAPI):
    def get_openapi_schema(self, *, path_prefix=None, path_params=None):
        return document_errors(super().get_openapi_schema(path_prefix=path_prefix, path_params=path_params))


api = RmDeskAPI(
    title="RM Desk API",
    version="1",
    description="客户经理工作台 REST API",
    auth=[BearerToken(), SessionAuth()],
    urls_namespace="api",
    docs_decorator=api_docs_decorator,  # login required unless RMDESK_API_DOCS_PUBLIC (issue 17)
)


def validation_detail(exc: ValidationError, prefix=("body",)) -> list[dict]:
    """Django ValidationError as Ninja-style 422 details with field paths."""
    if hasattr(exc, "error_dict"):
        out = []
        for field, errors in exc.error_dict.items():
            loc = [*prefix] if field == "__all__" else [*prefix, *field.split(".")]
            for err in errors:
                out.append({"type": err.code or "invalid", "loc": loc, "msg": " ".join(err.messages)})
        return out
    return [{"type": "invalid", "loc": list(prefix), "msg": m} for m in exc.messages]


@api.exception_handler(StaleVersion)
def _stale(request, exc):
    """Optimistic locking: the record changed since the client read it (core.actions.check_version)."""
    return api.create_response(request, {"detail": " ".join(exc.messages)}, status=409)


@api.exception_handler(ValidationError)
def _validation(request, exc):
    return api.create_response(request, {"detail": validation_detail(exc)}, status=422)


@api.exception_handler(PermissionDenied)
def _forbidden(request, exc):
    return api.create_response(request, {"detail": str(exc) or _("无权执行此操作。")}, status=403)


@api.exception_handler(Http404)
def _not_found(request, exc):
    return api.create_response(request, {"detail": _("未找到。")}, status=404)


@api.exception_handler(DataError)
def _data_error(request, exc):
    """A value the database refuses (too long, out of range): the caller's input, so 422, not 500.
    Business actions are atomic, so nothing was half-written."""
    return api.create_response(request, {"detail": _("数值超出允许范围或内容过长。")}, status=422)


@api.exception_handler(HttpError)
def _http_error(request, exc):
    """Ninja's own errors in the user's language: a body it cannot parse (malformed JSON) is input the
    caller got wrong, so 422 with its path like any other; a CSRF refusal and the rest keep their status."""
    if exc.status_code == 400 and str(exc.message).startswith("Cannot parse request body"):
        msg = _("请求体无法解析，请提交有效的 JSON。")
        return api.create_response(
            request, {"detail": [{"type": "json_invalid", "loc": ["body"], "msg": msg}]}, status=422
        )
    detail = {
        403: _("无权执行此操作（会话已失效时请刷新页面后重试）。"),
        429: _("请求过于频繁，请稍后再试。"),
    }.get(exc.status_code, _("请求无效。"))
    return api.create_response(request, {"detail": detail}, status=exc.status_code)


@api.exception_handler(AuthenticationError)
def _unauthorized(request, exc):
    return api.create_response(request, {"detail": _("未登录或令牌无效。")}, status=401)


from rmdesk.analytics.api import router as analytics_router  # noqa: E402
from rmdesk.compliance.api import router as compliance_router  # noqa: E402
from rmdesk.contracts.api import router as contracts_router  # noqa: E402
from rmdesk.credit.api import router as credit_router  # noqa: E402
from rmdesk.customers.api import router as customers_router  # noqa: E402
from rmdesk.org.api import auth_router, me_router, org_router  # noqa: E402
from rmdesk.people.api import router as people_router  # noqa: E402
from rmdesk.performance.api import router as performance_router  # noqa: E402
from rmdesk.sales.api import router as sales_router  # noqa: E402
from rmdesk.service.api import router as service_router  # noqa: E402
from rmdesk.work.api import router as work_router  # noqa: E402

api.add_router("/auth", auth_router)
api.add_router("/", me_router)
api.add_router("/org", org_router)
api.add_router("/customers", customers_router)
api.add_router("/work", work_router)
api.add_router("/service", service_router)
api.add_router("/sales", sales_router)
api.add_router("/credit", credit_router)
api.add_router("/contracts", contracts_router)
api.add_router("/compliance", compliance_router)
api.add_router("/people", people_router)
api.add_router("/performance", performance_router)
api.add_router("/analytics", analytics_router)
