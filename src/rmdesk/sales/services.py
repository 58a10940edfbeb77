"""Business actions and figures of the sales app (SPEC §4): one function per action, the acting user
first, the audit event in the same transaction, field-named Chinese validation errors (422 in the API)
and nothing written when an action is refused.

- suitability (`check_suitability`) is the one rule a recommendation, an opportunity and a sale all pass:
  a product above the customer's risk tolerance (R above C) is refused; a risk product needs a valid
  risk assessment; a sale of a risk product records the disclosure and the customer's confirmation;
- opportunities move through configurable stages; entering a stage (or skipping past one) needs the
  fields those stages require; 失败 needs a lost reason; a won opportunity records the sale;
- campaigns: a segment evaluated in the launcher's scope gives the list per RM; quotas are split down
  the org tree, each level splitting its own share, the children adding up exactly to the parent;
- referrals: a referrer (大堂经理/柜员) refers by customer number without opening the archive; the RM
  accepts or declines; a won opportunity within the window credits the referrer.
"""

from collections import defaultdict
from datetime import date, timedelta
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, Exists, F, Max, OuterRef, Q, Subquery, Sum
from django.http import Http404
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from rmdesk.core import approvals, audit
from rmdesk.core.actions import business_action, check_version, in_scope, may_take
from rmdesk.core.notifications import notify_after_commit
from rmdesk.core.roles import SUPERVISORS, WORKERS, RoleCode
from rmdesk.core.scope import covers, get_or_404
from rmdesk.customers.models import Customer, Holding, Product, ProductCategory, Stage
from rmdesk.customers.scope import visible_customers
from rmdesk.org.models import OrgUnit, User

from .models import (
    Campaign,
    CampaignStatus,
    CampaignTarget,
    CrossSellRule,
    Handout,
    LeadSource,
    LostReason,
    MarketingTask,
    Material,
    MovementKind,
    Nomination,
    NominationStatus,
    Opportunity,
    OpportunityStage,
    Quota,
    Recommendation,
    Referral,
    ReferralStatus,
    Sale,
    SalesSettings,
    Segment,
    StageChange,
    StageKind,
    TargetStatus,
    TaskStatus,
    record_movement,
)
from .scope import (
    get_opportunity_or_404,
    visible_campaigns,
    visible_handouts,
    visible_nominations,
    visible_opportunities,
    visible_quotas,
    visible_referrals,
    visible_segments,
    visible_targets,
    visible_tasks,
)

NOMINATION_KIND = "sales.nomination"
#: who sells: RMs and the supervisors who also serve customers
SELL_ROLES = WORKERS
#: who launches campaigns, splits quotas and assigns tasks
LEAD_ROLES = SUPERVISORS
#: who refers customers (SPEC §1: may refer, may not open archives)
REFER_ROLES = (RoleCode.REFERRER,)

TOLERANCE_RANK = {"C1": 1, "C2": 2, "C3": 3, "C4": 4, "C5": 5}
RISK_RANK = {"R1": 1, "R2": 2, "R3": 3, "R4": 4, "R5": 5}
EDITABLE_FIELDS = {"amount": _("金额"), "expected_on": _("预计签约日"), "next_step": _("下一步")}


def _err(field, message):
    return ValidationError({field: [message]})


def _today():
    return timezone.localdate()


def _unit_path(user) -> str:
    unit = user.team or user.unit
    return unit.path if unit else ""


# --- suitability ---------------------------------------------------------------------------------------


def has_valid_assessment(customer, today: date | None = None) -> bool:
    """A risk tolerance from an assessment no older than the configured validity (default one year)."""
    if not customer.risk_tolerance or customer.risk_assessed_on is None:
        return False
    today = today or _today()
    valid_days = SalesSettings.current().assessment_valid_days
    return customer.risk_assessed_on >= today - timedelta(days=valid_days)


def suitability_problem(customer, product, today: date | None = None) -> str:
    """Why `product` may not be recommended or sold to `customer` (SPEC §4), or "" when it may."""
    if not product.is_risk_product:
        return ""
    if not has_valid_assessment(customer, today):
        return _("客户没有有效的风险测评，不能推荐或销售风险产品（%(p)s）。") % {"p": product.name}
    if RISK_RANK[product.risk_level] > TOLERANCE_RANK[customer.risk_tolerance]:
        return _("产品风险等级 %(r)s 高于客户风险承受能力 %(c)s，不得推荐或销售。") % {
            "r": product.risk_level,
            "c": customer.risk_tolerance,
        }
    return ""


def check_suitability(customer, product, *, field: str = "product_id", today: date | None = None) -> None:
    """Refuse (422 on `field`) a product above the customer's tolerance or a risk product without a
    valid assessment: the one rule of recommendations, opportunities and sales."""
    problem = suitability_problem(customer, product, today)
    if problem:
        raise _err(field, problem)


def _product(product_id, field="product_id") -> Product:
    product = Product.objects.filter(pk=product_id).first()
    if product is None or not product.is_active:
        raise _err(field, _("产品不存在或已停售。"))
    return product


def _customer(actor, customer_id, *, write=True, field="customer_id") -> Customer:
    customer = visible_customers(actor, write=write).filter(pk=customer_id).first()
    if customer is None:
        raise _err(field, _("客户不存在或不在您的管辖范围内。"))
    return customer


@business_action(roles=SELL_ROLES)
def recommend_product(actor, *, customer_id: int, product_id: int, note: str = "") -> Recommendation:
    """Record a product recommended to a customer; above the tolerance it is refused (SPEC §4)."""
    customer = _customer(actor, customer_id)
    product = _product(product_id)
    check_suitability(customer, product)
    rec = Recommendation.objects.create(
        customer=customer, product=product, by=actor, note=(note or "")[:200], org_path=customer.org_path
    )
    audit.record(actor, "sales.recommend", rec, after={"customer": customer.pk, "product": product.code})
    return rec


# --- the daily sales log ---------------------------------------------------------------------------------


def _check_sale(customer, product, amount, sold_on, risk_disclosed, customer_confirmed, *, field="product_id"):
    errors = {}
    if amount is None or amount <= 0:
        errors["amount"] = [_("销售金额必须大于零。")]
    if sold_on is None:
        errors["sold_on"] = [_("请填写销售日期。")]
    elif sold_on > _today():
        errors["sold_on"] = [_("销售日期不能晚于今天。")]
    elif not product.on_sale(sold_on):
        errors["sold_on"] = [_("该日期不在产品的销售期内。")]
    problem = suitability_problem(customer, product, sold_on if sold_on and sold_on <= _today() else None)
    if problem:
        errors[field] = [problem]
    elif product.is_risk_product:
        if not risk_disclosed:
            errors["risk_disclosed"] = [_("风险产品销售须向客户充分揭示风险。")]
        if not customer_confirmed:
            errors["customer_confirmed"] = [_("风险产品销售须由客户确认已知悉风险。")]
    if errors:
        raise ValidationError(errors)


def _write_sale(actor, customer, product, amount, sold_on, *, risk_disclosed, customer_confirmed, **extra) -> Sale:
    sale = Sale.objects.create(
        rm=actor,
        customer=customer,
        product=product,
        amount=amount,
        priced_amount=product.priced(amount),
        sold_on=sold_on,
        risk_disclosed=bool(risk_disclosed) and product.is_risk_product,
        customer_confirmed=bool(customer_confirmed) and product.is_risk_product,
        org_path=customer.org_path,
        **extra,
    )
    audit.record(
        actor,
        "sales.sale_record",
        sale,
        after={
            "customer": customer.pk,
            "product": product.code,
            "amount": amount,
            "sold_on": sold_on,
            "risk_disclosed": sale.risk_disclosed,
            "customer_confirmed": sale.customer_confirmed,
        },
    )
    return sale


@business_action(roles=SELL_ROLES)
def record_sale(
    actor,
    *,
    customer_id: int,
    product_id: int,
    amount: Decimal,
    sold_on: date,
    risk_disclosed: bool = False,
    customer_confirmed: bool = False,
    disclosure_note: str = "",
    note: str = "",
    campaign_id: int | None = None,
) -> Sale:
    """One entry of the RM's daily sales log (营销业绩登记, seed 001:211), the source of assessment:
    suitability applies, and a risk product's sale records the disclosure and the confirmation."""
    customer = _customer(actor, customer_id)
    product = _product(product_id)
    _check_sale(customer, product, amount, sold_on, risk_disclosed, customer_confirmed)
    campaign = None
    if campaign_id:
        campaign = visible_campaigns(actor).filter(pk=campaign_id).first()
        if campaign is None:
            raise _err("campaign_id", _("营销活动不存在或不在您的管辖范围内。"))
    sale = _write_sale(
        actor,
        customer,
        product,
        amount,
        sold_on,
        risk_disclosed=risk_disclosed,
        customer_confirmed=customer_confirmed,
        disclosure_note=(disclosure_note or "")[:200],
        note=(note or "")[:200],
        campaign=campaign,
    )
    if campaign is not None:
        _mark_signed(campaign, customer, amount)
    return sale


# --- opportunities ---------------------------------------------------------------------------------------


def stages():
    return list(OpportunityStage.objects.filter(is_active=True).order_by("order"))


def _missing_required(opp_values: dict, stage) -> dict:
    errors = {}
    for name in stage.required_fields or []:
        if opp_values.get(name) in (None, ""):
            label = EDITABLE_FIELDS.get(name, name)
            errors[name] = [_("进入“%(s)s”阶段须填写%(f)s。") % {"s": stage.name, "f": label}]
    return errors


@business_action(roles=SELL_ROLES)
def create_opportunity(
    actor,
    *,
    customer_id: int,
    product_id: int,
    amount: Decimal | None = None,
    expected_on: date | None = None,
    next_step: str = "",
    stage_id: int | None = None,
    source: str = LeadSource.SELF,
    campaign_id: int | None = None,
    referral_id: int | None = None,
) -> Opportunity:
    """Open an opportunity (商机) on a customer in the actor's writable scope (SPEC §4): the product must
    suit the customer; the first stage unless another open stage is named, whose required fields (and
    those of every stage it skips) must be filled."""
    customer = _customer(actor, customer_id)
    product = _product(product_id)
    check_suitability(customer, product)
    all_stages = stages()
    open_stages = [s for s in all_stages if s.kind == StageKind.OPEN]
    if not open_stages:
        raise _err("stage_id", _("未配置商机阶段。"))
    stage = open_stages[0]
    if stage_id:
        stage = next((s for s in open_stages if s.pk == stage_id), None)
        if stage is None:
            raise _err("stage_id", _("新商机只能处于进行中的阶段。"))
    if amount is not None and amount <= 0:
        raise _err("amount", _("金额必须大于零。"))
    values = {"amount": amount, "expected_on": expected_on, "next_step": next_step}
    errors = {}
    for s in open_stages:
        if s.order <= stage.order:
            errors = {**_missing_required(values, s), **errors}  # the first stage that needs it names it
    if errors:
        raise ValidationError(errors)
    campaign = None
    if campaign_id:
        campaign = visible_campaigns(actor).filter(pk=campaign_id).first()
        if campaign is None:
            raise _err("campaign_id", _("营销活动不存在或不在您的管辖范围内。"))
        source = LeadSource.CAMPAIGN
    if source not in LeadSource.values:
        raise _err("source", _("来源无效。"))
    opp = Opportunity.objects.create(
        customer=customer,
        product=product,
        amount=amount,
        expected_on=expected_on,
        next_step=(next_step or "")[:200],
        stage=stage,
        probability=stage.probability,
        owner=actor,
        source=source,
        campaign=campaign,
        org_path=customer.org_path,
    )
    StageChange.objects.create(opportunity=opp, from_stage=None, to_stage=stage, by=actor)
    if referral_id:
        referral = Referral.objects.select_for_update().filter(pk=referral_id, rm=actor).first()
        if referral is None or referral.customer_id != customer.pk or referral.opportunity_id:
            raise _err("referral_id", _("推介不存在、不是本客户的或已关联商机。"))
        referral.opportunity = opp
        referral.version += 1
        referral.save(update_fields=["opportunity", "version"])
        opp.source = LeadSource.REFERRAL
        opp.save(update_fields=["source"])
    audit.record(
        actor,
        "sales.opportunity_create",
        opp,
        after={"customer": customer.pk, "product": product.code, "amount": amount, "stage": stage.code},
    )
    return opp


@business_action(roles=SELL_ROLES, subject=in_scope(visible_opportunities))
def move_opportunity(
    actor,
    opportunity_id: int,
    *,
    stage_id: int,
    version: int,
    amount: Decimal | None = None,
    expected_on: date | None = None,
    next_step: str | None = None,
    probability: int | None = None,
    lost_reason_id: int | None = None,
    lost_note: str = "",
    sold_on: date | None = None,
    risk_disclosed: bool = False,
    customer_confirmed: bool = False,
    note: str = "",
) -> Opportunity:
    """Move an opportunity to another stage (SPEC §4): only an open one; entering a stage (or skipping past
    one) needs the fields those stages require; 失败 needs a lost reason from the list; 签约 records the
    sale (suitability, disclosure and confirmation for a risk product) and credits a referral won within
    its window. Every move is kept in the stage history."""
    get_opportunity_or_404(actor, opportunity_id)
    opp = (
        Opportunity.objects.select_for_update(of=("self",))
        .select_related("stage", "customer", "product")
        .filter(pk=opportunity_id)
        .first()
    )
    if not visible_opportunities(actor, write=True).filter(pk=opportunity_id).exists():
        raise PermissionDenied(_("您对该商机只有查看权限。"))
    check_version(opp, version)
    if not opp.is_open:
        raise _err("stage_id", _("商机已结束（%(s)s），不能再变更阶段。") % {"s": opp.stage.name})
    target = OpportunityStage.objects.filter(pk=stage_id, is_active=True).first()
    if target is None:
        raise _err("stage_id", _("阶段不存在。"))
    if target.pk == opp.stage_id:
        raise _err("stage_id", _("商机已处于该阶段。"))
    before = {"stage": opp.stage.code, "amount": opp.amount}
    if amount is not None:
        if amount <= 0:
            raise _err("amount", _("金额必须大于零。"))
        opp.amount = amount
    if expected_on is not None:
        opp.expected_on = expected_on
    if next_step is not None:
        opp.next_step = next_step[:200]
    if target.kind == StageKind.WON and opp.expected_on is None:
        opp.expected_on = sold_on or _today()  # signing now: the signing day is the expected day
    values = {"amount": opp.amount, "expected_on": opp.expected_on, "next_step": opp.next_step}
    errors = {}
    if target.kind == StageKind.LOST:
        reason = LostReason.objects.filter(pk=lost_reason_id, is_active=True).first() if lost_reason_id else None
        if reason is None:
            raise _err("lost_reason_id", _("请选择失败原因。"))
        opp.lost_reason = reason
        opp.lost_note = (lost_note or "")[:200]
        opp.probability = 0
        opp.closed_on = _today()
    else:
        for s in stages():
            if s.kind != StageKind.LOST and opp.stage.order < s.order <= target.order:
                errors = {**_missing_required(values, s), **errors}  # the first stage that needs it names it
        if errors:
            raise ValidationError(errors)
        opp.probability = target.probability if probability is None else probability
        if not 0 <= opp.probability <= 100:
            raise _err("probability", _("概率须在 0 至 100 之间。"))
    from_stage = opp.stage
    opp.stage = target
    opp.version += 1
    if target.kind == StageKind.WON:
        if opp.amount is None:
            raise _err("amount", _("签约须填写金额。"))
        sold_on = sold_on or _today()
        _check_sale(opp.customer, opp.product, opp.amount, sold_on, risk_disclosed, customer_confirmed)
        opp.closed_on = sold_on
        opp.probability = 100
        opp.save()
        _write_sale(
            actor,
            opp.customer,
            opp.product,
            opp.amount,
            sold_on,
            risk_disclosed=risk_disclosed,
            customer_confirmed=customer_confirmed,
            opportunity=opp,
            campaign=opp.campaign,
        )
        if opp.campaign_id:
            _mark_signed(opp.campaign, opp.customer, opp.amount)
        _credit_referral(opp, sold_on)
    else:
        opp.save()
    StageChange.objects.create(opportunity=opp, from_stage=from_stage, to_stage=target, by=actor, note=note[:200])
    audit.record(
        actor,
        "sales.opportunity_move",
        opp,
        before=before,
        after={"stage": target.code, "amount": opp.amount, "lost_reason": opp.lost_reason_id},
    )
    return opp


# --- funnel ----------------------------------------------------------------------------------------------


FUNNEL_GROUPS = {
    "rm": ("owner_id", "owner__full_name"),
    "team": ("owner__team_id", "owner__team__name"),
    "unit": ("owner__unit_id", "owner__unit__name"),
}


def _with_reached(queryset):
    """The opportunities annotated with `reached`: the order of the furthest non-lost stage in their
    history (the one definition the funnel and its drill-down share)."""
    furthest = (
        StageChange.objects.filter(opportunity=OuterRef("pk"))
        .exclude(to_stage__kind=StageKind.LOST)
        .values("opportunity")
        .annotate(m=Max("to_stage__order"))
        .values("m")
    )
    return queryset.order_by().annotate(reached=Subquery(furthest))


def funnel_members(queryset, stage, *, group: str | None = None, key: int | None = None):
    """The drill-down of one funnel figure (SPEC §4): the opportunities of `queryset` (the viewer's
    scope) counted at `stage`, i.e. whose furthest non-lost stage is at or past it, optionally of one
    RM, team or unit (`group`, `key`; key None is the "no team/unit" row). Its count equals the
    funnel's figure for that stage and group."""
    qs = _with_reached(queryset).filter(reached__gte=stage.order)
    if group in FUNNEL_GROUPS:
        field = FUNNEL_GROUPS[group][0]
        qs = qs.filter(**{field: key}) if key is not None else qs.filter(**{f"{field}__isnull": True})
    return qs


def funnel(queryset, *, group: str | None = None) -> list[dict]:
    """The funnel by stage with conversion rates (SPEC §4) over the given opportunities.

    An opportunity counts at every non-lost stage up to the furthest it reached (its stage history), so
    a lost one still counts where it got to. `conversion` of a stage is the share of the previous stage's
    count that reached it; `win_rate` is won over all. `group` ("rm", "team", "unit") answers one funnel
    per owner, owner's team or owner's unit."""
    pipeline = [s for s in stages() if s.kind != StageKind.LOST]
    reached = _with_reached(queryset)
    key_fields = FUNNEL_GROUPS.get(group, ())
    rows = reached.values(*key_fields, "reached").annotate(n=Count("id", distinct=True))
    by_group: dict = defaultdict(lambda: defaultdict(int))
    names: dict = {}
    for row in rows:
        gkey = row[key_fields[0]] if key_fields else None
        names[gkey] = row[key_fields[1]] if key_fields else ""
        by_group[gkey][row["reached"] or 0] += row["n"]
    out = []
    for gkey, counts in by_group.items():
        total = sum(counts.values())
        levels, previous = [], None
        for s in pipeline:
            n = sum(c for order, c in counts.items() if order >= s.order)
            rate = None if previous is None else (Decimal(n) / previous * 100 if previous else Decimal(0))
            levels.append(
                {
                    "stage": s,
                    "count": n,
                    "conversion": rate.quantize(Decimal("0.1")) if rate is not None else None,
                }
            )
            previous = n
        won = levels[-1]["count"] if levels else 0
        out.append(
            {
                "key": gkey,
                "name": names[gkey],
                "total": total,
                "won": won,
                "win_rate": (Decimal(won) / total * 100).quantize(Decimal("0.1")) if total else Decimal(0),
                "levels": levels,
            }
        )
    out.sort(key=lambda g: (str(g["name"] or ""), g["key"] or 0))
    if not out and group is None:
        out.append(
            {
                "key": None,
                "name": "",
                "total": 0,
                "won": 0,
                "win_rate": Decimal(0),
                "levels": [{"stage": s, "count": 0, "conversion": None} for s in pipeline],
            }
        )
    return out


# --- segments --------------------------------------------------------------------------------------------

CRITERIA_KEYS = {
    "tiers",
    "stages",
    "aum_min",
    "aum_max",
    "holds_product",
    "lacks_product",
    "holds_category",
    "lacks_category",
    "tags",
    "no_contact_days",
    "district",
    "kind",
}


def clean_criteria(criteria: dict) -> dict:
    """Validate a segment's filter (422 on `criteria.<key>`); answers the normalised dict."""
    criteria = dict(criteria or {})
    errors = {}
    out = {}
    for key, value in criteria.items():
        if key not in CRITERIA_KEYS:
            errors[f"criteria.{key}"] = [_("不支持的筛选条件。")]
            continue
        if value in (None, "", []):
            continue
        if key in ("aum_min", "aum_max"):
            try:
                number = Decimal(str(value))
            except Exception:  # noqa: BLE001 - any unparsable number
                errors[f"criteria.{key}"] = [_("请输入有效的金额。")]
                continue
            if number < 0 or number > Decimal("1e15"):
                errors[f"criteria.{key}"] = [_("金额超出范围。")]
                continue
            out[key] = str(number)
        elif key == "no_contact_days":
            try:
                days = int(value)
            except (TypeError, ValueError):
                errors[f"criteria.{key}"] = [_("请输入有效的天数。")]
                continue
            if not 0 < days <= 3650:
                errors[f"criteria.{key}"] = [_("天数须在 1 至 3650 之间。")]
                continue
            out[key] = days
        elif key in ("tiers", "stages", "tags"):
            values = value if isinstance(value, list) else [v.strip() for v in str(value).split(",")]
            out[key] = [str(v)[:60] for v in values if str(v).strip()][:50]
        elif key in ("holds_category", "lacks_category"):
            if value not in ProductCategory.values:
                errors[f"criteria.{key}"] = [_("产品类别无效。")]
                continue
            out[key] = value
        elif key == "stages":
            out[key] = value
        else:
            out[key] = str(value)[:60]
    if "stages" in out and not set(out["stages"]) <= set(Stage.values):
        errors["criteria.stages"] = [_("生命周期阶段无效。")]
    if "aum_min" in out and "aum_max" in out and Decimal(out["aum_min"]) > Decimal(out["aum_max"]):
        errors["criteria.aum_max"] = [_("金融资产上限不能低于下限。")]
    if errors:
        raise ValidationError(errors)
    return out


def segment_customers(user, criteria: dict):
    """The customers a segment's filter selects, inside `user`'s scope (SPEC §4: the live count)."""
    qs = visible_customers(user).filter(merged_into__isnull=True)
    c = criteria or {}
    if c.get("kind"):
        qs = qs.filter(kind=c["kind"])
    if c.get("tiers"):
        qs = qs.filter(tier__code__in=c["tiers"])
    if c.get("stages"):
        qs = qs.filter(stage__in=c["stages"])
    if c.get("aum_min"):
        qs = qs.filter(aum__gte=Decimal(c["aum_min"]))
    if c.get("aum_max"):
        qs = qs.filter(aum__lte=Decimal(c["aum_max"]))
    open_holdings = Holding.objects.filter(customer=OuterRef("pk"), closed_on__isnull=True)
    if c.get("holds_product"):
        qs = qs.filter(Exists(open_holdings.filter(product__code=c["holds_product"])))
    if c.get("lacks_product"):
        qs = qs.exclude(Exists(open_holdings.filter(product__code=c["lacks_product"])))
    if c.get("holds_category"):
        qs = qs.filter(Exists(open_holdings.filter(product__category=c["holds_category"])))
    if c.get("lacks_category"):
        qs = qs.exclude(Exists(open_holdings.filter(product__category=c["lacks_category"])))
    if c.get("tags"):
        qs = qs.filter(tags__name__in=c["tags"]).distinct()
    if c.get("no_contact_days"):
        since = _today() - timedelta(days=int(c["no_contact_days"]))
        qs = qs.filter(Q(contact_status__last_contact_on__lt=since) | Q(contact_status__last_contact_on__isnull=True))
    if c.get("district"):
        qs = qs.filter(address__icontains=c["district"])
    return qs


@business_action(roles=LEAD_ROLES)
def save_segment(actor, *, name: str, criteria: dict) -> Segment:
    """Save a customer filter (目标客群) for campaigns; it is evaluated in each viewer's scope."""
    name = (name or "").strip()
    if not name:
        raise _err("name", _("请填写客群名称。"))
    if len(name) > 60:
        raise _err("name", _("客群名称不能超过 60 个字。"))
    criteria = clean_criteria(criteria)
    segment = Segment.objects.create(name=name, criteria=criteria, owner=actor, org_path=_unit_path(actor))
    audit.record(actor, "sales.segment_save", segment, after={"name": name, "criteria": criteria})
    return segment


# --- campaigns and quotas ----------------------------------------------------------------------------------


def _lead_unit(actor):
    """The unit whose campaign the actor launches: a team lead's team, a manager's unit."""
    if actor.has_role(RoleCode.BRANCH_MANAGER) and actor.unit:
        return actor.unit
    return actor.team or actor.unit


@business_action(roles=LEAD_ROLES)
def launch_campaign(
    actor,
    *,
    name: str,
    segment_id: int,
    starts_on: date,
    ends_on: date,
    product_ids: list[int],
    script: str = "",
    target_count: int = 0,
    target_amount: Decimal = Decimal("0"),
) -> Campaign:
    """A supervisor launches a campaign for their unit (SPEC §4): the segment is evaluated in their scope
    and each customer goes on the list of their A-post RM (名单制营销); the unit holds the whole target
    as its quota, to split down the tree."""
    errors = {}
    name = (name or "").strip()
    if not name:
        errors["name"] = [_("请填写活动名称。")]
    elif len(name) > 100:
        errors["name"] = [_("活动名称不能超过 100 个字。")]
    segment = visible_segments(actor).filter(pk=segment_id).first()
    if segment is None:
        errors["segment_id"] = [_("目标客群不存在或不在您的管辖范围内。")]
    if starts_on and ends_on and ends_on < starts_on:
        errors["ends_on"] = [_("结束日期不能早于开始日期。")]
    products = list(Product.objects.filter(pk__in=set(product_ids or []), is_active=True))
    if not products or len(products) != len(set(product_ids or [])):
        errors["product_ids"] = [_("请选择在售的营销产品。")]
    if target_count is None or target_count < 0:
        errors["target_count"] = [_("目标户数不能为负数。")]
    if target_amount is None or target_amount < 0:
        errors["target_amount"] = [_("目标金额不能为负数。")]
    unit = _lead_unit(actor)
    if unit is None:
        errors["__all__"] = [_("您没有所属机构，不能发起营销活动。")]
    if errors:
        raise ValidationError(errors)
    campaign = Campaign.objects.create(
        name=name,
        segment=segment,
        starts_on=starts_on,
        ends_on=ends_on,
        script=script or "",
        target_count=target_count,
        target_amount=target_amount,
        status=CampaignStatus.ACTIVE,
        unit=unit,
        created_by=actor,
        org_path=unit.path,
    )
    campaign.products.set(products)
    Quota.objects.create(
        campaign=campaign, unit=unit, target_count=target_count, target_amount=target_amount, org_path=unit.path
    )
    members = segment_customers(actor, segment.criteria).filter(a_rm__isnull=False)
    CampaignTarget.objects.bulk_create(
        [
            CampaignTarget(campaign=campaign, customer_id=cid, rm_id=rm_id, org_path=path)
            for cid, rm_id, path in members.values_list("pk", "a_rm_id", "org_path")[:20000]
        ],
        batch_size=1000,
    )
    n = campaign.targets.count()
    audit.record(
        actor,
        "sales.campaign_launch",
        campaign,
        after={"name": name, "segment": segment.pk, "targets": n, "count": target_count, "amount": target_amount},
    )
    url = reverse("sales:campaign_detail", args=[campaign.pk])
    for rm_id in set(campaign.targets.values_list("rm_id", flat=True)):
        rm = User.objects.filter(pk=rm_id).first()
        if rm is not None:
            notify_after_commit(rm, "sales.campaign", _("新营销活动：%(n)s") % {"n": name}, url=url, obj=campaign)
    return campaign


def _locked_campaign(actor, campaign_id) -> Campaign:
    """The campaign locked for a change by a supervisor of the launching unit's subtree: out of read
    scope is 404 (the decorator's subject), readable but not theirs is 403."""
    get_or_404(visible_campaigns(actor), campaign_id)
    campaign = Campaign.objects.select_for_update(of=("self",)).filter(pk=campaign_id).first()
    if campaign is None:
        raise Http404
    if not visible_campaigns(actor, write=True).filter(pk=campaign_id).exists():
        raise PermissionDenied(_("只能修改本机构发起的营销活动。"))
    return campaign


def _open_campaign(campaign) -> None:
    if campaign.status != CampaignStatus.ACTIVE:
        raise _err("status", _("活动已结束或已取消，不能再修改。"))


@business_action(roles=LEAD_ROLES, subject=in_scope(visible_campaigns))
def edit_campaign(
    actor,
    campaign_id: int,
    *,
    version: int,
    name: str,
    ends_on: date,
    product_ids: list[int],
    script: str = "",
    target_count: int = 0,
    target_amount: Decimal = Decimal("0"),
) -> Campaign:
    """Edit a running campaign (SPEC §4): name, end date, products, script and target. The segment, the
    start and the list stay (the list was generated at launch); the target changes the launching unit's
    quota, so it may change only while that quota has not been split (otherwise the shares below would
    no longer add up); the end date cannot fall before the start or before today. Stale version: 409."""
    campaign = _locked_campaign(actor, campaign_id)
    check_version(campaign, version)
    _open_campaign(campaign)
    errors = {}
    name = (name or "").strip()
    if not name:
        errors["name"] = [_("请填写活动名称。")]
    elif len(name) > 100:
        errors["name"] = [_("活动名称不能超过 100 个字。")]
    if ends_on is None:
        errors["ends_on"] = [_("请填写结束日期。")]
    elif ends_on < campaign.starts_on:
        errors["ends_on"] = [_("结束日期不能早于开始日期。")]
    elif ends_on < _today() and ends_on != campaign.ends_on:
        errors["ends_on"] = [_("结束日期不能早于今天。")]
    wanted = set(product_ids or [])
    products = list(Product.objects.filter(pk__in=wanted))
    current = set(campaign.products.values_list("pk", flat=True))
    if not products or len(products) != len(wanted) or any(not p.is_active and p.pk not in current for p in products):
        errors["product_ids"] = [_("请选择在售的营销产品。")]
    if target_count is None or target_count < 0:
        errors["target_count"] = [_("目标户数不能为负数。")]
    if target_amount is None or target_amount < 0:
        errors["target_amount"] = [_("目标金额不能为负数。")]
    root = Quota.objects.select_for_update(of=("self",)).filter(campaign=campaign, parent__isnull=True).first()
    target_changed = (target_count, target_amount) != (campaign.target_count, campaign.target_amount)
    if not errors and target_changed and root is not None and root.children.exists():
        errors["target_count"] = [_("任务已向下分解，不能修改活动目标；请先取消后重新发起，或保持目标不变。")]
    if errors:
        raise ValidationError(errors)
    fields = ("name", "ends_on", "script", "target_count", "target_amount")
    before = {f: getattr(campaign, f) for f in fields} | {"products": sorted(current)}
    campaign.name, campaign.ends_on, campaign.script = name, ends_on, script or ""
    campaign.target_count, campaign.target_amount = target_count, target_amount
    campaign.version += 1
    campaign.save()
    campaign.products.set(products)
    if root is not None and target_changed:
        root.target_count, root.target_amount = target_count, target_amount
        root.version += 1
        root.save(update_fields=["target_count", "target_amount", "version"])
    after = {f: getattr(campaign, f) for f in fields} | {"products": sorted(p.pk for p in products)}
    audit.record(actor, "sales.campaign_edit", campaign, before=before, after=after)
    return campaign


@business_action(roles=LEAD_ROLES, subject=in_scope(visible_campaigns))
def cancel_campaign(actor, campaign_id: int, *, version: int, reason: str) -> Campaign:
    """Cancel a running campaign with a reason (SPEC §4). What happens to the rest: the quotas stay as
    they were (the record of what was asked), the list entries keep the results recorded so far and the
    untouched ones leave the RMs' lists (the home panel shows running campaigns only, results can no
    longer be recorded), the open marketing tasks of the campaign are cancelled, opportunities and sales
    already made keep their campaign; everyone with a list entry or a task is told. Stale version: 409."""
    campaign = _locked_campaign(actor, campaign_id)
    check_version(campaign, version)
    _open_campaign(campaign)
    reason = (reason or "").strip()
    if not reason:
        raise _err("reason", _("请填写取消原因。"))
    if len(reason) > 200:
        raise _err("reason", _("取消原因不能超过 200 个字。"))
    campaign.status = CampaignStatus.CANCELLED
    campaign.cancel_reason = reason
    campaign.cancelled_at = timezone.now()
    campaign.version += 1
    campaign.save()
    tasks = MarketingTask.objects.filter(campaign=campaign, status=TaskStatus.OPEN)
    assignee_ids = set(tasks.values_list("assignee_id", flat=True))
    cancelled_tasks = tasks.update(status=TaskStatus.CANCELLED, version=F("version") + 1)
    pending = campaign.targets.filter(status=TargetStatus.PENDING).count()
    audit.record(
        actor,
        "sales.campaign_cancel",
        campaign,
        before={"status": CampaignStatus.ACTIVE},
        after={"status": CampaignStatus.CANCELLED, "reason": reason, "tasks": cancelled_tasks, "pending": pending},
    )
    url = reverse("sales:campaign_detail", args=[campaign.pk])
    told = assignee_ids | set(campaign.targets.exclude(rm=None).values_list("rm_id", flat=True).distinct())
    for user in User.objects.filter(pk__in=told - {actor.pk}):
        notify_after_commit(
            user, "sales.campaign", _("营销活动已取消：%(n)s") % {"n": campaign.name}, url=url, obj=campaign
        )
    return campaign


def split_candidates(quota):
    """Who may receive a share of a unit's quota: its child units, or, in a unit without children (a team),
    or an outlet with RMs directly in it, its RMs."""
    children = list(OrgUnit.objects.filter(path__startswith=quota.unit.path, depth=quota.unit.depth + 1))
    rms = list(
        User.objects.filter(is_active=True, roles__code=RoleCode.RM)
        .filter(Q(team=quota.unit) | Q(unit=quota.unit, team__isnull=True))
        .distinct()
        .order_by("username")
    )
    return children, rms


@business_action(roles=LEAD_ROLES, subject=in_scope(visible_quotas))
def split_quota(actor, quota_id: int, *, shares: list[dict], version: int) -> list[Quota]:
    """Split a unit's quota among its child units or its RMs (SPEC §4): whoever manages the unit splits
    its own share; no share below zero; the shares' counts and amounts must add up exactly to the
    quota's. Splitting again replaces the shares, unless one of them has been split further below."""
    quota = Quota.objects.select_for_update(of=("self",)).select_related("unit", "campaign").filter(pk=quota_id).first()
    if quota is None or not visible_quotas(actor, write=True).filter(pk=quota_id).exists():
        get_or_none = visible_quotas(actor).filter(pk=quota_id).exists()
        if not get_or_none:
            raise Http404
        raise PermissionDenied(_("只能分解本机构的任务。"))
    if quota.unit_id is None:
        raise _err("shares", _("客户经理的任务不能再分解。"))
    check_version(quota, version)
    if quota.campaign.status != CampaignStatus.ACTIVE:
        raise _err("shares", _("活动已结束，不能分解任务。"))
    children, rms = split_candidates(quota)
    unit_ids = {u.pk: u for u in children}
    rm_ids = {u.pk: u for u in rms}
    errors = {}
    rows, seen = [], set()
    total_count, total_amount = 0, Decimal("0")
    for i, share in enumerate(shares or []):
        uid, rid = share.get("unit_id"), share.get("rm_id")
        count = share.get("target_count") or 0
        amount = share.get("target_amount") or Decimal("0")
        if (uid is None) == (rid is None):
            errors[f"shares.{i}.unit_id"] = [_("每份须指定下级机构或客户经理之一。")]
            continue
        if uid is not None and uid not in unit_ids:
            errors[f"shares.{i}.unit_id"] = [_("只能分解给本机构的直属下级机构。")]
            continue
        if rid is not None and rid not in rm_ids:
            errors[f"shares.{i}.rm_id"] = [_("只能分解给本机构的客户经理。")]
            continue
        if (uid, rid) in seen:
            errors[f"shares.{i}.unit_id"] = [_("同一对象不能重复分配。")]
            continue
        seen.add((uid, rid))
        if count < 0:
            errors[f"shares.{i}.target_count"] = [_("分解户数不能为负数。")]
        if amount < 0:
            errors[f"shares.{i}.target_amount"] = [_("分解金额不能为负数。")]
        total_count += count
        total_amount += amount
        rows.append((uid, rid, count, amount))
    if not errors:
        if not rows:
            errors["shares"] = [_("请至少分解给一个下级。")]
        else:
            if total_count != quota.target_count:
                errors["shares"] = [
                    _("分解户数合计 %(s)s 与本级任务 %(t)s 不一致。") % {"s": total_count, "t": quota.target_count}
                ]
            if total_amount != quota.target_amount:
                errors.setdefault("shares", []).append(
                    _("分解金额合计 %(s)s 与本级任务 %(t)s 不一致。") % {"s": total_amount, "t": quota.target_amount}
                )
    if errors:
        raise ValidationError(errors)
    existing = list(quota.children.all())
    if any(child.children.exists() for child in existing):
        raise _err("shares", _("下级已继续分解，不能重新分解本级任务。"))
    before = [(q.unit_id, q.rm_id, q.target_count, str(q.target_amount)) for q in existing]
    quota.children.all().delete()
    made = []
    for uid, rid, count, amount in rows:
        if uid is not None:
            path = unit_ids[uid].path
        else:
            path = _unit_path(rm_ids[rid]) or quota.unit.path
        made.append(
            Quota.objects.create(
                campaign=quota.campaign,
                parent=quota,
                unit_id=uid,
                rm_id=rid,
                target_count=count,
                target_amount=amount,
                org_path=path,
            )
        )
    quota.version += 1
    quota.save(update_fields=["version"])
    audit.record(
        actor,
        "sales.quota_split",
        quota,
        before=before,
        after=[(uid, rid, count, str(amount)) for uid, rid, count, amount in rows],
    )
    return made


def _mark_signed(campaign, customer, amount):
    target = CampaignTarget.objects.filter(campaign=campaign, customer=customer).first()
    if target is not None and target.status != TargetStatus.SIGNED:
        target.status = TargetStatus.SIGNED
        target.amount = amount or Decimal("0")
        target.updated_at = timezone.now()
        target.version += 1
        target.save(update_fields=["status", "amount", "updated_at", "version"])


@business_action(roles=SELL_ROLES, subject=in_scope(visible_targets))
def record_result(
    actor,
    target_id: int,
    *,
    status: str,
    version: int,
    refusal_reason: str = "",
    note: str = "",
    amount: Decimal | None = None,
) -> CampaignTarget:
    """Record the result of working one customer of a campaign's list (contacted, interested, signed,
    refused with a reason), which feeds the progress by unit and RM (SPEC §4)."""
    get_or_404(visible_targets(actor), target_id)
    target = CampaignTarget.objects.select_for_update().filter(pk=target_id).first()
    if not visible_targets(actor, write=True).filter(pk=target_id).exists():
        raise PermissionDenied(_("您对该名单只有查看权限。"))
    check_version(target, version)
    if target.campaign.status == CampaignStatus.CANCELLED:
        raise _err("status", _("活动已取消，不能再登记结果。"))
    if status not in TargetStatus.values or status == TargetStatus.PENDING:
        raise _err("status", _("请选择营销结果。"))
    if status == TargetStatus.REFUSED and not (refusal_reason or "").strip():
        raise _err("refusal_reason", _("客户拒绝时须填写拒绝原因。"))
    if amount is not None and amount < 0:
        raise _err("amount", _("金额不能为负数。"))
    before = {"status": target.status}
    target.status = status
    target.refusal_reason = (refusal_reason or "").strip()[:200] if status == TargetStatus.REFUSED else ""
    target.note = (note or "")[:200]
    if amount is not None:
        target.amount = amount
    target.updated_at = timezone.now()
    target.version += 1
    target.save()
    audit.record(actor, "sales.target_result", target, before=before, after={"status": status})
    return target


def campaign_progress(viewer, campaign) -> dict:
    """Progress of a campaign by RM and by quota holder (unit or RM), inside the viewer's scope:
    list entries by result, signed count and amount against each quota."""
    targets = visible_targets(viewer).filter(campaign=campaign)
    by_rm = list(
        targets.values("rm_id", "rm__full_name", "rm__username")
        .annotate(
            total=Count("id"),
            contacted=Count("id", filter=~Q(status=TargetStatus.PENDING)),
            interested=Count("id", filter=Q(status=TargetStatus.INTERESTED)),
            signed=Count("id", filter=Q(status=TargetStatus.SIGNED)),
            refused=Count("id", filter=Q(status=TargetStatus.REFUSED)),
            amount=Sum("amount", filter=Q(status=TargetStatus.SIGNED)),
        )
        .order_by("rm__username")
    )
    signed = list(
        CampaignTarget.objects.filter(campaign=campaign, status=TargetStatus.SIGNED).values_list(
            "rm_id", "org_path", "amount"
        )
    )
    quotas, depth = [], {}
    for q in visible_quotas(viewer).filter(campaign=campaign).select_related("unit", "rm").order_by("org_path", "id"):
        if q.rm_id:
            mine = [a for rid, _p, a in signed if rid == q.rm_id]
        else:
            mine = [a for _r, p, a in signed if p.startswith(q.unit.path)]
        done_count, done_amount = len(mine), sum(mine, Decimal("0"))
        rate = Decimal(done_count) / q.target_count * 100 if q.target_count else None
        quotas.append(
            {
                "quota": q,
                "depth": depth.setdefault(q.pk, depth.get(q.parent_id, -1) + 1),
                "done_count": done_count,
                "done_amount": done_amount,
                "rate": rate.quantize(Decimal("0.1")) if rate is not None else None,
            }
        )
    return {"by_rm": by_rm, "quotas": quotas}


# --- marketing tasks ---------------------------------------------------------------------------------------


@business_action(roles=LEAD_ROLES)
def assign_task(
    actor,
    *,
    assignee_id: int,
    title: str,
    due_on: date,
    target_count: int = 0,
    target_amount: Decimal = Decimal("0"),
    campaign_id: int | None = None,
) -> MarketingTask:
    """A supervisor assigns a marketing task (营销任务) with a target and a deadline to an RM they manage."""
    errors = {}
    assignee = User.objects.filter(pk=assignee_id, is_active=True).select_related("team", "unit").first()
    if assignee is None or not assignee.has_role(RoleCode.RM) or not covers(actor, _unit_path(assignee), write=True):
        errors["assignee_id"] = [_("只能向您管理的客户经理下达任务。")]
    title = (title or "").strip()
    if not title:
        errors["title"] = [_("请填写任务名称。")]
    elif len(title) > 100:
        errors["title"] = [_("任务名称不能超过 100 个字。")]
    if due_on is None:
        errors["due_on"] = [_("请填写截止日期。")]
    elif due_on < _today():
        errors["due_on"] = [_("截止日期不能早于今天。")]
    if target_count is None or target_count < 0:
        errors["target_count"] = [_("目标户数不能为负数。")]
    if target_amount is None or target_amount < 0:
        errors["target_amount"] = [_("目标金额不能为负数。")]
    if not errors and not target_count and not target_amount:
        errors["target_count"] = [_("请填写目标户数或目标金额。")]
    campaign = None
    if campaign_id:
        campaign = visible_campaigns(actor).filter(pk=campaign_id).first()
        if campaign is None:
            errors["campaign_id"] = [_("营销活动不存在或不在您的管辖范围内。")]
        elif campaign.status == CampaignStatus.CANCELLED:
            errors["campaign_id"] = [_("营销活动已取消，不能再下达任务。")]
    if errors:
        raise ValidationError(errors)
    task = MarketingTask.objects.create(
        title=title,
        assignee=assignee,
        assigned_by=actor,
        campaign=campaign,
        target_count=target_count,
        target_amount=target_amount,
        due_on=due_on,
        org_path=_unit_path(assignee),
    )
    audit.record(
        actor,
        "sales.task_assign",
        task,
        after={"assignee": assignee.pk, "title": title, "due_on": due_on, "count": target_count},
    )
    notify_after_commit(
        assignee, "sales.task", _("新营销任务：%(t)s") % {"t": title}, url=reverse("sales:task_list"), obj=task
    )
    return task


@business_action(roles=SELL_ROLES, subject=in_scope(visible_tasks))
def report_task_progress(actor, task_id: int, *, done_count: int, done_amount: Decimal, version: int) -> MarketingTask:
    """The assignee reports a task's progress; reaching both targets completes it."""
    get_or_404(visible_tasks(actor), task_id)
    task = MarketingTask.objects.select_for_update().filter(pk=task_id).first()
    if task.assignee_id != actor.pk:
        raise PermissionDenied(_("只有任务执行人可以填报进度。"))
    check_version(task, version)
    if task.status != TaskStatus.OPEN:
        raise _err("status", _("任务已结束。"))
    if done_count is None or done_count < 0:
        raise _err("done_count", _("完成户数不能为负数。"))
    if done_amount is None or done_amount < 0:
        raise _err("done_amount", _("完成金额不能为负数。"))
    task.done_count, task.done_amount = done_count, done_amount
    if done_count >= task.target_count and done_amount >= task.target_amount:
        task.status = TaskStatus.DONE
    task.version += 1
    task.save()
    audit.record(actor, "sales.task_progress", task, after={"count": done_count, "amount": done_amount})
    return task


# --- referrals ---------------------------------------------------------------------------------------------


@business_action(roles=REFER_ROLES)
def refer_customer(actor, *, customer_no: str, need: str, category: str = "", rm_id: int | None = None) -> Referral:
    """A lobby manager or teller refers a customer to an RM with the need (推介, seed 001:189), by the
    customer number shown at the counter: the archive is never opened (the referrer learns only the
    name of the receiving RM). Without an A-post RM the referrer names an RM of their outlet."""
    errors = {}
    customer = Customer.objects.filter(customer_no=(customer_no or "").strip(), merged_into__isnull=True).first()
    if customer is None:
        errors["customer_no"] = [_("未找到该客户号。")]
    need = (need or "").strip()
    if not need:
        errors["need"] = [_("请填写客户需求。")]
    elif len(need) > 200:
        errors["need"] = [_("客户需求不能超过 200 个字。")]
    if category and category not in ProductCategory.values:
        errors["category"] = [_("需求类别无效。")]
    rm = None
    if rm_id:
        rm = User.objects.filter(pk=rm_id, is_active=True, roles__code=RoleCode.RM).first()
        if rm is None:
            errors["rm_id"] = [_("请选择有效的客户经理。")]
    elif customer is not None:
        rm = customer.a_rm
        if rm is None:
            errors["rm_id"] = [_("该客户暂无主办客户经理，请选择客户经理。")]
    if errors:
        raise ValidationError(errors)
    if Referral.objects.filter(customer=customer, referrer=actor, status=ReferralStatus.PENDING).exists():
        raise _err("customer_no", _("您对该客户的推介尚待受理。"))
    referral = Referral.objects.create(
        referrer=actor,
        customer=customer,
        rm=rm,
        need=need,
        category=category or "",
        outlet_path=_unit_path(actor),
        org_path=customer.org_path,
    )
    audit.record(actor, "sales.referral_create", referral, after={"customer": customer.pk, "rm": rm.pk})
    notify_after_commit(
        rm,
        "sales.referral",
        _("新的客户推介：%(c)s") % {"c": customer.name},
        url=reverse("sales:referral_list"),
        obj=referral,
    )
    return referral


def refer(actor, **fields) -> Referral:
    """The page's and the API's door to `refer_customer` (SPEC §4, issue 11 "Bad input"): a referral by
    someone without the referrer role is a field error on `referrer` (422 with that path, shown next to
    the form's 推介人 field), not a bare 403; the business action itself still refuses other roles."""
    check_referrer(actor)
    return refer_customer(actor, **fields)


def check_referrer(actor) -> None:
    """Only the referrer role (大堂经理/柜员) refers: anyone else gets a 422 on `referrer`."""
    if not may_take(actor, REFER_ROLES):
        raise _err("referrer", _("只有大堂经理或柜员可以推介客户，您的角色不能推介。"))


def _locked_referral(actor, referral_id) -> Referral:
    get_or_404(visible_referrals(actor), referral_id)
    referral = (
        Referral.objects.select_for_update(of=("self",)).select_related("customer").filter(pk=referral_id).first()
    )
    if referral.rm_id != actor.pk:
        raise PermissionDenied(_("只有被推介的客户经理可以受理。"))
    return referral


@business_action(roles=SELL_ROLES, subject=in_scope(visible_referrals))
def accept_referral(actor, referral_id: int, *, version: int, product_id: int | None = None) -> Referral:
    """The RM accepts a referral; with a product it opens the opportunity whose win credits the referrer."""
    referral = _locked_referral(actor, referral_id)
    check_version(referral, version)
    if referral.status != ReferralStatus.PENDING:
        raise _err("status", _("该推介已处理。"))
    referral.status = ReferralStatus.ACCEPTED
    referral.decided_at = timezone.now()
    referral.version += 1
    referral.save()
    audit.record(actor, "sales.referral_accept", referral)
    if product_id:
        create_opportunity(
            actor,
            customer_id=referral.customer_id,
            product_id=product_id,
            source=LeadSource.REFERRAL,
            referral_id=referral.pk,
        )
        referral.refresh_from_db()
    return referral


@business_action(roles=SELL_ROLES, subject=in_scope(visible_referrals))
def decline_referral(actor, referral_id: int, *, version: int, reason: str) -> Referral:
    """The RM declines a referral with a reason (the referrer sees it)."""
    referral = _locked_referral(actor, referral_id)
    check_version(referral, version)
    if referral.status != ReferralStatus.PENDING:
        raise _err("status", _("该推介已处理。"))
    if not (reason or "").strip():
        raise _err("reason", _("请填写谢绝原因。"))
    referral.status = ReferralStatus.DECLINED
    referral.decline_reason = reason.strip()[:200]
    referral.decided_at = timezone.now()
    referral.version += 1
    referral.save()
    audit.record(actor, "sales.referral_decline", referral, after={"reason": referral.decline_reason})
    return referral


def _credit_referral(opp, won_on: date):
    """A won opportunity of a referral credits the referrer when it is won within the window."""
    referral = Referral.objects.select_for_update().filter(opportunity=opp).first()
    if referral is None:
        return
    window = SalesSettings.current().referral_window_days
    referred_on = timezone.localtime(referral.created_at).date()
    if won_on <= referred_on + timedelta(days=window):
        referral.status = ReferralStatus.CONVERTED
        referral.credited_on = won_on
        referral.version += 1
        referral.save(update_fields=["status", "credited_on", "version"])
        audit.record(None, "sales.referral_credit", referral, after={"won_on": won_on, "window": window})
        notify_after_commit(
            referral.referrer,
            "sales.referral_credit",
            _("您推介的客户已签约"),
            url=reverse("sales:referral_list"),
            obj=referral,
        )


def referral_stats(viewer, start: date | None = None, end: date | None = None, *, by: str = "referrer") -> list[dict]:
    """Referrals per referrer (or per referrer's outlet, by="outlet") in the viewer's scope: referred,
    accepted, declined, credited conversions and the conversion rate."""
    qs = visible_referrals(viewer)
    if start:
        qs = qs.filter(created_at__date__gte=start)
    if end:
        qs = qs.filter(created_at__date__lte=end)
    key = ("referrer_id", "referrer__full_name") if by == "referrer" else ("referrer__unit_id", "referrer__unit__name")
    rows = (
        qs.values(*key)
        .annotate(
            referred=Count("id"),
            accepted=Count("id", filter=Q(status__in=[ReferralStatus.ACCEPTED, ReferralStatus.CONVERTED])),
            declined=Count("id", filter=Q(status=ReferralStatus.DECLINED)),
            credited=Count("id", filter=Q(credited_on__isnull=False)),
        )
        .order_by(key[1])
    )
    out = []
    for r in rows:
        rate = Decimal(r["credited"]) / r["referred"] * 100 if r["referred"] else Decimal(0)
        out.append(
            {
                "key": r[key[0]],
                "name": r[key[1]],
                **{k: r[k] for k in ("referred", "accepted", "declined", "credited")},
                "rate": rate.quantize(Decimal("0.1")),
            }
        )
    return out


# --- cross-sell --------------------------------------------------------------------------------------------


def cross_sell(customers, *, group: str = "rm") -> list[dict]:
    """Cross-sell figures over the given customers (SPEC §4, §9), grouped by the A-post RM, the RM's team
    or unit: customers, distinct products held (open holdings), products per customer (交叉销售率),
    coverage per product kind (share of customers holding it) and wealth penetration (理财产品渗透率)."""
    keys = {
        "rm": ("a_rm_id", "a_rm__full_name"),
        "team": ("a_rm__team_id", "a_rm__team__name"),
        "unit": ("a_rm__unit_id", "a_rm__unit__name"),
    }[group]
    cust_rows = customers.values_list("pk", *keys)
    members, names = defaultdict(set), {}
    for pk, gkey, name in cust_rows:
        members[gkey].add(pk)
        names[gkey] = name
    holdings = (
        Holding.objects.filter(customer__in=customers, closed_on__isnull=True)
        .values_list("customer_id", "product_id", "product__category")
        .distinct()
    )
    products_of, cats_of = defaultdict(set), defaultdict(set)
    for cid, pid, cat in holdings:
        products_of[cid].add(pid)
        cats_of[cid].add(cat)
    out = []
    for gkey, ids in members.items():
        n = len(ids)
        held = sum(len(products_of[c]) for c in ids)
        coverage = {}
        for cat in ProductCategory.values:
            k = sum(1 for c in ids if cat in cats_of[c])
            coverage[cat] = (Decimal(k) / n * 100).quantize(Decimal("0.1")) if n else Decimal(0)
        out.append(
            {
                "key": gkey,
                "name": names[gkey] or "—",
                "customers": n,
                "products": held,
                "per_customer": (Decimal(held) / n).quantize(Decimal("0.01")) if n else Decimal(0),
                "coverage": coverage,
                "penetration": coverage[ProductCategory.WEALTH],
            }
        )
    out.sort(key=lambda r: str(r["name"]))
    return out


def _open_holdings(customer) -> list[tuple[int, str]]:
    """(product id, category) of the customer's open holdings: taken from `customer.holdings.all()` when the
    caller has prefetched them with their products (the 360° page reads them anyway, issue 18), else one query."""
    cached = getattr(customer, "_prefetched_objects_cache", {}).get("holdings")
    if cached is not None and all(Holding.product.is_cached(h) for h in cached):
        return [(h.product_id, h.product.category) for h in cached if h.closed_on is None]
    rows = Holding.objects.filter(customer=customer, closed_on__isnull=True)
    return list(rows.values_list("product_id", "product__category"))


def next_best_products(customer, *, limit: int = 3) -> list[dict]:
    """Rule-based next-best-product hints for a customer (SPEC §4): each active rule whose conditions hold
    (holds X, lacks Y, tolerance ≥, AUM ≥) suggests its product, never one above the tolerance nor a risk
    product without a valid assessment, nor one the customer already holds."""
    open_h = _open_holdings(customer)
    cats = {category for _pk, category in open_h}
    held = {pk for pk, _category in open_h}
    out, seen = [], set()
    today = _today()
    for rule in CrossSellRule.objects.filter(is_active=True).select_related("product"):
        if rule.holds_category and rule.holds_category not in cats:
            continue
        if rule.lacks_category in cats:
            continue
        if rule.min_tolerance:
            if TOLERANCE_RANK.get(customer.risk_tolerance or "", 0) < TOLERANCE_RANK[rule.min_tolerance]:
                continue
        if customer.aum < rule.min_aum:
            continue
        product = rule.product
        if product.pk in held or product.pk in seen or not product.on_sale(today):
            continue
        if suitability_problem(customer, product, today):
            continue
        seen.add(product.pk)
        out.append({"rule": rule, "product": product, "reason": rule.reason or rule.name})
        if len(out) >= limit:
            break
    return out


# --- materials and nominations -------------------------------------------------------------------------------


@business_action(roles=SELL_ROLES)
def hand_out(
    actor, *, material_id: int, customer_id: int, quantity: int, campaign_id: int | None = None, nomination=None
) -> Handout:
    """Hand promotional materials to a customer (宣传促销品): the stock must cover the quantity."""
    customer = _customer(actor, customer_id)
    material = Material.objects.select_for_update().filter(pk=material_id, is_active=True).first()
    if material is None:
        raise _err("material_id", _("促销品不存在或已停用。"))
    if quantity is None or quantity <= 0:
        raise _err("quantity", _("数量必须大于零。"))
    if quantity > material.stock:
        raise _err("quantity", _("库存不足（现有 %(n)s%(u)s）。") % {"n": material.stock, "u": material.unit_name})
    campaign = None
    if campaign_id:
        campaign = visible_campaigns(actor).filter(pk=campaign_id).first()
        if campaign is None:
            raise _err("campaign_id", _("营销活动不存在或不在您的管辖范围内。"))
    balance = material.stock - quantity
    material.stock = F("stock") - quantity
    material.save(update_fields=["stock"])
    handout = Handout.objects.create(
        material=material,
        customer=customer,
        quantity=quantity,
        campaign=campaign,
        handed_by=actor,
        nomination=nomination,
        org_path=customer.org_path,
    )
    record_movement(
        material,
        MovementKind.HANDOUT,
        -quantity,
        balance,
        at=handout.handed_at,
        by=actor,
        handout=handout,
        customer=customer,
        campaign=campaign,
        org_path=customer.org_path,
    )
    audit.record(actor, "sales.handout", handout, after={"material": material.pk, "quantity": quantity})
    return handout


@business_action(roles=SELL_ROLES, subject=in_scope(visible_handouts))
def sign_handout(actor, handout_id: int, *, signed_by: str) -> Handout:
    """Record the customer's sign-off (签收单) of a hand-out."""
    get_or_404(visible_handouts(actor), handout_id)
    handout = Handout.objects.select_for_update().filter(pk=handout_id).first()
    if not visible_handouts(actor, write=True).filter(pk=handout_id).exists():
        raise PermissionDenied(_("您对该发放记录只有查看权限。"))
    if handout.signed_at is not None:
        raise _err("signed_by", _("已签收。"))
    signed_by = (signed_by or "").strip()
    if not signed_by:
        raise _err("signed_by", _("请填写签收人姓名。"))
    handout.signed_by = signed_by[:50]
    handout.signed_at = timezone.now()
    handout.save(update_fields=["signed_by", "signed_at"])
    audit.record(actor, "sales.handout_sign", handout, after={"signed_by": handout.signed_by})
    return handout


@business_action(roles=(RoleCode.RM,))
def nominate(actor, *, customer_id: int, material_id: int, quantity: int = 1, reason: str) -> Nomination:
    """The RM nominates a customer for promotional materials (seed 001:1095–1099): only customers of tier
    ≥ the configured tier; the chain "sales.nomination" (market manager reviews, brand manager selects)
    decides it."""
    customer = _customer(actor, customer_id)
    min_rank = SalesSettings.current().nomination_min_tier_rank
    errors = {}
    if customer.tier is None or customer.tier.rank < min_rank:
        errors["customer_id"] = [_("只能推选 %(n)s 级以上（含）的客户。") % {"n": min_rank}]
    material = Material.objects.filter(pk=material_id, is_active=True).first()
    if material is None:
        errors["material_id"] = [_("促销品不存在或已停用。")]
    if quantity is None or quantity <= 0:
        errors["quantity"] = [_("数量必须大于零。")]
    reason = (reason or "").strip()
    if not reason:
        errors["reason"] = [_("请填写推选理由（综合测评结果）。")]
    if errors:
        raise ValidationError(errors)
    nomination = Nomination.objects.create(
        customer=customer,
        rm=actor,
        material=material,
        quantity=quantity,
        reason=reason[:200],
        org_path=customer.org_path,
    )
    unit = actor.team or actor.unit
    nomination.approval = approvals.request_approval(
        actor,
        NOMINATION_KIND,
        _("促销推选：%(c)s") % {"c": customer.name},
        {"nomination": nomination.pk},
        unit=unit,
        reason=reason,
    )
    nomination.save(update_fields=["approval"])
    audit.record(actor, "sales.nominate", nomination, after={"customer": customer.pk, "material": material.pk})
    return nomination


def on_nomination_approved(checker, req):
    Nomination.objects.filter(pk=req.payload.get("nomination")).update(status=NominationStatus.SELECTED)


def on_nomination_rejected(checker, req):
    Nomination.objects.filter(pk=req.payload.get("nomination")).update(status=NominationStatus.REJECTED)


@business_action(roles=(RoleCode.RM,), subject=in_scope(visible_nominations))
def hand_out_nomination(actor, nomination_id: int) -> Handout:
    """Hand the selected materials to the nominated customer; the customer then signs the 签收单."""
    get_or_404(visible_nominations(actor), nomination_id)
    nomination = Nomination.objects.select_for_update().filter(pk=nomination_id).first()
    if nomination.rm_id != actor.pk:
        raise PermissionDenied(_("只有推选人可以发放。"))
    if nomination.status != NominationStatus.SELECTED:
        raise _err("status", _("推选尚未被选定，不能发放。"))
    handout = hand_out(
        actor,
        material_id=nomination.material_id,
        customer_id=nomination.customer_id,
        quantity=nomination.quantity,
        nomination=nomination,
    )
    nomination.status = NominationStatus.HANDED_OUT
    nomination.save(update_fields=["status"])
    return handout


# --- periodic work ---------------------------------------------------------------------------------------------


def daily(today: date | None = None) -> dict:
    """The daily job (run_sales): deadline reminders for open tasks (due within 3 days) and campaigns
    ending within 3 days (to the launcher and the RMs with pending list entries)."""
    today = today or _today()
    soon = today + timedelta(days=3)
    tasks = 0
    for task in MarketingTask.objects.filter(status=TaskStatus.OPEN, due_on__lte=soon).select_related("assignee"):
        from rmdesk.core.notifications import notify

        notify(
            task.assignee,
            "sales.task_due",
            _("营销任务即将到期：%(t)s") % {"t": task.title},
            url=reverse("sales:task_list"),
            obj=task,
            due_at=None,
            dedupe_key=f"sales.task_due:{task.pk}",
        )
        tasks += 1
    campaigns = 0
    for campaign in Campaign.objects.filter(status=CampaignStatus.ACTIVE, ends_on__lte=soon, ends_on__gte=today):
        from rmdesk.core.notifications import notify

        url = reverse("sales:campaign_detail", args=[campaign.pk])
        rm_ids = set(
            campaign.targets.filter(status=TargetStatus.PENDING).values_list("rm_id", flat=True).distinct()
        ) | {campaign.created_by_id}
        for user in User.objects.filter(pk__in=rm_ids):
            notify(
                user,
                "sales.campaign_due",
                _("营销活动即将结束：%(n)s") % {"n": campaign.name},
                url=url,
                obj=campaign,
                dedupe_key=f"sales.campaign_due:{campaign.pk}",
            )
        campaigns += 1
    closed = Campaign.objects.filter(status=CampaignStatus.ACTIVE, ends_on__lt=today).update(
        status=CampaignStatus.CLOSED
    )
    return {"tasks": tasks, "campaigns": campaigns, "closed": closed}
