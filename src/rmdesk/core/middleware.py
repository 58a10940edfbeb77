"""Input that no layer below can hold is refused at the door, and the API answers every error in JSON
(SPEC §12: no 5xx from any input; API errors are JSON, never HTML).

- NUL characters (PostgreSQL text cannot store them) and lone surrogates (no encoding can write
  them) in the query string, a form or a JSON body: 422 with the parameter's path in the API, the
  400 page elsewhere;
- JSON integers no database column holds (beyond ±(2**63-1)): 422;
- a body larger than DATA_UPLOAD_MAX_MEMORY_SIZE (files excepted): 413;
- a value out of range for Python's date arithmetic (OverflowError) or the database (DataError):
  422 in the API, the 400 page elsewhere;
- under /api/, any error answer that is not JSON (Django's 404 for an unknown path, a 400, 413, a
  lock-out, a 500) becomes {"detail": ...} with the same status.
"""

import json
import re

from django.conf import settings
from django.core.exceptions import RequestDataTooBig, SuspiciousOperation, TooManyFieldsSent, TooManyFilesSent
from django.db import DataError
from django.http import HttpResponse, JsonResponse
from django.http.multipartparser import MultiPartParserError
from django.template.loader import render_to_string
from django.utils.translation import gettext as _

API_PREFIX = "/api/"
MAX_JSON_INT = 2**63 - 1
_BAD_CHARS = re.compile("[\x00\ud800-\udfff]")
_FORM_TYPES = ("multipart/form-data", "application/x-www-form-urlencoded")


def _printable(key):
    """A parameter name fit to echo in an error (lone surrogates cannot be encoded)."""
    return re.sub("[\ud800-\udfff]", "\ufffd", key) if isinstance(key, str) else key


def bad_text(value: str) -> bool:
    """True when `value` holds a NUL or a lone surrogate."""
    return bool(_BAD_CHARS.search(value))


def _bad_text_message():
    return _("含有不允许的字符（空字符或无效的 Unicode）。")


def _querydict_errors(qd, where):
    errors = []
    for key, values in qd.lists():
        if bad_text(key) or any(bad_text(v) for v in values):
            errors.append({"type": "invalid_character", "loc": [where, _printable(key)], "msg": _bad_text_message()})
    return errors


def json_errors(data, loc=("body",)):
    """Where a parsed JSON document holds text or numbers the database cannot store."""
    errors = []
    if isinstance(data, str):
        if bad_text(data):
            errors.append({"type": "invalid_character", "loc": list(loc), "msg": _bad_text_message()})
    elif isinstance(data, bool):
        pass
    elif isinstance(data, int):
        if abs(data) > MAX_JSON_INT:
            errors.append({"type": "out_of_range", "loc": list(loc), "msg": _("数值超出允许范围。")})
    elif isinstance(data, float):
        if data != data or data in (float("inf"), float("-inf")):
            errors.append({"type": "out_of_range", "loc": list(loc), "msg": _("数值超出允许范围。")})
    elif isinstance(data, dict):
        for key, value in data.items():
            if bad_text(key):
                errors.append({"type": "invalid_character", "loc": [*loc, _printable(key)], "msg": _bad_text_message()})
            errors += json_errors(value, (*loc, _printable(key)))
    elif isinstance(data, list):
        for i, value in enumerate(data):
            errors += json_errors(value, (*loc, i))
    return errors


def _status_detail(status):
    return {
        400: _("请求无效。"),
        401: _("未登录或令牌无效。"),
        403: _("无权执行此操作。"),
        404: _("未找到。"),
        405: _("不支持此请求方法。"),
        413: _("请求内容过大。"),
        429: _("请求过于频繁或登录失败次数过多，请稍后再试。"),
    }.get(status, _("系统暂时无法处理您的请求，错误已记录。") if status >= 500 else _("请求无效。"))


class RobustInputMiddleware:
    """See the module docstring. Sits after authentication, so error pages know the user."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        is_api = request.path.startswith(API_PREFIX)
        response = self._refuse(request, is_api)
        if response is None:
            response = self.get_response(request)
        if is_api and response.status_code >= 400 and not self._is_json(response):
            response = self._as_json(response)
        return response

    # --- input --------------------------------------------------------------------------------------

    def _refuse(self, request, is_api):
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        ctype = request.content_type or ""
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        if limit is not None and length > limit and ctype != "multipart/form-data":
            return self._error(request, is_api, 413, _("请求内容过大。"))
        errors = _querydict_errors(request.GET, "query")
        if request.method in ("POST", "PUT", "PATCH", "DELETE"):
            try:
                if ctype in _FORM_TYPES:
                    errors += _querydict_errors(request.POST, "form")
                elif is_api and length:
                    errors += self._body_errors(request)
            except RequestDataTooBig:
                return self._error(request, is_api, 413, _("请求内容过大。"))
            except (TooManyFieldsSent, TooManyFilesSent):
                return self._error(request, is_api, 413, _("请求字段或文件过多。"))
            except (SuspiciousOperation, MultiPartParserError):  # e.g. a multipart body without its boundary
                return self._error(request, is_api, 400, _("请求无效。"))
        if errors:
            if is_api:
                return JsonResponse({"detail": errors}, status=422, json_dumps_params={"ensure_ascii": False})
            return self._error(request, False, 400, _bad_text_message())
        return None

    @staticmethod
    def _body_errors(request):
        try:
            data = json.loads(request.body)
        except ValueError:
            return []  # not JSON: the API's parser answers 400 for it
        return json_errors(data)

    def process_exception(self, request, exception):
        """A value past what date arithmetic or a column holds (year 9999 + 1 day, an id beyond SQLite's
        integers, a number PostgreSQL refuses): the 400 page or 422, not a 500. Business actions are
        atomic, so nothing was half-written."""
        if isinstance(exception, (OverflowError, DataError)):
            is_api = request.path.startswith(API_PREFIX)
            return self._error(request, is_api, 422 if is_api else 400, _("数值或日期超出允许范围。"))
        if isinstance(exception, RequestDataTooBig):
            return self._error(request, request.path.startswith(API_PREFIX), 413, _("请求内容过大。"))
        return None

    # --- output -------------------------------------------------------------------------------------

    @staticmethod
    def _is_json(response):
        return response.get("Content-Type", "").startswith("application/json")

    def _as_json(self, response):
        new = JsonResponse(
            {"detail": _status_detail(response.status_code)},
            status=response.status_code,
            json_dumps_params={"ensure_ascii": False},
        )
        for header in ("Retry-After", "WWW-Authenticate", "Allow", "Vary"):
            if header in response:
                new[header] = response[header]
        return new

    @staticmethod
    def _error(request, is_api, status, message):
        if is_api:
            return JsonResponse({"detail": message}, status=status, json_dumps_params={"ensure_ascii": False})
        html = render_to_string("400.html", {"message": message, "status": status}, request=None)
        return HttpResponse(html, status=status)
