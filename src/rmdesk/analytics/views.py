"""Pages of the analytics app (SPEC §11): the role dashboard, the reports with their filters, Excel and PDF."""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import render

from rmdesk.core.forms import errors_by_field

from . import services
from .dashboards import cached_dashboard
from .figures import chart_spec
from .forms import ReportFilterForm
from .reports import REPORTS, parse_filters


def board_context(board: dict) -> dict:
    """Tiles, and each table as a chart (or a plain table) for `{% chart %}`."""
    return {
        **board,
        "charts": [chart_spec(t) for t in board["tables"] if t.kind != "table"],
        "plain": [t for t in board["tables"] if t.kind == "table"],
    }


def _reader(user):
    if not user.has_role(*services.READERS):
        raise Http404


@login_required
def dashboard(request):
    board = cached_dashboard(request.user, request.GET.get("role"))
    if board is None:
        raise Http404
    return render(request, "analytics/dashboard.html", {"board": board_context(board)})


@login_required
def report_index(request):
    _reader(request.user)
    return render(request, "analytics/report_index.html", {"reports": [(k, v[0]) for k, v in REPORTS.items()]})


@login_required
def report(request, key):
    _reader(request.user)
    if key not in REPORTS:
        raise Http404
    title, build = REPORTS[key]
    form = ReportFilterForm(request.GET or None, user=request.user)
    result, errors = None, {}
    if not request.GET or form.is_valid():
        data = form.cleaned_data if request.GET else {}
        try:
            start, end, unit = parse_filters(
                request.user, start=data.get("start"), end=data.get("end"), unit_id=data.get("unit")
            )
        except ValidationError as exc:
            for field, messages in errors_by_field(exc).items():
                for m in messages:
                    form.add_error(field if field in form.fields else None, m)
        else:
            kwargs = {"by": data.get("by") or "unit"} if key == "aum-trend" else {}
            result = build(request.user, start, end, unit, **kwargs)
            fmt = request.GET.get("format")
            if fmt in ("xlsx", "pdf"):
                content, content_type, filename = services.export_report(request.user, result, fmt)
                response = HttpResponse(content, content_type=content_type)
                response["Content-Disposition"] = f'attachment; filename="{filename}"'
                return response
    context = {"key": key, "title": title, "form": form, "errors": errors}
    if result is not None:
        context["report"] = result
        context["charts"] = [chart_spec(t) for t in result.tables if t.kind != "table"]
        context["plain"] = [t for t in result.tables if t.kind == "table"]
        context["query"] = request.GET.urlencode()
    return render(request, "analytics/report.html", context)
