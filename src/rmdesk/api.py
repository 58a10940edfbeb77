"""The REST API (SPEC §12): Django Ninja at /api/, OpenAPI at /api/openapi.json, docs at /api/docs.

Auth: `Authorization: Bearer <token>` (POST /api/auth/token) or the browser session.
Errors: Django ValidationError -> 422 with field paths; PermissionDenied -> 403; out of scope -> 404;
a value the database refuses -> 422. Every error under /api/ is JSON (rmdesk.core.middleware).
Each app contributes a router from its own api.py.
"""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import DataError
from django.http import Http404
from django.utils.translation import gettext as _
from ninja import NinjaAPI
from ninja.errors import AuthenticationError
from ninja.security import HttpBearer, django_auth

from rmdesk.core.actions import StaleVersion


class BearerToken(HttpBearer):
    def authenticate(self, request, token):
        from rmdesk.org.services import user_for_token

        user = user_for_token(token)
        if user is not None:
            request.user = user
        return user


api = NinjaAPI(
    title="RM Desk API",
    version="1",
    description="客户经理工作台 REST API",
    auth=[BearerToken(), django_auth],
    urls_namespace="api",
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


@api.exception_handler(AuthenticationError)
def _unauthorized(request, exc):
    return api.create_response(request, {"detail": _("未登录或令牌无效。")}, status=401)


from rmdesk.customers.api import router as customers_router  # noqa: E402
from rmdesk.org.api import auth_router, me_router, org_router  # noqa: E402
from rmdesk.service.api import router as service_router  # noqa: E402
from rmdesk.work.api import router as work_router  # noqa: E402

api.add_router("/auth", auth_router)
api.add_router("/", me_router)
api.add_router("/org", org_router)
api.add_router("/customers", customers_router)
api.add_router("/work", work_router)
api.add_router("/service", service_router)
