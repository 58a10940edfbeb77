"""Pages of the performance app (SPEC §9): thin views over services.py and the scope functions. Every
object is fetched through its scope (out of scope is 404); a refused action re-renders the page with the
errors next to the fields (422)."""

import io
from datetime import date
from decimal import Decimal
from fractions import Fraction

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from rmdesk.core.forms import errors_by_field
from rmdesk.core.roles import SUPERVISORS, RoleCode, is_admin
from rmdesk.core.scope import subtree_units

from . import ahp, services
from .export_views import filtered_results
from .models import (
    AppealStatus,
    Direction,
    Grade,
    GradeMethod,
    ItemKind,
    LetterStatus,
    Normalisation,
    PeriodType,
    ResultItem,
    RunStatus,
    Scorecard,
    WeightMethod,
)
from .rule_views import recent_manual_values
from .scope import (
    get_advice_or_404,
    get_letter_or_404,
    get_result_or_404,
    get_run_or_404,
    get_scorecard_or_404,
    managed_rms,
    visible_advice,
    visible_groups,
    visible_letters,
    visible_results,
    visible_runs,
    visible_scorecards,
)

ROWS = 10  # item rows offered by the scorecard editor


def _int(raw) -> int:
    try:
        return int(raw)
    except (TypeError, ValueError):
        raise Http404 from None


def _errors(exc: ValidationError) -> dict:
    return errors_by_field(exc)


def _supervisor(user) -> bool:
    return user.has_role(*SUPERVISORS)


# --- the RM's own results ---------------------------------------------------------------------------


@login_required
def my_results(request):
    # the export's filter, one definition (export_views.filtered_results: without ?run=, the RM's own)
    results = filtered_results(request.user, {}).select_related("run", "run__scorecard")[:60]
    return render(request, "performance/my_results.html", {"results": results})


def _trend_chart(points: list[dict]) -> dict | None:
    """The result page's trend (ECharts through core's {% chart %}): the RM's published scores by period;
    each point opens that period's result."""
    if not points:
        return None
    return {
        "id": "trend",
        "title": str(_("得分趋势")),
        "height": 220,
        "option": {
            "tooltip": {"trigger": "axis"},
            "grid": {"left": 40, "right": 16, "top": 16, "bottom": 32},
            "xAxis": {"type": "category", "data": [p["label"] for p in points]},
            "yAxis": {"type": "value", "min": 0},
            "series": [
                {
                    "type": "line",
                    "name": str(_("得分")),
                    "data": [
                        {"value": float(p["score"]), "url": f"/performance/results/{p['result_id']}/"} for p in points
                    ],
                }
            ],
        },
        "columns": [str(_("期间")), str(_("得分")), str(_("等次"))],
        "rows": [[p["label"], f"{p['score']:.2f}", str(p["grade"])] for p in points],
    }


def _result_context(request, result, errors=None):
    items = list(result.items.select_related("item").order_by("item__order", "id"))
    trend = services.trend(request.user, result.rm_id, result.run.period_type)
    manage = visible_results(request.user, write=True).filter(pk=result.pk).exists()
    upheld = result.appeals.filter(status=AppealStatus.UPHELD, revised=False).exists()
    return {
        "result": result,
        "run": result.run,
        "items": items,
        "trend": trend,
        "trend_chart": _trend_chart(trend),
        "appeals": list(result.appeals.all()),
        "is_own": result.rm_id == request.user.pk,
        "can_appeal": (
            result.rm_id == request.user.pk
            and result.run.status == RunStatus.PUBLISHED
            and (result.run.appeal_until is None or timezone.localdate() <= result.run.appeal_until)
            and not result.appeals.filter(status__in=[AppealStatus.PENDING, AppealStatus.UPHELD]).exists()
        ),
        "can_score": manage and not result.run.is_frozen,
        "can_revise": manage and upheld,
        "qualitative": [i for i in items if i.kind == ItemKind.QUALITATIVE],
        "errors": errors or {},
    }


@login_required
def result_detail(request, pk):
    result = get_result_or_404(request.user, pk)
    result = type(result).objects.select_related("run", "run__scorecard", "rm", "team").get(pk=result.pk)
    return render(request, "performance/result_detail.html", _result_context(request, result))


@login_required
@require_POST
def result_action(request, pk, action):
    user = request.user
    result = get_result_or_404(user, pk)
    try:
        if action == "appeal":
            services.appeal(user, pk, reason=request.POST.get("reason", ""))
            messages.success(request, _("申诉已提交，等待审批。"))
        elif action == "withdraw":
            services.withdraw_appeal(user, _int(request.POST.get("appeal")))
            messages.success(request, _("申诉已撤回。"))
        elif action in ("score", "revise"):
            scores = {k.removeprefix("score_"): v for k, v in request.POST.items() if k.startswith("score_") and v}
            fn = services.score_qualitative if action == "score" else services.revise_result
            fn(user, pk, scores=scores, version=request.POST.get("version"))
            messages.success(request, _("评分已保存。"))
        else:
            raise Http404
    except ValidationError as exc:
        result = type(result).objects.select_related("run", "run__scorecard", "rm", "team").get(pk=result.pk)
        ctx = _result_context(request, result, _errors(exc))
        return render(request, "performance/result_detail.html", ctx, status=422)
    return redirect("performance:result_detail", pk=pk)


@login_required
def item_records(request, pk):
    """Drill-down from a value to the records it counted, in the viewer's own scope."""
    item = ResultItem.objects.select_related("result", "result__run", "result__rm").filter(pk=pk).first()
    if item is None or not visible_results(request.user).filter(pk=item.result_id).exists():
        raise Http404
    qs = services.drill_down(request.user, item)
    rows = list(qs[:200]) if qs is not None else None
    return render(
        request, "performance/records.html", {"item": item, "rows": rows, "total": qs.count() if qs is not None else 0}
    )


# --- runs -------------------------------------------------------------------------------------------


def _run_form_context(request, errors=None, data=None):
    user = request.user
    return {
        "runs": visible_runs(user).select_related("scorecard", "unit").order_by("-period_start", "-id")[:100],
        "cards": visible_scorecards(user).filter(is_active=True).order_by("-year", "name"),
        "units": subtree_units(user, True),
        "errors": errors or {},
        "data": data or {"year": timezone.localdate().year, "number": timezone.localdate().month},
        "can_run": _supervisor(user),
    }


@login_required
def run_list(request):
    if not _supervisor(request.user):
        raise Http404
    return render(request, "performance/run_list.html", _run_form_context(request))


@login_required
@require_POST
def run_compute(request):
    if not _supervisor(request.user):
        raise Http404
    data = request.POST
    try:
        card_id = int(data.get("scorecard") or 0)
        unit_id = int(data.get("unit") or 0)
        start = date.fromisoformat(data["start"]) if data.get("start") else None
        end = date.fromisoformat(data["end"]) if data.get("end") else None
        year, number = int(data.get("year") or 0), int(data.get("number") or 1)
    except ValueError:
        ctx = _run_form_context(request, {"year": [_("请输入有效的年度、期数和日期。")]}, data)
        return render(request, "performance/run_list.html", ctx, status=422)
    try:
        if not card_id:
            raise ValidationError({"scorecard_id": [_("请选择考核方案。")]})
        run = services.compute_run(
            request.user, card_id, unit_id=unit_id, year=year, number=number, start=start, end=end
        )
    except (ValidationError, Http404) as exc:
        errs = _errors(exc) if isinstance(exc, ValidationError) else {"scorecard_id": [_("考核方案不存在。")]}
        return render(request, "performance/run_list.html", _run_form_context(request, errs, data), status=422)
    messages.success(request, _("已计算 %(label)s。") % {"label": run.label})
    return redirect("performance:run_detail", pk=run.pk)


def _run_context(request, run, errors=None):
    # the export's filter, one definition (export_views.filtered_results with ?run=): the run's results in scope
    results = list(filtered_results(request.user, {"run": str(run.pk)}).select_related("rm", "team"))
    pay = {p.result_id: p for p in services.PayLine.objects.filter(result__run=run)}
    for r in results:
        r.pay_line = pay.get(r.pk)
    grades = {}
    for r in results:
        grades[r.get_grade_display()] = grades.get(r.get_grade_display(), 0) + 1
    groups = list(visible_groups(request.user).filter(run=run).select_related("unit").order_by("-level", "rank", "id"))
    return {
        "run": run,
        "results": results,
        "grades": grades,
        "has_pay": bool(pay),
        "groups": groups,
        "errors": errors or {},
    }


@login_required
def run_detail(request, pk):
    run = get_run_or_404(request.user, pk)
    run = type(run).objects.select_related("scorecard", "unit").get(pk=run.pk)
    return render(request, "performance/run_detail.html", _run_context(request, run))


@login_required
@require_POST
def run_action(request, pk, action):
    user = request.user
    run = get_run_or_404(user, pk)
    actions = {
        "review": services.review_run,
        "publish": services.publish_run,
        "close": services.close_run,
    }
    try:
        if action in actions:
            actions[action](user, pk, version=request.POST.get("version"))
        elif action == "pay":
            services.compute_pay(user, pk)
        else:
            raise Http404
    except ValidationError as exc:
        run = type(run).objects.select_related("scorecard", "unit").get(pk=run.pk)
        return render(request, "performance/run_detail.html", _run_context(request, run, _errors(exc)), status=422)
    messages.success(request, _("已完成。"))
    return redirect("performance:run_detail", pk=pk)


@login_required
def run_pay_sheet(request, pk):
    """The pay sheet of a run as an Excel file (xlsxwriter; amounts as numbers with two decimals)."""
    import xlsxwriter

    run = get_run_or_404(request.user, pk)
    lines = services.PayLine.objects.filter(result__run=run).select_related("result__rm").order_by("result__rank_unit")
    buf = io.BytesIO()
    book = xlsxwriter.Workbook(buf, {"in_memory": True})
    sheet = book.add_worksheet(_("薪酬表"))
    money = book.add_format({"num_format": "#,##0.00"})
    head = [_("工号"), _("姓名"), _("得分"), _("等次"), _("岗位工资"), _("效益工资"), _("奖励工资")]
    head += [_("应发合计"), _("延期支付"), _("本期实发")]
    sheet.write_row(0, 0, head)
    totals = [Decimal(0)] * 6
    n = 0
    for n, line in enumerate(lines, 1):
        r = line.result
        sheet.write_row(n, 0, [r.rm.employee_no or "", r.rm.display_name, float(r.score), r.get_grade_display()])
        amounts = [line.post_pay, line.performance_pay, line.reward_pay, line.total, line.deferred, line.paid_now]
        for i, a in enumerate(amounts):
            sheet.write_number(n, 4 + i, float(a), money)
            totals[i] += a
    sheet.write(n + 1, 1, _("合计"))
    for i, a in enumerate(totals):
        sheet.write_number(n + 1, 4 + i, float(a), money)
    book.close()
    resp = HttpResponse(
        buf.getvalue(), content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    resp["Content-Disposition"] = f'attachment; filename="pay-{run.pk}.xlsx"'
    return resp


# --- scorecards -------------------------------------------------------------------------------------


@login_required
def scorecard_list(request):
    user = request.user
    if not (_supervisor(user) or is_admin(user)):
        raise Http404
    cards = visible_scorecards(user).select_related("unit").prefetch_related("items").order_by("-year", "name")
    return render(request, "performance/scorecard_list.html", {"cards": cards})


def parse_matrix(text: str) -> list[list]:
    """A matrix typed one row per line, cells separated by spaces or commas; fractions like 1/3 allowed."""
    rows = []
    for line in (text or "").strip().splitlines():
        cells = [c for c in line.replace(",", " ").replace("，", " ").split() if c]
        if not cells:
            continue
        row = []
        for c in cells:
            try:
                row.append(float(Fraction(c)))
            except (ValueError, ZeroDivisionError):
                row.append(c)
        rows.append(row)
    return rows


def _matrix_text(matrix) -> str:
    def cell(x):
        f = Fraction(x).limit_denominator(9)
        return str(f) if abs(float(f) - x) < 1e-3 else f"{x:g}"

    return "\n".join(" ".join(cell(x) for x in row) for row in matrix or [])


def _editor_context(request, card=None, data=None, errors=None):
    items = []
    if data is not None:
        for i in range(ROWS):
            items.append({k: data.get(f"item-{i}-{k}", "") for k in FIELDS})
    elif card is not None:
        for i in card.items.all():
            items.append(
                {
                    "kind": i.kind,
                    "indicator": str(i.indicator_id or ""),
                    "label": i.label,
                    "weight": i.weight.normalize() if i.weight else "",
                    "normalisation": i.normalisation,
                    "x_low": "" if i.x_low is None else i.x_low.normalize(),
                    "x_high": "" if i.x_high is None else i.x_high.normalize(),
                    "target": "" if i.target is None else i.target.normalize(),
                    "cap": i.cap.normalize(),
                    "points": i.points.normalize(),
                }
            )
    items += [{"kind": "", "cap": "1", "points": "1"}] * (ROWS - len(items))
    if data is None:
        data = {
            "name": card.name if card else "",
            "year": card.year if card else timezone.localdate().year,
            "period_type": card.period_type if card else PeriodType.MONTHLY,
            "unit": str(card.unit_id or "") if card else "",
            "rm_level": card.rm_level if card else "",
            "position": card.position if card else "",
            "weight_method": card.weight_method if card else WeightMethod.DIRECT,
            "grade_method": card.grade_method if card else GradeMethod.THRESHOLDS,
            **{f"threshold_{g}": (card.thresholds or {}).get(g, "") if card else "" for g in GRADE_KEYS},
            **{f"quota_{g}": (card.quotas or {}).get(g, "") if card else "" for g in GRADE_KEYS},
            "ahp_matrix": _matrix_text(card.ahp_matrix) if card else "",
            "version": card.version if card else "",
        }
    return {
        "card": card,
        "data": data,
        "items": items,
        "indicators": services.library(),
        "units": subtree_units(request.user, True),
        "kinds": ItemKind.choices,
        "norms": Normalisation.choices,
        "periods": PeriodType.choices,
        "weight_methods": WeightMethod.choices,
        "grade_methods": GradeMethod.choices,
        "grading": [
            (g, label, (data or {}).get(f"threshold_{g}", ""), (data or {}).get(f"quota_{g}", ""))
            for g, label in GRADE_LABELS
        ],
        "errors": errors or {},
        "item_errors": [
            (int(k.split(".")[1]) + 1, m)
            for k, msgs in (errors or {}).items()
            if k.startswith("items.") and k.split(".")[1].isdigit()
            for m in msgs
        ],
        "read_only": card is not None
        and (card.runs.exists() or not visible_scorecards(request.user, write=True).filter(pk=card.pk).exists()),
    }


FIELDS = ("kind", "indicator", "label", "weight", "normalisation", "x_low", "x_high", "target", "cap", "points")


def _items_from(data) -> list[dict]:
    out = []
    for i in range(ROWS):
        get = lambda k, i=i: (data.get(f"item-{i}-{k}") or "").strip()  # noqa: E731
        if not get("kind"):
            continue
        out.append(
            {
                "kind": get("kind"),
                "indicator_id": int(get("indicator")) if get("indicator").isdigit() else None,
                "label": get("label"),
                "weight": get("weight") or "0",
                "normalisation": get("normalisation") or Normalisation.LINEAR,
                "x_low": get("x_low"),
                "x_high": get("x_high"),
                "target": get("target"),
                "cap": get("cap") or "1",
                "points": get("points") or "1",
            }
        )
    return out


GRADE_KEYS = ("excellent", "good", "pass", "basic")
GRADE_LABELS = [(g, label) for g, label in Grade.choices if g in GRADE_KEYS]


def _grading_from(data, prefix) -> dict:
    """The scorecard's own grade thresholds or forced-distribution ceilings typed in the editor (blank: the
    documented default of that grade)."""
    return {g: data[f"{prefix}_{g}"].strip() for g in GRADE_KEYS if (data.get(f"{prefix}_{g}") or "").strip()}


def _save_card(request, card):
    data = request.POST
    try:
        unit_id = int(data["unit"]) if data.get("unit") else None
        year = int(data.get("year") or 0)
    except ValueError:
        return None, {"year": [_("请输入有效的年度。")]}
    try:
        saved = services.save_scorecard(
            request.user,
            card.pk if card else None,
            name=data.get("name", ""),
            year=year,
            period_type=data.get("period_type", ""),
            items=_items_from(data),
            unit_id=unit_id,
            position=data.get("position", ""),
            rm_level=data.get("rm_level", ""),
            weight_method=data.get("weight_method", WeightMethod.DIRECT),
            ahp_matrix=parse_matrix(data.get("ahp_matrix", "")),
            grade_method=data.get("grade_method", GradeMethod.THRESHOLDS),
            thresholds=_grading_from(data, "threshold"),
            quotas=_grading_from(data, "quota"),
            version=data.get("version") if card else None,
        )
    except ValidationError as exc:
        return None, _errors(exc)
    return saved, None


@login_required
def scorecard_new(request):
    user = request.user
    if not (_supervisor(user) or is_admin(user)):
        raise Http404
    if request.method == "POST":
        saved, errors = _save_card(request, None)
        if saved is not None:
            messages.success(request, _("考核方案已保存。"))
            return redirect("performance:scorecard_detail", pk=saved.pk)
        ctx = _editor_context(request, None, request.POST, errors)
        return render(request, "performance/scorecard_edit.html", ctx, status=422)
    return render(request, "performance/scorecard_edit.html", _editor_context(request))


@login_required
def scorecard_detail(request, pk):
    card = get_scorecard_or_404(request.user, pk)
    card = Scorecard.objects.select_related("unit").prefetch_related("items__indicator").get(pk=card.pk)
    if request.method == "POST":
        saved, errors = _save_card(request, card)
        if saved is not None:
            messages.success(request, _("考核方案已保存。"))
            return redirect("performance:scorecard_detail", pk=pk)
        ctx = _editor_context(request, card, request.POST, errors)
        return render(request, "performance/scorecard_edit.html", ctx, status=422)
    return render(request, "performance/scorecard_edit.html", _editor_context(request, card))


@login_required
@require_POST
def ahp_check(request):
    """The htmx fragment beside the matrix: weights, λmax, CI and CR of what is typed, live."""
    try:
        result = ahp.weigh(parse_matrix(request.POST.get("ahp_matrix", "")))
    except ahp.MatrixError as exc:
        return render(request, "performance/_ahp.html", {"error": exc.message})
    return render(request, "performance/_ahp.html", {"r": result, "pct": [w * 100 for w in result.weights]})


# --- letters ----------------------------------------------------------------------------------------


def _letter_context(request, errors=None, data=None):
    user = request.user
    return {
        "letters": visible_letters(user).select_related("rm").order_by("-year", "rm__full_name", "-number")[:200],
        "rms": managed_rms(user).order_by("full_name") if _supervisor(user) else [],
        "indicators": services.library(),
        "errors": errors or {},
        "data": data or {"year": timezone.localdate().year},
        "rows": range(5),
    }


@login_required
def letter_list(request):
    user = request.user
    if not user.has_role(RoleCode.RM, *SUPERVISORS):
        raise Http404
    if request.method == "POST":
        data = request.POST
        targets = []
        for i in range(5):
            ind, annual = data.get(f"t-{i}-indicator"), (data.get(f"t-{i}-annual") or "").strip()
            if ind and annual:
                targets.append({"indicator_id": int(ind) if ind.isdigit() else None, "annual": annual})
        try:
            rm_id = int(data.get("rm") or 0)
            year = int(data.get("year") or 0)
            letter = services.propose_letter(user, rm_id=rm_id, year=year, targets=targets, terms=data.get("terms", ""))
        except ValueError:
            return render(
                request, "performance/letter_list.html",
                _letter_context(request, {"year": [_("请输入有效的年度。")]}, data), status=422,
            )  # fmt: skip
        except ValidationError as exc:
            ctx = _letter_context(request, _errors(exc), data)
            return render(request, "performance/letter_list.html", ctx, status=422)
        messages.success(request, _("责任书已下达。"))
        return redirect("performance:letter_detail", pk=letter.pk)
    return render(request, "performance/letter_list.html", _letter_context(request))


@login_required
def letter_detail(request, pk):
    letter = get_letter_or_404(request.user, pk)
    errors = {}
    if request.method == "POST":
        try:
            services.sign_letter(
                request.user, pk, text_hash=request.POST.get("text_hash", ""), version=request.POST.get("version")
            )
            messages.success(request, _("已签署。"))
            return redirect("performance:letter_detail", pk=pk)
        except ValidationError as exc:
            errors = _errors(exc)
        letter = get_letter_or_404(request.user, pk)
    lines = list(letter.lines.select_related("indicator"))
    can_sign = letter.status == LetterStatus.SIGNING and (
        (letter.rm_id == request.user.pk and not letter.rm_signed_at)
        or (
            not letter.supervisor_signed_at
            and letter.rm_id != request.user.pk
            and visible_letters(request.user, write=True).filter(pk=pk).exists()
        )
    )
    return render(
        request,
        "performance/letter_detail.html",
        {"letter": letter, "lines": lines, "can_sign": can_sign, "errors": errors},
        status=422 if errors else 200,
    )


# --- indicators, manual values, advice ---------------------------------------------------------------


@login_required
def indicator_list(request):
    user = request.user
    if not (_supervisor(user) or is_admin(user)):
        raise Http404
    errors, data = {}, {}
    if request.method == "POST":
        data = request.POST
        try:
            services.enter_manual_value(
                user,
                int(data.get("indicator") or 0),
                rm_id=int(data.get("rm") or 0),
                period_start=date.fromisoformat(data.get("period_start", "")),
                period_end=date.fromisoformat(data.get("period_end", "")),
                value=data.get("value", ""),
                note=data.get("note", ""),
            )
            messages.success(request, _("已录入。"))
            return redirect("performance:indicator_list")
        except ValueError:
            errors = {"period_start": [_("请输入有效的日期（YYYY-MM-DD）。")]}
        except ValidationError as exc:
            errors = _errors(exc)
    library = services.library()
    return render(
        request,
        "performance/indicator_list.html",
        {
            "library": library,
            "manual": [s for s in library if s.source == "manual"],
            "rms": managed_rms(user).order_by("full_name"),
            "values": recent_manual_values(user),
            "errors": errors,
            "data": data,
            "directions": dict(Direction.choices),
        },
        status=422 if errors else 200,
    )


@login_required
def advice_list(request):
    if not _supervisor(request.user):
        raise Http404
    advice = visible_advice(request.user).select_related("rm").order_by("-created_at")[:200]
    return render(request, "performance/advice_list.html", {"advice": advice})


@login_required
@require_POST
def advice_action(request, pk, action):
    get_advice_or_404(request.user, pk)
    try:
        if action == "submit":
            services.submit_advice(request.user, pk, version=request.POST.get("version"))
        elif action == "dismiss":
            services.dismiss_advice(request.user, pk, version=request.POST.get("version"))
        else:
            raise Http404
    except ValidationError as exc:
        for msgs in _errors(exc).values():
            for m in msgs:
                messages.error(request, m)
    return redirect("performance:advice_list")
