"""REST API of the analytics app (SPEC §11, §12): every dashboard's and report's figures as JSON, in the caller's
scope, for a bank's BI. Filters are validated like the pages' (422 with the field's path)."""

from datetime import date
from typing import Literal

from django.core.exceptions import ValidationError
from django.http import Http404
from ninja import Query, Router, Schema

from rmdesk.core.bounds import Id
from rmdesk.core.schemas import ValidationErrorOut

from .dashboards import dashboard_for
from .reports import REPORTS, parse_filters
from .schemas import AnalyticsDashboardOut, AnalyticsReportOut
from .services import READERS

router = Router(tags=["analytics"])


def _plain(board: dict) -> dict:
    return {
        **board,
        "title": str(board["title"]),
        "tiles": [
            {**t.__dict__, "label": str(t.label), "unit": str(t.unit), "note": str(t.note)} for t in board["tiles"]
        ],
        "tables": [t.as_dict() for t in board["tables"]],
    }


@router.get("/dashboard", response=AnalyticsDashboardOut, summary="The caller's role dashboard")
def dashboard(request, role: str | None = None):
    board = dashboard_for(request.auth, role)
    if board is None:
        raise Http404
    return _plain(board)


class AnalyticsReportFilter(Schema):
    start: date | None = None
    end: date | None = None
    unit: Id | None = None
    by: Literal["unit", "tier"] = "unit"


@router.get("/reports/{key}", response={200: AnalyticsReportOut, 422: ValidationErrorOut}, summary="A report's figures")
def report(
    request,
    key: Literal[
        "tier-migration",
        "aum-trend",
        "complaints",
        "indicators",
        "monthly-sales",
        "accounts",
        "top-tier",
        "funnel",
        "referrals",
        "plan-completion",
    ],
    filters: Query[AnalyticsReportFilter],
):
    user = request.auth
    if not user.has_role(*READERS):
        raise Http404
    _title, build = REPORTS[key]
    try:
        start, end, unit = parse_filters(user, start=filters.start, end=filters.end, unit_id=filters.unit)
    except ValidationError as exc:
        details = [
            {"type": "invalid", "loc": ["query", field], "msg": message}
            for field, messages in exc.message_dict.items()
            for message in messages
        ]
        return 422, {"detail": details}
    result = build(user, start, end, unit, **({"by": filters.by} if key == "aum-trend" else {}))
    return result.as_dict()
