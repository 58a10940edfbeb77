"""Business actions of performance assessment (SPEC §9). Every write is one `@business_action` with its
audit event in the transaction; figures come only through `rmdesk.core.indicators.registry()`.

The engine (`compute_run`) is set-based: each indicator computes the period for every RM of the unit in
one call (a few grouped queries), manual values and targets are one query each, and results and their
snapshots are bulk-inserted. A published run is frozen: its snapshot never changes when data does.
"""

import calendar as pycal
import hashlib
from collections import defaultdict
from datetime import date
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from types import SimpleNamespace

from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q
from django.http import Http404
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext as _

from rmdesk.core import audit, calendar
from rmdesk.core.actions import after_commit, business_action, check_version, in_scope
from rmdesk.core.approvals import request_approval
from rmdesk.core.indicators import Direction, Measure, registry, rollup
from rmdesk.core.notifications import notify
from rmdesk.core.roles import SUPERVISORS, RoleCode, is_admin
from rmdesk.core.scope import covers
from rmdesk.org.models import OrgUnit, User

from . import ahp, scoring
from .models import (
    AdviceStatus,
    Appeal,
    AppealStatus,
    AssessmentResult,
    AssessmentRun,
    Grade,
    GradeMethod,
    GroupLevel,
    GroupResult,
    IndicatorSetting,
    IndicatorSource,
    ItemKind,
    LetterStatus,
    LevelAdvice,
    ManualValue,
    ManualValueVersion,
    Normalisation,
    PayLine,
    PayRule,
    PeriodType,
    PromotionRule,
    ResultItem,
    RunStatus,
    Scorecard,
    ScorecardItem,
    TargetLetter,
    TargetLine,
    WeightMethod,
)
from .scope import (
    get_advice_or_404,
    get_letter_or_404,
    get_result_or_404,
    get_run_or_404,
    get_scorecard_or_404,
    managed_rms,
    visible_letters,
    visible_results,
)

APPEAL_KIND = "performance.appeal"
LETTER_KIND = "performance.letter"
LEVEL_KIND = "performance.level"
MANAGERS = (*SUPERVISORS, RoleCode.ADMIN)
ZERO = Decimal(0)
CENT = Decimal("0.01")
WEIGHT_TOLERANCE = Decimal("0.0001")


def _dec(value, field: str) -> Decimal:
    try:
        out = Decimal(str(value))
    except (InvalidOperation, ValueError, TypeError):
        raise ValidationError({field: [_("请输入数字。")]}, code="invalid") from None
    if not out.is_finite():
        raise ValidationError({field: [_("请输入数字。")]}, code="invalid")
    return out


# --- periods ----------------------------------------------------------------------------------------


def period_bounds(period_type: str, year: int, number: int = 1) -> tuple[date, date, str]:
    """(start, end, label) of month `number`, quarter `number` or the year."""
    if period_type == PeriodType.MONTHLY:
        if not 1 <= number <= 12:
            raise ValidationError({"number": [_("月份应在 1–12 之间。")]})
        return date(year, number, 1), date(year, number, pycal.monthrange(year, number)[1]), f"{year}-{number:02d}"
    if period_type == PeriodType.QUARTERLY:
        if not 1 <= number <= 4:
            raise ValidationError({"number": [_("季度应在 1–4 之间。")]})
        last = number * 3
        return date(year, last - 2, 1), date(year, last, pycal.monthrange(year, last)[1]), f"{year}Q{number}"
    return date(year, 1, 1), date(year, 12, 31), str(year)


# --- the indicator library --------------------------------------------------------------------------


def sync_library() -> None:
    """Make sure every indicator of the kernel registry has its setting row (names as declared)."""
    from django.utils import translation

    known = set(IndicatorSetting.objects.values_list("code", flat=True))
    with translation.override("zh-hans"):  # the library stores the declared (Chinese) names as data
        new = _new_settings(known)
    if new:
        IndicatorSetting.objects.bulk_create(new, ignore_conflicts=True)


def _new_settings(known) -> list:
    return [
        IndicatorSetting(
            code=code,
            name=str(ind.name)[:80],
            unit=str(ind.unit)[:20],
            direction=ind.direction,
            source=IndicatorSource.COMPUTED,
            description=str(ind.description)[:300],
        )
        for code, ind in registry().items()
        if code not in known
    ]


def library():
    sync_library()
    codes = set(registry())
    return [
        s
        for s in IndicatorSetting.objects.filter(is_active=True).order_by("source", "code")
        if s.source == IndicatorSource.MANUAL or s.code in codes
    ]


@business_action(roles=MANAGERS)
def save_indicator(
    actor,
    indicator_id: int | None = None,
    *,
    code: str = "",
    name: str,
    unit: str = "",
    direction: str = Direction.HIGHER,
    is_kpi: bool = True,
    description: str = "",
    for_rm: bool = True,
    for_team: bool = True,
    for_unit: bool = True,
    version: int | None = None,
):
    """Add a manual indicator, or change how an indicator of the library is named and read (SPEC §9)."""
    if direction not in Direction.values:
        raise ValidationError({"direction": [_("请选择指标方向。")]})
    if not (name or "").strip():
        raise ValidationError({"name": [_("请填写指标名称。")]})
    if indicator_id is None:
        code = (code or "").strip()
        if not code or code in registry() or IndicatorSetting.objects.filter(code=code).exists():
            raise ValidationError({"code": [_("指标代码为空或已被使用。")]})
        setting = IndicatorSetting(code=code, source=IndicatorSource.MANUAL)
        before = None
    else:
        setting = IndicatorSetting.objects.select_for_update().filter(pk=indicator_id).first()
        if setting is None:
            from django.http import Http404

            raise Http404
        check_version(setting, version)
        before = {"name": setting.name, "unit": setting.unit, "direction": setting.direction}
        setting.version += 1
    setting.name, setting.unit, setting.direction = name.strip(), unit.strip(), direction
    setting.is_kpi, setting.description = is_kpi, description
    setting.for_rm, setting.for_team, setting.for_unit = for_rm, for_team, for_unit
    setting.save()
    audit.record(actor, "performance.save_indicator", setting, before=before, after={"code": setting.code})
    return setting


@business_action(roles=SUPERVISORS)
def enter_manual_value(
    actor, indicator_id: int, *, rm_id: int, period_start, period_end, value, note: str, version: int | None = None
):
    """A supervisor enters a manual indicator's value for an RM they manage, with a note (SPEC §9). A value
    already entered for that RM and period is changed only with the version that was read (stale: 409,
    missing: 422 on `version`); the previous value is kept as a version (`ManualValueVersion`)."""
    setting = IndicatorSetting.objects.filter(pk=indicator_id, source=IndicatorSource.MANUAL).first()
    if setting is None:
        raise ValidationError({"indicator_id": [_("只能为手工指标录入数值。")]})
    rm = managed_rms(actor).filter(pk=rm_id).first()
    if rm is None:
        raise ValidationError({"rm_id": [_("该客户经理不在您的管理范围内。")]})
    note = _manual_note(note)
    if period_end < period_start:
        raise ValidationError({"period_end": [_("结束日期不能早于开始日期。")]})
    value = _dec(value, "value")
    row = (
        ManualValue.objects.select_for_update()
        .filter(indicator=setting, rm=rm, period_start=period_start, period_end=period_end)
        .first()
    )
    if row is not None:
        if version is None or version == "":
            raise ValidationError(
                {"version": [_("该客户经理此期间已有数值，请在其历史页修改（需带上读取时的版本号）。")]},
                code="required",
            )
        return _change_manual_value(actor, row, value=value, note=note, version=version)
    row = ManualValue.objects.create(
        indicator=setting,
        rm=rm,
        period_start=period_start,
        period_end=period_end,
        value=value,
        note=note,
        entered_by=actor,
        org_path=_home(rm).path,
    )
    audit.record(actor, "performance.enter_manual_value", row, after={"value": str(value), "note": note})
    return row


def _manual_note(note) -> str:
    note = (note or "").strip()
    if not note:
        raise ValidationError({"note": [_("请填写说明。")]})
    return note


def _change_manual_value(actor, row: ManualValue, *, value: Decimal, note: str, version) -> ManualValue:
    check_version(row, version)
    ManualValueVersion.objects.create(
        manual_value=row,
        version=row.version,
        value=row.value,
        note=row.note,
        entered_by_id=row.entered_by_id,
        entered_at=row.entered_at,
    )
    before = {"value": str(row.value), "note": row.note, "version": row.version}
    row.value, row.note, row.entered_by, row.entered_at = value, note, actor, timezone.now()
    row.version += 1
    row.save(update_fields=["value", "note", "entered_by", "entered_at", "version"])
    audit.record(
        actor,
        "performance.change_manual_value",
        row,
        before=before,
        after={"value": str(value), "note": note, "version": row.version},
    )
    return row


def _manual_value_for_write(actor, pk):
    from .scope import get_manual_value_or_404

    return get_manual_value_or_404(actor, pk, write=True)


@business_action(roles=SUPERVISORS, subject=_manual_value_for_write)
def change_manual_value(actor, manual_value_id: int, *, value, note: str, version):
    """Change an entered manual value (SPEC §9): the previous value, its author, time and note become a
    version in the history; stale → 409. Runs already published keep the value they snapshotted."""
    _manual_value_for_write(actor, manual_value_id)
    row = ManualValue.objects.select_for_update().get(pk=manual_value_id)
    if not managed_rms(actor).filter(pk=row.rm_id).exists():
        raise ValidationError({"rm_id": [_("该客户经理不在您的管理范围内。")]})
    errors = {}
    try:
        value = _dec(value, "value")
    except ValidationError as exc:
        errors.update(exc.message_dict)
    try:
        note = _manual_note(note)
    except ValidationError as exc:
        errors.update(exc.message_dict)
    if errors:
        raise ValidationError(errors)
    return _change_manual_value(actor, row, value=value, note=note, version=version)


def _home(user):
    return user.team or user.unit


# --- scorecards -------------------------------------------------------------------------------------


def _check_items(items: list[dict], weight_method: str, matrix) -> tuple[list[dict], Decimal | None]:
    """Validated item dicts (weights filled from the AHP matrix when asked) and the CR."""
    if not items:
        raise ValidationError({"items": [_("请至少添加一个指标。")]})
    settings = {s.pk: s for s in IndicatorSetting.objects.filter(pk__in=[i.get("indicator_id") for i in items])}
    clean = []
    for n, raw in enumerate(items):
        at = f"items.{n}"
        kind = raw.get("kind") or ItemKind.QUANTITATIVE
        if kind not in ItemKind.values:
            raise ValidationError({f"{at}.kind": [_("类型无效。")]})
        setting = settings.get(raw.get("indicator_id"))
        if kind != ItemKind.QUALITATIVE and setting is None:
            raise ValidationError({f"{at}.indicator_id": [_("请选择指标。")]})
        if kind == ItemKind.QUALITATIVE and not (raw.get("label") or "").strip():
            raise ValidationError({f"{at}.label": [_("请填写定性评分项的名称。")]})
        item = {
            "kind": kind,
            "indicator": setting if kind != ItemKind.QUALITATIVE else None,
            "label": (raw.get("label") or "").strip(),
            "weight": _dec(raw.get("weight") or 0, f"{at}.weight"),
            "normalisation": raw.get("normalisation") or Normalisation.LINEAR,
            "x_low": None if raw.get("x_low") in (None, "") else _dec(raw["x_low"], f"{at}.x_low"),
            "x_high": None if raw.get("x_high") in (None, "") else _dec(raw["x_high"], f"{at}.x_high"),
            "target": None if raw.get("target") in (None, "") else _dec(raw["target"], f"{at}.target"),
            "cap": _dec(raw.get("cap") or 1, f"{at}.cap"),
            "points": _dec(raw.get("points") or 1, f"{at}.points"),
            "order": n,
        }
        if item["normalisation"] not in Normalisation.values:
            raise ValidationError({f"{at}.normalisation": [_("标准化方式无效。")]})
        if kind == ItemKind.QUANTITATIVE and item["normalisation"] == Normalisation.LINEAR:
            if item["x_low"] is None or item["x_high"] is None or item["x_high"] <= item["x_low"]:
                raise ValidationError({f"{at}.x_high": [_("线性隶属度须填写下限和上限，且上限大于下限。")]})
        if item["cap"] < 1 or item["cap"] > 5:
            raise ValidationError({f"{at}.cap": [_("完成率封顶应在 1 到 5 之间。")]})
        if item["weight"] < 0 or item["weight"] > 1:
            raise ValidationError({f"{at}.weight": [_("权重应在 0 到 1 之间。")]})
        clean.append(item)
    weighted = [i for i in clean if i["kind"] != ItemKind.DEDUCTION]
    if not weighted:
        raise ValidationError({"items": [_("至少需要一个计权指标。")]})
    cr = None
    if weight_method == WeightMethod.AHP:
        try:
            result = ahp.weigh(matrix)
        except ahp.MatrixError as exc:
            raise ValidationError({"ahp_matrix": [exc.message]}, code="invalid") from None
        if len(result.weights) != len(weighted):
            raise ValidationError(
                {"ahp_matrix": [_("判断矩阵应为 %(n)d 阶（每个计权指标一行）。") % {"n": len(weighted)}]}
            )
        cr = Decimal(str(round(result.cr, 4)))
        if not result.consistent:
            raise ValidationError(
                {
                    "ahp_matrix": [
                        _("判断矩阵一致性检验未通过：CR = %(cr).4f ≥ 0.1，请调整比较值。") % {"cr": result.cr}
                    ]
                },
                code="inconsistent",
            )
        weights = [Decimal(str(round(w, 6))) for w in result.weights]
        weights[-1] += Decimal(1) - sum(weights)  # rounding lands on the last item so Σ Q = 1 exactly
        for item, w in zip(weighted, weights, strict=True):
            item["weight"] = w
    else:
        total = sum((i["weight"] for i in weighted), ZERO)
        if abs(total - 1) > WEIGHT_TOLERANCE:
            raise ValidationError({"items": [_("权重之和应为 1（当前为 %(t)s）。") % {"t": total.normalize()}]})
    return clean, cr


@business_action(roles=MANAGERS, subject=in_scope(lambda actor: _readable_cards(actor)))
def save_scorecard(
    actor,
    scorecard_id: int | None = None,
    *,
    name: str,
    year: int,
    period_type: str,
    items: list[dict],
    unit_id: int | None = None,
    position: str = "",
    rm_level: str = "",
    weight_method: str = WeightMethod.DIRECT,
    ahp_matrix=None,
    grade_method: str = GradeMethod.THRESHOLDS,
    thresholds: dict | None = None,
    quotas: dict | None = None,
    appeal_days: int = 5,
    version: int | None = None,
):
    """Create or change a scorecard (SPEC §9): weights given directly must sum to 1; AHP weights come from
    the pairwise matrix, refused with its CR shown when CR ≥ 0.1. A scorecard that has runs is not changed
    (their results point at its items): make the next year's version instead."""
    existing = None if scorecard_id is None else get_scorecard_or_404(actor, scorecard_id, write=True)
    if not (name or "").strip():
        raise ValidationError({"name": [_("请填写方案名称。")]})
    if period_type not in PeriodType.values:
        raise ValidationError({"period_type": [_("请选择考核周期。")]})
    if weight_method not in WeightMethod.values:
        raise ValidationError({"weight_method": [_("请选择赋权方式。")]})
    if grade_method not in GradeMethod.values:
        raise ValidationError({"grade_method": [_("请选择评级方式。")]})
    if rm_level not in ("", "1", "2", "3"):
        raise ValidationError({"rm_level": [_("客户经理等级无效。")]})
    if not 2000 <= int(year) <= 2100:
        raise ValidationError({"year": [_("年度无效。")]})
    _check_grading(thresholds, quotas)
    clean, cr = _check_items(items, weight_method, ahp_matrix)
    unit = None
    if unit_id is not None:
        unit = OrgUnit.objects.filter(pk=unit_id).first()
        if unit is None or not covers(actor, unit.path, write=True):
            raise ValidationError({"unit_id": [_("只能为本人管辖的机构制定考核方案。")]})
    elif not actor.has_role(RoleCode.ADMIN) and not actor.is_superuser:
        raise ValidationError({"unit_id": [_("请选择制定机构（全行通用方案由系统管理员维护）。")]})
    if scorecard_id is None:
        card = Scorecard(created_by=actor)
        before = None
    else:
        card = Scorecard.objects.select_for_update().get(pk=existing.pk)
        check_version(card, version)
        if card.runs.exists():
            raise ValidationError({"items": [_("该方案已用于考核，不能修改；请另建新版本。")]})
        before = {"items": list(card.items.values("indicator_id", "weight"))}
        card.version += 1
    card.name, card.year, card.period_type = name.strip(), int(year), period_type
    card.unit, card.org_path = unit, unit.path if unit else ""
    card.position, card.rm_level = position.strip(), rm_level
    card.weight_method, card.grade_method = weight_method, grade_method
    card.ahp_matrix = ahp_matrix if weight_method == WeightMethod.AHP else []
    card.ahp_cr = cr
    card.thresholds, card.quotas, card.appeal_days = thresholds or {}, quotas or {}, appeal_days
    card.save()
    card.items.all().delete()
    ScorecardItem.objects.bulk_create([ScorecardItem(scorecard=card, **i) for i in clean])
    audit.record(
        actor,
        "performance.save_scorecard",
        card,
        before=before,
        after={"items": [(i["indicator"].code if i["indicator"] else i["label"], str(i["weight"])) for i in clean]},
    )
    return card


def _check_grading(thresholds, quotas):
    for key, value in (thresholds or {}).items():
        if key not in scoring.DEFAULT_THRESHOLDS:
            raise ValidationError({f"thresholds.{key}": [_("等次无效。")]})
        if not 0 <= _dec(value, f"thresholds.{key}") <= 100:
            raise ValidationError({f"thresholds.{key}": [_("分数线应在 0 到 100 之间。")]})
    merged = {**scoring.DEFAULT_THRESHOLDS, **(thresholds or {})}
    order = list(scoring.DEFAULT_THRESHOLDS)
    for higher, lower in zip(order, order[1:], strict=False):
        if _dec(merged[lower], f"thresholds.{lower}") >= _dec(merged[higher], f"thresholds.{higher}"):
            raise ValidationError({f"thresholds.{lower}": [_("分数线应低于上一等次的分数线。")]})
    values = [_dec(v, f"quotas.{k}") for k, v in (quotas or {}).items() if k in scoring.DEFAULT_QUOTAS]
    if any(v < 0 for v in values) or sum(values, ZERO) > 100:
        raise ValidationError({"quotas": [_("强制分布比例应为非负数且合计不超过 100%。")]})


def scorecard_items(card) -> list[dict]:
    return [
        {
            "kind": i.kind,
            "indicator_id": i.indicator_id,
            "label": i.label,
            "weight": i.weight,
            "normalisation": i.normalisation,
            "x_low": i.x_low,
            "x_high": i.x_high,
            "target": i.target,
            "cap": i.cap,
            "points": i.points,
        }
        for i in card.items.all()
    ]


@business_action(roles=MANAGERS, subject=in_scope(lambda actor: _readable_cards(actor)))
def new_version(actor, scorecard_id: int, *, year: int):
    """Next year's version of a scorecard (SPEC §9: versioned per year), as a copy to adjust."""
    card = get_scorecard_or_404(actor, scorecard_id)
    if Scorecard.objects.filter(name=card.name, year=year, org_path=card.org_path).exists():
        raise ValidationError({"year": [_("该年度已有同名方案。")]})
    return save_scorecard(
        actor,
        name=card.name,
        year=year,
        period_type=card.period_type,
        items=scorecard_items(card),
        unit_id=card.unit_id,
        position=card.position,
        rm_level=card.rm_level,
        weight_method=card.weight_method,
        ahp_matrix=card.ahp_matrix,
        grade_method=card.grade_method,
        thresholds=card.thresholds,
        quotas=card.quotas,
        appeal_days=card.appeal_days,
    )


def _readable_cards(actor):
    from .scope import visible_scorecards

    return visible_scorecards(actor)


# --- the engine -------------------------------------------------------------------------------------


def mu_of(item: ScorecardItem, direction: str, value, target) -> Decimal:
    """μ of a quantitative item for a value (None: no data, μ 0)."""
    if value is None:
        value = ZERO
    if item.normalisation == Normalisation.COMPLETION:
        return scoring.completion(value, target, item.cap, direction)
    return scoring.linear(value, item.x_low, item.x_high, direction)


def _targets(rm_ids, indicator_ids, run_year, period_type, start) -> dict:
    """{(rm_id, indicator_id): target of the period} from the active letters of the year."""
    lines = TargetLine.objects.filter(
        letter__status=LetterStatus.ACTIVE,
        letter__year=run_year,
        letter__rm__in=rm_ids,
        indicator__in=indicator_ids,
    ).values_list("letter__rm", "indicator", "annual", "quarters", "months")
    out = {}
    for rm, ind, annual, quarters, months in lines:
        if period_type == PeriodType.MONTHLY and len(months) == 12:
            out[(rm, ind)] = Decimal(str(months[start.month - 1]))
        elif period_type == PeriodType.QUARTERLY and len(quarters) == 4:
            out[(rm, ind)] = Decimal(str(quarters[(start.month - 1) // 3]))
        else:
            out[(rm, ind)] = annual
    return out


def _rms_for(card: Scorecard, unit: OrgUnit) -> list:
    from rmdesk.org.models import StaffStatus

    qs = User.objects.filter(
        Q(team__path__startswith=unit.path) | Q(team__isnull=True, unit__path__startswith=unit.path),
        roles__code=RoleCode.RM,
        is_active=True,
        status=StaffStatus.ACTIVE,
    ).select_related("team", "unit")
    if card.rm_level:
        qs = qs.filter(rm_level=card.rm_level)
    if card.position:
        qs = qs.filter(position=card.position)
    return list(qs.distinct().order_by("id"))


def evaluate(card: Scorecard, rms: list, start: date, end: date, qualitative: dict | None = None) -> list[dict]:
    """Score every RM of `rms` on `card` for [start, end]: one compute per indicator for all of them.
    Answers one dict per RM: gross, deductions, score and the snapshot rows (unsaved ResultItem kwargs)."""
    qualitative = qualitative or {}
    items = list(card.items.select_related("indicator").order_by("order", "id"))
    rm_ids = [u.pk for u in rms]
    reg = registry()
    computed: dict[str, dict] = {}
    for item in items:
        ind = item.indicator
        if ind is None or ind.source != IndicatorSource.COMPUTED or ind.code in computed:
            continue
        computed[ind.code] = reg[ind.code].compute(start, end, rm_ids) if ind.code in reg else {}
    manual_ids = [i.indicator_id for i in items if i.indicator and i.indicator.source == IndicatorSource.MANUAL]
    manual = {
        (m.rm_id, m.indicator_id): m.value
        for m in ManualValue.objects.filter(
            indicator__in=manual_ids, rm__in=rm_ids, period_start=start, period_end=end
        ).only("rm_id", "indicator_id", "value")
    }
    targets = _targets(rm_ids, [i.indicator_id for i in items if i.indicator_id], start.year, card.period_type, start)
    out = []
    for rm in rms:
        rows, parts, deductions = [], [], ZERO
        for item in items:
            ind = item.indicator
            value = numerator = denominator = target = None
            if ind is not None:
                if ind.source == IndicatorSource.COMPUTED:
                    m = computed[ind.code].get(rm.pk)
                    if m is not None:
                        value, numerator, denominator = m.value, m.numerator, m.denominator
                else:
                    value = manual.get((rm.pk, ind.pk))
                target = targets.get((rm.pk, ind.pk), item.target)
            if item.kind == ItemKind.QUALITATIVE:
                value = qualitative.get((rm.pk, item.pk))
                mu = scoring.clip((value or ZERO) / 100)
                points = mu * item.weight * 100
                parts.append((mu, item.weight))
            elif item.kind == ItemKind.DEDUCTION:
                mu = ZERO
                points = -((value or ZERO) * item.points)
                deductions += -points
            else:
                mu = mu_of(item, ind.direction, value, target)
                points = mu * item.weight * 100
                parts.append((mu, item.weight))
            rows.append(
                {
                    "item": item,
                    "kind": item.kind,
                    "code": ind.code if ind else "",
                    "name": item.title[:80],
                    "unit": ind.unit if ind else _("分"),
                    "weight": item.weight,
                    "value": value,
                    "numerator": numerator,
                    "denominator": denominator,
                    "target": target if item.normalisation == Normalisation.COMPLETION else None,
                    "mu": mu.quantize(scoring.Q4, ROUND_HALF_UP),
                    "points": points.quantize(scoring.Q4, ROUND_HALF_UP),
                }
            )
        gross, total = scoring.score(parts, deductions)
        out.append({"rm": rm, "gross": gross, "deductions": deductions, "score": total, "rows": rows})
    return out


def _grade_and_rank(card: Scorecard, results: list) -> None:
    """Set grade, rank in team and rank in the run's unit on result objects (in memory)."""
    scores = [r.score for r in results]
    if card.grade_method == GradeMethod.FORCED:
        grades = scoring.grade_forced(scores, card.quotas)
    else:
        grades = [scoring.grade_by_thresholds(s, card.thresholds) for s in scores]
    for r, g, rank in zip(results, grades, scoring.ranks(scores), strict=True):
        r.grade, r.rank_unit = g, rank
    teams = defaultdict(list)
    for r in results:
        teams[r.team_id or r.org_path].append(r)
    for members in teams.values():
        for r, rank in zip(members, scoring.ranks([m.score for m in members]), strict=True):
            r.rank_team = rank


def _qualitative_of(run) -> dict:
    return {
        (rm, item): value
        for rm, item, value in ResultItem.objects.filter(
            result__run=run, kind=ItemKind.QUALITATIVE, value__isnull=False
        ).values_list("result__rm", "item", "value")
    }


def _write_results(run: AssessmentRun, card: Scorecard, evaluated: list[dict]) -> list[AssessmentResult]:
    results = [
        AssessmentResult(
            run=run,
            rm=e["rm"],
            team=e["rm"].team,
            org_path=_home(e["rm"]).path if _home(e["rm"]) else run.org_path,
            rm_level=e["rm"].rm_level,
            gross=e["gross"],
            deductions=e["deductions"],
            score=e["score"],
        )
        for e in evaluated
    ]
    _grade_and_rank(card, results)
    AssessmentResult.objects.bulk_create(results, batch_size=1000)
    if any(r.pk is None for r in results):  # a backend that does not return ids on bulk insert
        by_rm = dict(AssessmentResult.objects.filter(run=run).values_list("rm_id", "pk"))
        for r in results:
            r.pk = by_rm[r.rm_id]
    _insert_items([(r.pk, row) for r, e in zip(results, evaluated, strict=True) for row in e["rows"]])
    return results


_ITEM_COLUMNS = (
    "kind",
    "code",
    "name",
    "unit",
    "weight",
    "value",
    "numerator",
    "denominator",
    "target",
    "mu",
    "points",
)


def _insert_items(rows: list[tuple[int, dict]]) -> None:
    """Insert the snapshot rows [(result_id, row)]: PostgreSQL's COPY (a month of a branch is ~20,000 rows;
    the ORM's bulk insert spends most of its time preparing values), elsewhere a bulk insert."""
    from django.db import connection

    if connection.vendor != "postgresql":
        ResultItem.objects.bulk_create(
            [ResultItem(result_id=rid, **row) for rid, row in rows], batch_size=2000
        )  # fmt: skip
        return
    table = connection.ops.quote_name(ResultItem._meta.db_table)
    columns = ", ".join(connection.ops.quote_name(c) for c in ("result_id", "item_id", *_ITEM_COLUMNS))
    with connection.cursor() as cursor, cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
        for rid, row in rows:
            copy.write_row((rid, row["item"].pk, *(_copy_value(row[c]) for c in _ITEM_COLUMNS)))


def _copy_value(value):
    return str(value) if isinstance(value, Promise) else value


@business_action(roles=SUPERVISORS, subject=in_scope(lambda actor: _readable_cards(actor)))
def compute_run(actor, scorecard_id: int, *, unit_id: int, year: int, number: int = 1, start=None, end=None):
    """Compute a period for every RM of a unit (SPEC §9): set-based, snapshotting every input value. A run of
    the same scorecard, unit and period that is not yet published is recomputed in place (the supervisor's
    qualitative scores are kept); a published one is frozen and refused."""
    card = get_scorecard_or_404(actor, scorecard_id)
    if not card.is_active:
        raise ValidationError({"scorecard_id": [_("该考核方案已停用。")]})
    unit = OrgUnit.objects.filter(pk=unit_id).first()
    if unit is None or not covers(actor, unit.path, write=True):
        raise ValidationError({"unit_id": [_("只能考核本人管辖的机构。")]})
    if card.period_type == PeriodType.UNSCHEDULED:
        if start is None or end is None or end < start:
            raise ValidationError({"start": [_("不定期考核须填写起止日期。")]})
        label = f"{start:%Y-%m-%d}~{end:%Y-%m-%d}"
    else:
        start, end, label = period_bounds(card.period_type, int(year), int(number))
    run = (
        AssessmentRun.objects.select_for_update()
        .filter(scorecard=card, unit=unit, period_start=start, period_end=end)
        .first()
    )
    qualitative = {}
    if run is not None:
        if run.is_frozen:
            raise ValidationError({"status": [_("该期考核结果已发布，不能重新计算。")]})
        qualitative = _qualitative_of(run)
        run.groups.all().delete()
        run.results.all().delete()
        run.status, run.computed_at, run.computed_by, run.reviewed_by = RunStatus.COMPUTED, timezone.now(), actor, None
        run.version += 1
        run.save()
    else:
        run = AssessmentRun.objects.create(
            scorecard=card,
            unit=unit,
            org_path=unit.path,
            period_type=card.period_type,
            period_start=start,
            period_end=end,
            label=label,
            computed_by=actor,
        )
    evaluated = evaluate(card, _rms_for(card, unit), start, end, qualitative)
    results = _write_results(run, card, evaluated)
    rows = {
        r.pk: {row["item"].pk: SimpleNamespace(**row) for row in e["rows"]}
        for r, e in zip(results, evaluated, strict=True)
    }
    rollup_groups(run, results=results, rows_by_result=rows)
    audit.record(actor, "performance.compute_run", run, after={"rms": len(evaluated), "label": label})
    return run


# --- team and unit results (rolled up from the RMs' snapshot) ----------------------------------------


def _groups_of(run: AssessmentRun, results: list) -> dict:
    """{OrgUnit: [result, ...]}: every team of the run's RMs, and every unit from the run's unit down that
    holds RMs of the run (a unit counts all RMs below it)."""
    units = {u.path: u for u in OrgUnit.objects.filter(path__startswith=run.org_path)}
    out = defaultdict(list)
    for r in results:
        if r.team_id and r.team is not None:
            out[r.team].append(r)
        for path, unit in units.items():
            if unit.kind != "team" and r.org_path.startswith(path):
                out[unit].append(r)
    return out


def _group_items(card_items: list, members: list, rows_by_result: dict, percent: dict) -> tuple[list, list, Decimal]:
    """The group's snapshot rows (JSON-ready), its (μ, Q) pairs and its deductions per RM."""
    n = Decimal(len(members))
    rows, parts, deductions = [], [], ZERO
    for item in card_items:
        mine = [rows_by_result[r.pk][item.pk] for r in members if item.pk in rows_by_result[r.pk]]
        if not mine:
            continue
        first = mine[0]
        row = {"item": item.pk, "kind": first.kind, "code": first.code, "name": first.name, "unit": first.unit}
        row["weight"] = str(first.weight)
        if first.kind == ItemKind.QUALITATIVE:
            mu = sum((m.mu for m in mine), ZERO) / n
            value = rollup_value = None
        elif first.kind == ItemKind.DEDUCTION:
            total = sum((-m.points for m in mine), ZERO)
            deductions += total / n
            mu = ZERO
            value, rollup_value = total / n, None
        else:
            measures = [Measure(m.value or ZERO, m.numerator, m.denominator) for m in mine]
            rolled = rollup(measures, percent=percent.get(first.code, False))
            rollup_value = rolled
            is_rate = rolled.denominator is not None
            value = rolled.value if is_rate else rolled.value / n
            if item.normalisation == Normalisation.COMPLETION:
                targets = [m.target for m in mine if m.target is not None]
                target = (sum(targets, ZERO) / len(targets) if is_rate else sum(targets, ZERO)) if targets else None
                mu = scoring.completion(rolled.value, target, item.cap, item.indicator.direction)
                row["target"] = None if target is None else str(target.quantize(scoring.Q4))
            else:
                mu = scoring.linear(value, item.x_low, item.x_high, item.indicator.direction)
        if rollup_value is not None:
            row["total"] = str(rollup_value.value.quantize(scoring.Q4, ROUND_HALF_UP))
            if rollup_value.denominator is not None:
                row["numerator"], row["denominator"] = str(rollup_value.numerator), str(rollup_value.denominator)
        if value is not None:
            row["per_rm"] = str(value.quantize(scoring.Q4, ROUND_HALF_UP))
        mu = mu.quantize(scoring.Q4, ROUND_HALF_UP)
        row["mu"] = str(mu)
        if first.kind == ItemKind.DEDUCTION:
            row["points"] = str((-value).quantize(scoring.Q4, ROUND_HALF_UP))
        else:
            parts.append((mu, first.weight))
            row["points"] = str((mu * first.weight * 100).quantize(scoring.Q4, ROUND_HALF_UP))
        rows.append(row)
    return rows, parts, deductions.quantize(scoring.Q4, ROUND_HALF_UP)


def rollup_groups(run: AssessmentRun, *, results=None, rows_by_result=None) -> list[GroupResult]:
    """(Re)write the run's team and unit results from its RMs' snapshot rows (SPEC §9 subject levels): the
    rows just computed, or one query for the results and one for their rows; grades by the scorecard's
    thresholds, ranks within each level of the run."""
    card = run.scorecard
    card_items = list(card.items.select_related("indicator").order_by("order", "id"))
    if results is None or rows_by_result is None:
        results = list(run.results.select_related("team"))
        rows_by_result = defaultdict(dict)
        for row in ResultItem.objects.filter(result__run=run).values("result_id", "item_id", *_ITEM_COLUMNS):
            rows_by_result[row["result_id"]][row["item_id"]] = SimpleNamespace(**row)
    reg = registry()
    percent = {code: ind.percent for code, ind in reg.items()}
    groups = []
    for unit, members in _groups_of(run, results).items():
        rows, parts, deductions = _group_items(card_items, members, rows_by_result, percent)
        gross, total = scoring.score(parts, deductions)
        mean = (sum((r.score for r in members), ZERO) / len(members)).quantize(scoring.Q4, ROUND_HALF_UP)
        groups.append(
            GroupResult(
                run=run,
                unit=unit,
                org_path=unit.path,
                level=GroupLevel.TEAM if unit.kind == "team" else GroupLevel.UNIT,
                members=len(members),
                mean_score=mean,
                gross=gross,
                deductions=deductions,
                score=total,
                grade=scoring.grade_by_thresholds(total, card.thresholds),
                items=rows,
            )
        )
    for level in GroupLevel.values:
        same = [g for g in groups if g.level == level]
        for g, rank in zip(same, scoring.ranks([g.score for g in same]), strict=True):
            g.rank = rank
    existing = {g.unit_id: g.pk for g in run.groups.only("pk", "unit_id")}
    for g in groups:  # keep the ids of rows already there (links stay valid when a result is revised)
        g.pk = existing.pop(g.unit.pk, None)
    fields = ["members", "mean_score", "gross", "deductions", "score", "grade", "rank", "items"]
    GroupResult.objects.bulk_update([g for g in groups if g.pk], fields)
    GroupResult.objects.bulk_create([g for g in groups if g.pk is None])
    if existing:
        GroupResult.objects.filter(pk__in=existing.values()).delete()
    return groups


def group_trend(user, group: GroupResult, *, limit: int = 24) -> list[dict]:
    """The same team's or unit's results on runs of the same period type, oldest first (published ones, and
    the current one), for the trend chart."""
    from .scope import visible_groups

    qs = (
        visible_groups(user)
        .filter(unit=group.unit_id, run__period_type=group.run.period_type)
        .filter(Q(run__status__in=[RunStatus.PUBLISHED, RunStatus.CLOSED]) | Q(pk=group.pk))
        .select_related("run")
        .order_by("-run__period_start", "-run_id")[:limit]
    )
    return [
        {"label": g.run.label, "score": g.score, "mean": g.mean_score, "grade": g.get_grade_display(), "id": g.pk}
        for g in reversed(list(qs))
    ]


def _rescore(result: AssessmentResult, card: Scorecard, scores: dict) -> None:
    """Apply qualitative scores {item_id: 0–100} to a result's snapshot and recompute its score."""
    rows = list(result.items.select_related("item"))
    allowed = {r.item_id for r in rows if r.kind == ItemKind.QUALITATIVE}
    for key, raw in scores.items():
        item_id = int(key)
        if item_id not in allowed:
            raise ValidationError({f"scores.{key}": [_("不是本方案的定性评分项。")]})
        value = _dec(raw, f"scores.{key}")
        if value < 0 or value > 100:
            raise ValidationError({f"scores.{key}": [_("评分应在 0 到 100 之间。")]})
        for r in rows:
            if r.item_id == item_id:
                r.value = value
                r.mu = scoring.clip(value / 100).quantize(scoring.Q4)
                r.points = (r.mu * r.weight * 100).quantize(scoring.Q4, ROUND_HALF_UP)
                r.save(update_fields=["value", "mu", "points"])
    parts = [(r.mu, r.weight) for r in rows if r.kind != ItemKind.DEDUCTION]
    result.gross, result.score = scoring.score(parts, result.deductions)


def _regrade(run: AssessmentRun) -> None:
    results = list(run.results.order_by("id"))
    _grade_and_rank(run.scorecard, results)
    AssessmentResult.objects.bulk_update(results, ["grade", "rank_unit", "rank_team"])


@business_action(roles=SUPERVISORS, subject=in_scope(visible_results))
def score_qualitative(actor, result_id: int, *, scores: dict, version: int):
    """The supervisor scores the qualitative items (attitude, service, compliance) of an RM they manage,
    before publication (SPEC §9)."""
    result = get_result_or_404(actor, result_id, write=True)
    result = AssessmentResult.objects.select_for_update().select_related("run__scorecard").get(pk=result.pk)
    check_version(result, version)
    if result.run.is_frozen:
        raise ValidationError({"status": [_("考核结果已发布，不能修改评分。")]})
    before = str(result.score)
    _rescore(result, result.run.scorecard, scores)
    result.version += 1
    result.save()
    _regrade(result.run)
    rollup_groups(result.run)
    audit.record(
        actor, "performance.score_qualitative", result, before={"score": before}, after={"score": str(result.score)}
    )
    return result


def _run_for_write(actor, run_id, version):
    get_run_or_404(actor, run_id)
    run = AssessmentRun.objects.select_for_update().select_related("scorecard").get(pk=run_id)
    check_version(run, version)
    return run


def _runs(actor):
    from .scope import visible_runs

    return visible_runs(actor)


@business_action(roles=SUPERVISORS, subject=in_scope(_runs))
def review_run(actor, run_id: int, *, version: int):
    """The supervisor confirms the computed results (复核) before publishing them."""
    run = _run_for_write(actor, run_id, version)
    if run.status != RunStatus.COMPUTED:
        raise ValidationError({"status": [_("只有已计算的考核可以复核。")]})
    run.status, run.reviewed_by = RunStatus.REVIEWED, actor
    run.version += 1
    run.save()
    audit.record(actor, "performance.review_run", run)
    return run


@business_action(roles=SUPERVISORS, subject=in_scope(_runs))
def publish_run(actor, run_id: int, *, version: int):
    """Publish reviewed results: they are frozen from now on, each RM is notified and may appeal within the
    scorecard's window of working days; promotion/demotion advice is derived from the grades."""
    run = _run_for_write(actor, run_id, version)
    if run.status != RunStatus.REVIEWED:
        raise ValidationError({"status": [_("请先复核再发布。")]})
    run.status, run.published_at = RunStatus.PUBLISHED, timezone.now()
    run.appeal_until = calendar.add_working_days(timezone.localdate(), run.scorecard.appeal_days)
    run.version += 1
    run.save()
    audit.record(actor, "performance.publish_run", run, after={"appeal_until": run.appeal_until.isoformat()})
    for result in run.results.select_related("rm"):
        after_commit(
            notify,
            result.rm,
            "performance.published",
            _("%(label)s 考核结果已发布") % {"label": run.label},
            url=f"/performance/results/{result.pk}/",
        )
    advise_levels(run)
    return run


@business_action(roles=SUPERVISORS, subject=in_scope(_runs))
def close_run(actor, run_id: int, *, version: int):
    """Close a published run once its appeal window has passed and no appeal is pending."""
    run = _run_for_write(actor, run_id, version)
    if run.status != RunStatus.PUBLISHED:
        raise ValidationError({"status": [_("只有已发布的考核可以关闭。")]})
    if Appeal.objects.filter(result__run=run, status=AppealStatus.PENDING).exists():
        raise ValidationError({"status": [_("尚有申诉在审批中，不能关闭。")]})
    if run.appeal_until and timezone.localdate() <= run.appeal_until:
        raise ValidationError({"status": [_("申诉期至 %(d)s，期满后才能关闭。") % {"d": run.appeal_until}]})
    run.status, run.closed_at = RunStatus.CLOSED, timezone.now()
    run.version += 1
    run.save()
    audit.record(actor, "performance.close_run", run)
    return run


# --- appeals ----------------------------------------------------------------------------------------


@business_action(roles=(RoleCode.RM,), subject=in_scope(visible_results))
def appeal(actor, result_id: int, *, reason: str):
    """The RM appeals their own published result within the window; decided through the approval chain."""
    result = get_result_or_404(actor, result_id)
    if result.rm_id != actor.pk:
        raise PermissionDenied(_("只能对本人的考核结果提出申诉。"))
    run = result.run
    if run.status != RunStatus.PUBLISHED or (run.appeal_until and timezone.localdate() > run.appeal_until):
        raise ValidationError({"status": [_("不在申诉期内。")]})
    if not (reason or "").strip():
        raise ValidationError({"reason": [_("请填写申诉理由。")]})
    if result.appeals.filter(status__in=[AppealStatus.PENDING, AppealStatus.UPHELD]).exists():
        raise ValidationError({"reason": [_("该结果已有申诉。")]})
    item = Appeal.objects.create(result=result, reason=reason.strip())
    req = request_approval(
        actor,
        APPEAL_KIND,
        _("考核申诉：%(name)s %(label)s") % {"name": actor.display_name, "label": run.label},
        {"appeal_id": item.pk, "result_id": result.pk},
        unit=_home(actor),
        reason=reason.strip(),
    )
    item.request = req
    item.save(update_fields=["request"])
    audit.record(actor, "performance.appeal", item, after={"result": result.pk})
    return item


def _visible_appeals(actor):
    return Appeal.objects.filter(result__in=visible_results(actor))


@business_action(roles=(RoleCode.RM,), subject=in_scope(_visible_appeals))
def withdraw_appeal(actor, appeal_id: int):
    """The RM withdraws their own appeal while it is pending or returned for changes: the approval request
    is withdrawn with it, so the appeal no longer holds the run open."""
    from rmdesk.core.approvals import cancel

    item = Appeal.objects.select_for_update(of=("self",)).filter(pk=appeal_id, result__rm=actor).first()
    if item is None:
        raise Http404
    if item.status != AppealStatus.PENDING:
        raise ValidationError({"status": [_("只有审批中的申诉可以撤回。")]})
    if item.request_id and item.request.status in ("pending", "returned"):
        cancel(actor, item.request_id, version=item.request.version)  # on_appeal_cancelled settles the appeal
        item.refresh_from_db()
        return item
    _mark_withdrawn(actor, item)
    return item


def _appeal_of(req):
    return Appeal.objects.select_for_update().select_related("result").get(pk=req.payload["appeal_id"])


def _mark_withdrawn(actor, item):
    item.status, item.decided_at = AppealStatus.WITHDRAWN, timezone.now()
    item.save(update_fields=["status", "decided_at"])
    audit.record(actor, "performance.appeal_withdrawn", item, after={"request": item.request_id})


def on_appeal_cancelled(maker, req):
    """The kernel's `on_cancelled` for appeals: the RM withdrew the approval request (on the result page or in
    the inbox, e.g. after it was returned for changes), so the appeal is withdrawn with it and no longer holds
    the run open."""
    item = _appeal_of(req)
    if item.status == AppealStatus.PENDING:
        _mark_withdrawn(maker, item)


def on_appeal_approved(checker, req):
    item = _appeal_of(req)
    item.status, item.decided_at = AppealStatus.UPHELD, timezone.now()
    item.save(update_fields=["status", "decided_at"])
    audit.record(checker, "performance.appeal_upheld", item)


def on_appeal_rejected(checker, req):
    item = _appeal_of(req)
    item.status, item.decided_at = AppealStatus.REJECTED, timezone.now()
    item.save(update_fields=["status", "decided_at"])
    audit.record(checker, "performance.appeal_rejected", item)


@business_action(roles=SUPERVISORS, subject=in_scope(visible_results))
def revise_result(actor, result_id: int, *, scores: dict, version: int):
    """After an upheld appeal, the supervisor re-scores that result's qualitative items once; the computed
    inputs stay as snapshotted and the other RMs' published results do not move (ranks are recounted; a
    forced-distribution grade is kept, a threshold grade follows the new score)."""
    result = get_result_or_404(actor, result_id, write=True)
    result = AssessmentResult.objects.select_for_update().select_related("run__scorecard").get(pk=result.pk)
    check_version(result, version)
    upheld = result.appeals.filter(status=AppealStatus.UPHELD, revised=False).first()
    if upheld is None:
        raise ValidationError({"status": [_("只有申诉成立的结果可以重新评分。")]})
    before = {"score": str(result.score), "grade": result.grade}
    _rescore(result, result.run.scorecard, scores)
    if result.run.scorecard.grade_method == GradeMethod.THRESHOLDS:
        result.grade = scoring.grade_by_thresholds(result.score, result.run.scorecard.thresholds)
    result.version += 1
    result.save()
    others = list(result.run.results.order_by("id"))
    for r, rank in zip(others, scoring.ranks([r.score for r in others]), strict=True):
        r.rank_unit = rank
    AssessmentResult.objects.bulk_update(others, ["rank_unit"])
    upheld.revised = True
    upheld.save(update_fields=["revised"])
    rollup_groups(result.run)
    audit.record(actor, "performance.revise_result", result, before=before, after={"score": str(result.score)})
    return result


# --- target responsibility letters ------------------------------------------------------------------


def _split(total: Decimal, parts: int) -> list[Decimal]:
    base = (total / parts).quantize(CENT, rounding="ROUND_DOWN")
    out = [base] * parts
    out[-1] = total - base * (parts - 1)
    return out


def _letter_text(rm, year, number, terms, lines) -> str:
    head = _("%(year)s 年度任务目标责任书（第 %(n)d 版）") % {"year": year, "n": number}
    body = [head, _("客户经理：%(name)s（工号 %(no)s）") % {"name": rm.display_name, "no": rm.employee_no or ""}]
    for setting, annual, quarters, months in lines:
        body.append(
            f"{setting.name}（{setting.unit}）: {annual} | Q: {', '.join(map(str, quarters))} | "
            f"M: {', '.join(map(str, months))}"
        )
    body.append(terms or "")
    return "\n".join(body)


@business_action(roles=SUPERVISORS)
def propose_letter(actor, *, rm_id: int, year: int, targets: list[dict], terms: str = ""):
    """The supervisor proposes an RM's letter for a year: targets per indicator split by quarter and month
    (split evenly when not given; the splits must add up). The first letter of a year goes to signing; a
    change of an active letter is a new version that goes through the approval chain first."""
    rm = managed_rms(actor).filter(pk=rm_id).first()
    if rm is None:
        raise ValidationError({"rm_id": [_("该客户经理不在您的管理范围内。")]})
    if not targets:
        raise ValidationError({"targets": [_("请至少填写一个目标。")]})
    settings = {s.pk: s for s in IndicatorSetting.objects.filter(pk__in=[t.get("indicator_id") for t in targets])}
    lines = []
    for n, t in enumerate(targets):
        setting = settings.get(t.get("indicator_id"))
        if setting is None:
            raise ValidationError({f"targets.{n}.indicator_id": [_("请选择指标。")]})
        annual = _dec(t.get("annual"), f"targets.{n}.annual")
        quarters = [_dec(x, f"targets.{n}.quarters") for x in (t.get("quarters") or [])] or _split(annual, 4)
        months = [_dec(x, f"targets.{n}.months") for x in (t.get("months") or [])] or [
            m for q in quarters for m in _split(q, 3)
        ]
        if len(quarters) != 4 or sum(quarters) != annual:
            raise ValidationError({f"targets.{n}.quarters": [_("四个季度目标之和应等于年度目标。")]})
        if len(months) != 12 or any(sum(months[i * 3 : i * 3 + 3]) != quarters[i] for i in range(4)):
            raise ValidationError({f"targets.{n}.months": [_("每季度三个月的目标之和应等于该季度目标。")]})
        lines.append((setting, annual, quarters, months))
    if len({s.pk for s, *_rest in lines}) != len(lines):
        raise ValidationError({"targets": [_("同一指标只能填写一次。")]})
    current = TargetLetter.objects.filter(rm=rm, year=year).order_by("-number").first()
    if current is not None and current.status in (LetterStatus.PENDING, LetterStatus.SIGNING, LetterStatus.DRAFT):
        raise ValidationError({"rm_id": [_("该客户经理本年度已有未生效的责任书。")]})
    number = (current.number + 1) if current else 1
    change = current is not None and current.status == LetterStatus.ACTIVE
    text = _letter_text(rm, year, number, terms, lines)
    letter = TargetLetter.objects.create(
        rm=rm,
        org_path=_home(rm).path,
        year=year,
        number=number,
        status=LetterStatus.PENDING if change else LetterStatus.SIGNING,
        terms=terms,
        text=text,
        text_hash=hashlib.sha256(text.encode()).hexdigest(),
        proposed_by=actor,
    )
    TargetLine.objects.bulk_create(
        [
            TargetLine(letter=letter, indicator=s, annual=a, quarters=[str(x) for x in q], months=[str(x) for x in m])
            for s, a, q, m in lines
        ]
    )
    if change:
        letter.request = request_approval(
            actor,
            LETTER_KIND,
            _("责任书变更：%(name)s %(year)s 第 %(n)d 版") % {"name": rm.display_name, "year": year, "n": number},
            {"letter_id": letter.pk},
            unit=_home(rm),
        )
        letter.save(update_fields=["request"])
    else:
        after_commit(
            notify, rm, "performance.letter", _("请签署 %(year)s 年度任务目标责任书") % {"year": year},
            url=f"/performance/letters/{letter.pk}/",
        )  # fmt: skip
    audit.record(actor, "performance.propose_letter", letter, after={"hash": letter.text_hash, "change": change})
    return letter


def on_letter_approved(checker, req):
    letter = TargetLetter.objects.select_for_update().get(pk=req.payload["letter_id"])
    letter.status = LetterStatus.SIGNING
    letter.version += 1
    letter.save(update_fields=["status", "version"])
    audit.record(checker, "performance.letter_approved", letter)


def on_letter_rejected(checker, req):
    letter = TargetLetter.objects.select_for_update().get(pk=req.payload["letter_id"])
    letter.status = LetterStatus.DRAFT
    letter.version += 1
    letter.save(update_fields=["status", "version"])
    audit.record(checker, "performance.letter_rejected", letter)


@business_action(roles=(RoleCode.RM, *SUPERVISORS), subject=in_scope(visible_letters))
def sign_letter(actor, letter_id: int, *, text_hash: str, version: int):
    """Sign a letter electronically: the RM it is for, or a supervisor managing them; the signer confirms
    the SHA-256 of the exact text they read. When both have signed it takes effect and replaces the
    previous version of the year."""
    letter = get_letter_or_404(actor, letter_id)
    letter = TargetLetter.objects.select_for_update().get(pk=letter.pk)
    check_version(letter, version)
    if letter.status != LetterStatus.SIGNING:
        raise ValidationError({"status": [_("该责任书当前不能签署。")]})
    if text_hash != letter.text_hash:
        raise ValidationError({"text_hash": [_("责任书内容与您阅读的版本不一致，请刷新后重新签署。")]})
    now = timezone.now()
    if actor.pk == letter.rm_id:
        if letter.rm_signed_at:
            raise ValidationError({"status": [_("您已签署。")]})
        letter.rm_signed_at = now
        side = "rm"
    elif visible_letters(actor, write=True).filter(pk=letter.pk).exists():
        if letter.supervisor_signed_at:
            raise ValidationError({"status": [_("上级已签署。")]})
        letter.supervisor_signed_at = now
        side = "supervisor"
    else:
        raise PermissionDenied(_("只有客户经理本人和其上级可以签署。"))
    if letter.rm_signed_at and letter.supervisor_signed_at:
        TargetLetter.objects.filter(rm=letter.rm_id, year=letter.year, status=LetterStatus.ACTIVE).update(
            status=LetterStatus.SUPERSEDED
        )
        letter.status = LetterStatus.ACTIVE
    letter.version += 1
    letter.save()
    audit.record(actor, "performance.sign_letter", letter, after={"side": side, "hash": letter.text_hash})
    return letter


# --- incentives -------------------------------------------------------------------------------------


def pay_for(result: AssessmentResult, rules: list[PayRule], values: dict) -> dict:
    """One RM's pay from the rules and the result's snapshot values {indicator_id: value} (Decimal yuan):
    post pay by level, performance pay = Σ value × product price, reward pay for each threshold reached,
    and the deferred share of performance + reward pay."""
    post = sum((r.amount for r in rules if r.kind == PayRule.Kind.POST and r.rm_level == result.rm_level), ZERO)
    detail, perf, reward = [], ZERO, ZERO
    for r in rules:
        value = values.get(r.indicator_id)
        if r.kind == PayRule.Kind.PRICE and value is not None:
            amount = (value * r.amount).quantize(CENT, ROUND_HALF_UP)
            perf += amount
            detail.append({"indicator": r.indicator_id, "kind": "price", "value": str(value), "amount": str(amount)})
        elif r.kind == PayRule.Kind.REWARD and value is not None and r.threshold is not None and value >= r.threshold:
            reward += r.amount
            detail.append({"indicator": r.indicator_id, "kind": "reward", "value": str(value), "amount": str(r.amount)})
    share = sum((r.amount for r in rules if r.kind == PayRule.Kind.DEFER), ZERO)
    deferred = ((perf + reward) * share / 100).quantize(CENT, ROUND_HALF_UP)
    post, reward = post.quantize(CENT), reward.quantize(CENT)
    total = post + perf + reward
    return {
        "post_pay": post,
        "performance_pay": perf,
        "reward_pay": reward,
        "total": total,
        "deferred": deferred,
        "paid_now": total - deferred,
        "detail": detail,
    }


@business_action(roles=SUPERVISORS, subject=in_scope(_runs))
def compute_pay(actor, run_id: int):
    """The pay sheet of a published run (SPEC §9 pay = 岗位工资 + 效益工资 + 奖励工资, a share deferred),
    from the frozen snapshot values; computing again replaces the sheet."""
    run = get_run_or_404(actor, run_id)
    if not run.is_frozen:
        raise ValidationError({"status": [_("考核结果发布后才能计算薪酬。")]})
    rules = list(PayRule.objects.filter(is_active=True))
    values = defaultdict(dict)
    for rid, ind, value in ResultItem.objects.filter(result__run=run, item__indicator__isnull=False).values_list(
        "result", "item__indicator", "value"
    ):
        if value is not None:
            values[rid][ind] = value
    PayLine.objects.filter(result__run=run).delete()
    lines = [PayLine(result=r, **pay_for(r, rules, values[r.pk])) for r in run.results.all()]
    PayLine.objects.bulk_create(lines)
    audit.record(actor, "performance.compute_pay", run, after={"lines": len(lines)})
    return lines


# --- promotion and demotion advice ------------------------------------------------------------------

UP = {"3": "2", "2": "1"}
DOWN = {"1": "2", "2": "3", "3": ""}


def advise_levels(run: AssessmentRun) -> list[LevelAdvice]:
    """Advice for the RMs of a just-published run whose last N published grades of the rule's period type
    are all the rule's grade (e.g. two annual 优秀 → promote a level; 不合格 twice → demote). Part of the
    publishing action; no advice is repeated while one for the same RM and move is open."""
    rules = [r for r in PromotionRule.objects.filter(is_active=True) if r.period_type == run.period_type]
    made = []
    for rule in rules:
        for result in run.results.filter(grade=rule.grade).select_related("rm"):
            last = list(
                AssessmentResult.objects.filter(
                    rm=result.rm_id,
                    run__period_type=rule.period_type,
                    run__status__in=[RunStatus.PUBLISHED, RunStatus.CLOSED],
                    run__period_start__lte=run.period_start,
                )
                .order_by("-run__period_start", "-id")
                .values_list("grade", "run__label")[: rule.consecutive]
            )
            if len(last) < rule.consecutive or any(g != rule.grade for g, _label in last):
                continue
            level = result.rm.rm_level
            to = (UP if rule.move == PromotionRule.Move.UP else DOWN).get(level)
            if to is None:
                continue
            if LevelAdvice.objects.filter(
                rm=result.rm, move=rule.move, status__in=[AdviceStatus.OPEN, AdviceStatus.PENDING]
            ).exists():
                continue
            basis = "、".join(f"{label} {dict(scoring.Grade.choices)[g]}" for g, label in reversed(last))
            made.append(
                LevelAdvice.objects.create(
                    rm=result.rm,
                    org_path=result.org_path,
                    rule=rule,
                    move=rule.move,
                    from_level=level,
                    to_level=to,
                    basis=basis[:300],
                )
            )
    for advice in made:
        audit.record(None, "performance.advise_level", advice, after={"move": advice.move, "to": advice.to_level})
    return made


@business_action(roles=SUPERVISORS, subject=in_scope(lambda actor: _advice(actor)))
def submit_advice(actor, advice_id: int, *, version: int, reason: str = ""):
    """Send a promotion/demotion advice into the approval chain; the level changes only on approval."""
    advice = get_advice_or_404(actor, advice_id)
    advice = LevelAdvice.objects.select_for_update().select_related("rm").get(pk=advice.pk)
    check_version(advice, version)
    if advice.status != AdviceStatus.OPEN:
        raise ValidationError({"status": [_("该建议已处理。")]})
    if advice.rm_id == actor.pk:
        raise PermissionDenied(_("不能为本人提交晋降级申请。"))
    advice.request = request_approval(
        actor,
        LEVEL_KIND,
        _("客户经理等级调整：%(name)s %(move)s") % {"name": advice.rm.display_name, "move": advice.get_move_display()},
        {"advice_id": advice.pk},
        unit=_home(advice.rm),
        reason=reason or advice.basis,
    )
    advice.status = AdviceStatus.PENDING
    advice.version += 1
    advice.save()
    audit.record(actor, "performance.submit_advice", advice)
    return advice


@business_action(roles=SUPERVISORS, subject=in_scope(lambda actor: _advice(actor)))
def dismiss_advice(actor, advice_id: int, *, version: int):
    advice = get_advice_or_404(actor, advice_id)
    advice = LevelAdvice.objects.select_for_update().get(pk=advice.pk)
    check_version(advice, version)
    if advice.status != AdviceStatus.OPEN:
        raise ValidationError({"status": [_("该建议已处理。")]})
    advice.status = AdviceStatus.DISMISSED
    advice.version += 1
    advice.save()
    audit.record(actor, "performance.dismiss_advice", advice)
    return advice


def _advice(actor):
    from .scope import visible_advice

    return visible_advice(actor)


def on_level_approved(checker, req):
    from rmdesk.org.services import change_rm_level

    advice = LevelAdvice.objects.select_for_update().get(pk=req.payload["advice_id"])
    change_rm_level(checker, advice.rm_id, level=advice.to_level, reason=advice.basis, approved_by=checker)
    advice.status, advice.decided_at = AdviceStatus.APPROVED, timezone.now()
    advice.version += 1
    advice.save()


def on_level_rejected(checker, req):
    advice = LevelAdvice.objects.select_for_update().get(pk=req.payload["advice_id"])
    advice.status, advice.decided_at = AdviceStatus.REJECTED, timezone.now()
    advice.version += 1
    advice.save()


# --- reading ----------------------------------------------------------------------------------------


def trend(user, rm_id: int, period_type: str, *, limit: int = 24) -> list[dict]:
    """The RM's published scores of a period type, oldest first (the result page's trend)."""
    qs = (
        visible_results(user)
        .filter(rm=rm_id, run__period_type=period_type, run__status__in=[RunStatus.PUBLISHED, RunStatus.CLOSED])
        .select_related("run")
        .order_by("-run__period_start")[:limit]
    )
    return [
        {"label": r.run.label, "score": r.score, "grade": r.get_grade_display(), "result_id": r.pk}
        for r in reversed(list(qs))
    ]


def drill_down(user, result_item: ResultItem):
    """The records a computed value counted, in the viewer's own scope (None for manual/qualitative items)."""
    ind = registry().get(result_item.code)
    if ind is None or ind.records is None:
        return None
    run = result_item.result.run
    return ind.records(user, result_item.result.rm_id, run.period_start, run.period_end)


# --- pay rules and promotion rules (bank-wide configuration) ------------------------------------------

#: who configures pay rules and promotion rules: bank-wide configuration, like the bank-wide scorecards
RULE_EDITORS = (RoleCode.ADMIN,)
#: who reads them (pages and API): the people who assess and pay RMs
RULE_READERS = (*SUPERVISORS, RoleCode.ADMIN)
RM_LEVELS = ("3", "2", "1")


def may_read_rules(user) -> bool:
    return bool(getattr(user, "is_authenticated", False)) and (user.has_role(*RULE_READERS) or is_admin(user))


def may_edit_rules(user) -> bool:
    return bool(getattr(user, "is_authenticated", False)) and is_admin(user)


def _rule_row(model, rule_id):
    row = model.objects.select_for_update().filter(pk=rule_id).first()
    if row is None:
        raise Http404
    return row


def _pay_rule_fields(kind, rm_level, indicator_id, amount, threshold) -> dict:
    """The checked fields of a pay rule (errors by field, all at once)."""
    errors: dict[str, list] = {}
    if kind not in PayRule.Kind.values:
        raise ValidationError({"kind": [_("请选择薪酬规则类型。")]})
    rm_level = (rm_level or "").strip()
    indicator = None
    try:
        amount = _dec(amount, "amount")
    except ValidationError as exc:
        errors.update(exc.message_dict)
        amount = None
    if kind == PayRule.Kind.POST:
        if rm_level not in RM_LEVELS:
            errors["rm_level"] = [_("岗位工资须选择客户经理等级。")]
    else:
        rm_level = ""
    if kind in (PayRule.Kind.PRICE, PayRule.Kind.REWARD):
        indicator = IndicatorSetting.objects.filter(pk=indicator_id or 0, is_active=True).first()
        if indicator is None:
            errors["indicator_id"] = [_("请选择计价或奖励依据的指标。")]
    if kind == PayRule.Kind.REWARD:
        if threshold in (None, ""):
            errors["threshold"] = [_("奖励工资须填写达标值。")]
        else:
            try:
                threshold = _dec(threshold, "threshold")
            except ValidationError as exc:
                errors.update(exc.message_dict)
    else:
        threshold = None
    if amount is not None:
        if kind == PayRule.Kind.DEFER and not ZERO <= amount <= 100:
            errors["amount"] = [_("延期支付比例应在 0–100 之间（%）。")]
        elif amount < 0:
            errors["amount"] = [_("金额不能为负数。")]
        elif amount >= Decimal("1e10") or amount != amount.quantize(Decimal("0.0001")):
            errors["amount"] = [_("金额最多 10 位整数、4 位小数。")]
    if errors:
        raise ValidationError(errors)
    return {"kind": kind, "rm_level": rm_level, "indicator": indicator, "amount": amount, "threshold": threshold}


def _pay_rule_snapshot(rule: PayRule) -> dict:
    return {
        "kind": rule.kind,
        "rm_level": rule.rm_level,
        "indicator": rule.indicator_id,
        "amount": str(rule.amount),
        "threshold": None if rule.threshold is None else str(rule.threshold),
        "is_active": rule.is_active,
    }


@business_action(roles=RULE_EDITORS)
def save_pay_rule(
    actor,
    rule_id: int | None = None,
    *,
    kind: str,
    amount,
    rm_level: str = "",
    indicator_id: int | None = None,
    threshold=None,
    is_active: bool = True,
    version: int | None = None,
):
    """Add or change a pay rule (SPEC §9 incentives; seed 001:1157): post pay per RM level, performance pay
    per unit of an indicator at its product price, reward pay above a threshold, the deferred share (%).
    One active post pay per level and one active deferred share (pay_for adds them up). Audited before
    and after; stale → 409. A pay sheet already computed keeps its lines until computed again."""
    fields = _pay_rule_fields(kind, rm_level, indicator_id, amount, threshold)
    if rule_id is None:
        rule, before = PayRule(), None
    else:
        rule = _rule_row(PayRule, rule_id)
        check_version(rule, version)
        before = _pay_rule_snapshot(rule)
        rule.version += 1
    for name, value in fields.items():
        setattr(rule, name, value)
    rule.is_active = bool(is_active)
    if rule.is_active and rule.kind in (PayRule.Kind.POST, PayRule.Kind.DEFER):
        twin = PayRule.objects.filter(kind=rule.kind, rm_level=rule.rm_level, is_active=True).exclude(pk=rule.pk)
        if twin.exists():
            field = "rm_level" if rule.kind == PayRule.Kind.POST else "kind"
            raise ValidationError({field: [_("已有启用中的同类规则，请修改那一条或先停用它。")]})
    rule.save()
    audit.record(
        actor,
        "performance.save_pay_rule",
        rule,
        before=before,
        after=_pay_rule_snapshot(rule),
    )
    return rule


def _promotion_snapshot(rule: PromotionRule) -> dict:
    return {
        "move": rule.move,
        "grade": rule.grade,
        "consecutive": rule.consecutive,
        "period_type": rule.period_type,
        "is_active": rule.is_active,
    }


@business_action(roles=RULE_EDITORS)
def save_promotion_rule(
    actor,
    rule_id: int | None = None,
    *,
    move: str,
    grade: str,
    consecutive,
    period_type: str = PeriodType.ANNUAL,
    is_active: bool = True,
    version: int | None = None,
):
    """Add or change a promotion/demotion rule (SPEC §9: advice from consecutive grades, e.g. two annual 优秀
    → promote one level). Advice already made keeps its rule's wording in `basis`; audited; stale → 409."""
    errors: dict[str, list] = {}
    if move not in PromotionRule.Move.values:
        errors["move"] = [_("请选择晋升或降级。")]
    if grade not in Grade.values:
        errors["grade"] = [_("请选择等次。")]
    if period_type not in PeriodType.values:
        errors["period_type"] = [_("请选择考核周期。")]
    try:
        consecutive = int(str(consecutive).strip())
        if not 1 <= consecutive <= 10:
            raise ValueError
    except (TypeError, ValueError):
        errors["consecutive"] = [_("连续次数应为 1–10 的整数。")]
    if errors:
        raise ValidationError(errors)
    if rule_id is None:
        rule, before = PromotionRule(), None
    else:
        rule = _rule_row(PromotionRule, rule_id)
        check_version(rule, version)
        before = _promotion_snapshot(rule)
        rule.version += 1
    rule.move, rule.grade, rule.consecutive, rule.period_type = move, grade, consecutive, period_type
    rule.is_active = bool(is_active)
    if (
        rule.is_active
        and PromotionRule.objects.filter(move=move, grade=grade, period_type=period_type, is_active=True)
        .exclude(pk=rule.pk)
        .exists()
    ):
        raise ValidationError({"grade": [_("已有启用中的相同规则（同一建议、等次和周期）。")]})
    rule.save()
    audit.record(actor, "performance.save_promotion_rule", rule, before=before, after=_promotion_snapshot(rule))
    return rule
