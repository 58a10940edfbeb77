"""Key-account qualification computed from the archive's figures (SPEC §2 "key-account qualification
(volume, margin, growth, share of wallet, credit standing and payment cycle: seed 002)").

A `QualificationRule` (configuration, loadable by a pack) lists weighted criteria, each a threshold on one
figure the archive holds (年业务量, 毛利率, 增长率, 业务份额, 资信状况, 回款周期: the `ka_*` fields, entered on
the archive form or imported from the core system), and a pass mark out of 100:

- a criterion passes when the figure is at least (`gte`) or at most (`lte`) its threshold, boundary included;
  credit standing compares grades (AAA best … C worst: "at least A" passes AAA, AA and A);
- a missing figure fails its criterion ("缺少数据"), it is never guessed;
- the score is the passed criteria's share of the total weight × 100;
- the customer qualifies when the score reaches the pass mark and no `required` criterion (一票否决) failed.

Evaluation is a pure read: it stores nothing, so it writes no audit event; the designation 重点客户
(`Customer.is_key_account`) stays the RM's decision on the archive form, with the evaluation beside it.
"""

from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from ..models import CREDIT_GRADES, QualificationMetric, QualificationRule
from ..scope import get_customer_or_404

#: the archive field each metric reads
METRIC_FIELDS = {
    QualificationMetric.VOLUME: "ka_volume",
    QualificationMetric.MARGIN: "ka_margin",
    QualificationMetric.GROWTH: "ka_growth",
    QualificationMetric.WALLET_SHARE: "ka_wallet_share",
    QualificationMetric.CREDIT_STANDING: "ka_credit_standing",
    QualificationMetric.PAYMENT_DAYS: "ka_payment_days",
}
OPS = ("gte", "lte")
CRITERION_KEYS = {"code", "metric", "op", "threshold", "weight", "required"}
HUNDRED = Decimal("100")
CENT = Decimal("0.01")


def _unit(metric: str) -> str:
    return {
        QualificationMetric.VOLUME: _("元"),
        QualificationMetric.MARGIN: "%",
        QualificationMetric.GROWTH: "%",
        QualificationMetric.WALLET_SHARE: "%",
        QualificationMetric.PAYMENT_DAYS: _("天"),
    }.get(metric, "")


def _decimal(value) -> Decimal | None:
    if value is None or value == "" or isinstance(value, bool):
        return None
    try:
        d = Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None
    return d if d.is_finite() else None


def criteria_errors(criteria) -> list[str]:
    """What is wrong with a rule's criteria, one message per problem (empty when valid)."""
    if not isinstance(criteria, list) or not criteria:
        return [_("请至少设置一项认定标准（列表）。")]
    errors: list[str] = []
    codes = set()
    for i, c in enumerate(criteria, start=1):
        if not isinstance(c, dict):
            errors.append(_("第 %(n)s 项：应为一条标准（表）。") % {"n": i})
            continue
        unknown = set(c) - CRITERION_KEYS
        if unknown:
            errors.append(_("第 %(n)s 项：未知字段 %(keys)s。") % {"n": i, "keys": "、".join(sorted(unknown))})
        code = c.get("code")
        if not isinstance(code, str) or not code.strip():
            errors.append(_("第 %(n)s 项：缺少代码。") % {"n": i})
        elif code in codes:
            errors.append(_("第 %(n)s 项：代码“%(code)s”重复。") % {"n": i, "code": code})
        else:
            codes.add(code)
        metric = c.get("metric")
        if metric not in QualificationMetric.values:
            errors.append(_("第 %(n)s 项：指标无效。") % {"n": i})
        if c.get("op", "gte") not in OPS:
            errors.append(_("第 %(n)s 项：比较方式应为 gte（不低于）或 lte（不高于）。") % {"n": i})
        threshold = c.get("threshold")
        if metric == QualificationMetric.CREDIT_STANDING:
            if threshold not in CREDIT_GRADES:
                errors.append(
                    _("第 %(n)s 项：资信门槛应为 %(grades)s 之一。") % {"n": i, "grades": "、".join(CREDIT_GRADES)}
                )
        elif _decimal(threshold) is None:
            errors.append(_("第 %(n)s 项：门槛应为数字。") % {"n": i})
        weight = _decimal(c.get("weight"))
        if weight is None or weight <= 0 or weight > 1000:
            errors.append(_("第 %(n)s 项：权重应为大于 0、不超过 1000 的数。") % {"n": i})
        if not isinstance(c.get("required", False), bool):
            errors.append(_("第 %(n)s 项：一票否决应为 true 或 false。") % {"n": i})
    return errors


@dataclass(frozen=True)
class CriterionResult:
    code: str
    metric: str
    label: str
    op: str
    threshold: str  # as configured: a decimal string or a credit grade
    value: str | None  # the customer's figure, None when missing
    unit: str
    weight: Decimal
    required: bool
    passed: bool
    reason: str


@dataclass(frozen=True)
class Qualification:
    rule_code: str
    rule_name: str
    pass_mark: Decimal
    score: Decimal
    qualified: bool
    criteria: list[CriterionResult] = field(default_factory=list)
    reasons: list[str] = field(default_factory=list)  # why not qualified (empty when qualified)


def _fmt(value: Decimal, metric: str) -> str:
    if metric == QualificationMetric.PAYMENT_DAYS:
        return f"{value.normalize():f}" if value == value.to_integral() else f"{value:f}"
    return f"{value.quantize(CENT, rounding=ROUND_HALF_UP):,.2f}"


def _check(criterion: dict, raw) -> tuple[bool, str | None, str]:
    """(passed, the figure as shown, the reason) of one criterion against one figure."""
    metric, op = criterion["metric"], criterion.get("op", "gte")
    threshold = criterion["threshold"]
    if metric == QualificationMetric.CREDIT_STANDING:
        if raw in (None, ""):
            return False, None, _("缺少数据：未评定资信状况，不能认定。")
        if raw not in CREDIT_GRADES:
            return False, str(raw), _("资信状况“%(value)s”无法识别。") % {"value": raw}
        # a lower index is a better grade
        better_or_equal = CREDIT_GRADES.index(raw) <= CREDIT_GRADES.index(threshold)
        worse_or_equal = CREDIT_GRADES.index(raw) >= CREDIT_GRADES.index(threshold)
        args = {"value": raw, "threshold": threshold}
        if op == "gte":
            if better_or_equal:
                return True, raw, _("达标：资信 %(value)s，不低于 %(threshold)s。") % args
            return False, raw, _("未达标：资信 %(value)s 低于要求的 %(threshold)s。") % args
        if worse_or_equal:
            return True, raw, _("达标：资信 %(value)s，不高于 %(threshold)s。") % args
        return False, raw, _("未达标：资信 %(value)s 高于上限 %(threshold)s。") % args
    value = _decimal(raw)
    if value is None:
        return False, None, _("缺少数据：未填写该项数值，不能认定。")
    limit = Decimal(str(threshold))
    unit = _unit(metric)
    shown = _fmt(value, metric)
    args = {"value": shown + unit, "threshold": _fmt(limit, metric) + unit}
    if op == "gte":
        if value >= limit:
            return True, shown, _("达标：%(value)s，不低于 %(threshold)s。") % args
        return False, shown, _("未达标：%(value)s 低于要求的 %(threshold)s。") % args
    if value <= limit:
        return True, shown, _("达标：%(value)s，不高于 %(threshold)s。") % args
    return False, shown, _("未达标：%(value)s 超过上限 %(threshold)s。") % args


def evaluate(rule: QualificationRule, figures: dict) -> Qualification:
    """Evaluate a rule against figures by metric code (a pure function; see the module docstring)."""
    results: list[CriterionResult] = []
    total = passed_weight = Decimal("0")
    for criterion in rule.criteria:
        metric = criterion["metric"]
        weight = Decimal(str(criterion["weight"]))
        passed, shown, reason = _check(criterion, figures.get(metric))
        total += weight
        if passed:
            passed_weight += weight
        results.append(
            CriterionResult(
                code=criterion["code"],
                metric=metric,
                label=str(QualificationMetric(metric).label),
                op=criterion.get("op", "gte"),
                threshold=str(criterion["threshold"]),
                value=shown,
                unit=_unit(metric),
                weight=weight,
                required=bool(criterion.get("required", False)),
                passed=passed,
                reason=reason,
            )
        )
    score = (passed_weight / total * HUNDRED).quantize(CENT, rounding=ROUND_HALF_UP) if total else Decimal("0.00")
    pass_mark = Decimal(rule.pass_mark)
    reasons = []
    if score < pass_mark:
        reasons.append(_("得分 %(score)s 低于合格分 %(mark)s。") % {"score": score, "mark": pass_mark})
    vetoed = [r.label for r in results if r.required and not r.passed]
    if vetoed:
        reasons.append(_("一票否决项未达标：%(items)s。") % {"items": "、".join(vetoed)})
    return Qualification(
        rule_code=rule.code,
        rule_name=rule.name,
        pass_mark=pass_mark,
        score=score,
        qualified=not reasons,
        criteria=results,
        reasons=reasons,
    )


def figures_of(customer) -> dict:
    """The customer's figures by metric code, as the archive holds them (None when not filled in)."""
    return {metric: getattr(customer, name) for metric, name in METRIC_FIELDS.items()}


def rule_for(kind: str, code: str | None = None) -> QualificationRule | None:
    """The rule to apply to a customer of `kind`: the named one (ValidationError under `rule` when it does not
    exist or does not apply to the kind), else the first active rule for the kind, else None."""
    if code:
        rule = QualificationRule.objects.filter(code=code).first()
        if rule is None:
            raise ValidationError({"rule": [_("没有代码为“%(code)s”的资格规则。") % {"code": code}]})
        if rule.kind != kind:
            raise ValidationError({"rule": [_("该资格规则不适用于此类客户。")]})
        return rule
    return QualificationRule.objects.filter(kind=kind, is_active=True).order_by("code").first()


def qualification_for(user, customer_id, rule_code: str | None = None) -> tuple[object, Qualification | None]:
    """The customer (404 when out of the user's scope, as when missing) and its qualification under the
    applicable rule (None when no rule applies to its kind)."""
    customer = get_customer_or_404(user, customer_id)
    rule = rule_for(customer.kind, rule_code)
    if rule is None:
        return customer, None
    return customer, evaluate(rule, figures_of(customer))


#: seed 002: "3-5个稳固的联系人"
MIN_CONTACTS = 3


def slot_context(request, customer) -> dict | None:
    """The 360° page's qualification section (customers.slots): the evaluation under the active rule for the
    customer's kind and the stakeholder map; None (hidden) when no rule applies. The customer is in scope."""
    rule = rule_for(customer.kind)
    if rule is None:
        return None
    contacts = list(customer.contacts.all())
    return {
        "result": evaluate(rule, figures_of(customer)),
        "contacts": contacts,
        "few_contacts": len(contacts) < MIN_CONTACTS,
    }
