"""Configuration of the sales department (SPEC §4): funnel stages, lost reasons, next-best-product rules
and promotional materials with their stock. One validation per record kind, shared by the pages and the
API; every write is a business action of CONFIG_ROLES, audited in its transaction, and an edit names
the `version` it read (stale: 409). Stock moves by receipts and write-offs and never goes below zero.

These records are the bank's, not a unit's: no scope applies; a missing id is 404 for everyone."""

import re
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.db.models import F
from django.utils.translation import gettext as _

from rmdesk.core import audit
from rmdesk.core.actions import business_action, check_version
from rmdesk.core.roles import RoleCode
from rmdesk.core.scope import get_or_404
from rmdesk.customers.models import Product, ProductCategory, RiskTolerance

from .models import (
    CrossSellRule,
    LostReason,
    Material,
    MovementKind,
    Opportunity,
    OpportunityStage,
    StageChange,
    StageKind,
    record_movement,
)

#: who keeps the sales configuration: the administrator and the product manager (产品经理/助理)
CONFIG_ROLES = (RoleCode.ADMIN, RoleCode.ASSISTANT)
#: the opportunity fields a stage may require before it is entered (services._missing_required)
REQUIRED_CHOICES = ("amount", "expected_on", "next_step")
CODE_RE = re.compile(r"^[A-Za-z0-9_-]{1,20}$")
MAX_STOCK = 10_000_000


def may_configure(user) -> bool:
    return bool(user.is_authenticated and (user.is_superuser or user.has_role(*CONFIG_ROLES)))


def _lookup(model):
    def lookup(actor, pk):
        return get_or_404(model.objects.all(), pk)

    return lookup


# --- shared field checks (each adds to `errors`, returns the cleaned value) -----------------------------------


def _text(errors, data, field, max_length, *, required=True):
    value = data.get(field)
    value = "" if value is None else str(value).strip()
    if required and not value:
        errors[field] = [_("此项必填。")]
    elif len(value) > max_length:
        errors[field] = [_("不能超过 %(n)s 个字。") % {"n": max_length}]
    return value


def _int(errors, data, field, lo, hi):
    value = data.get(field)
    try:
        value = int(value)
        if isinstance(data.get(field), bool) or str(data.get(field)).strip() != str(value):
            raise ValueError
    except (TypeError, ValueError):
        errors[field] = [_("请输入整数。")]
        return None
    if not lo <= value <= hi:
        errors[field] = [_("须在 %(lo)s 至 %(hi)s 之间。") % {"lo": lo, "hi": hi}]
    return value


def _bool(data, field):
    value = data.get(field)
    if isinstance(value, str):
        return value.lower() in ("1", "true", "on", "yes")
    return bool(value)


def _choice(errors, data, field, choices, *, required=True):
    value = data.get(field) or ""
    if not value:
        if required:
            errors[field] = [_("此项必填。")]
        return ""
    if value not in dict(choices):
        errors[field] = [_("无效的选项。")]
    return value


def _code(errors, data, model, instance):
    code = _text(errors, data, "code", 20)
    if code and "code" not in errors:
        if not CODE_RE.match(code):
            errors["code"] = [_("代码只能由字母、数字、下划线和连字符组成。")]
        elif model.objects.filter(code=code).exclude(pk=getattr(instance, "pk", None)).exists():
            errors["code"] = [_("代码“%(c)s”已被使用。") % {"c": code}]
    return code


def _merged(instance, fields, given: dict) -> dict:
    """The record's current values overlaid with the given ones (a PATCH names only what changes)."""
    data = {f: getattr(instance, f) for f in fields} if instance is not None else {}
    data.update({k: v for k, v in given.items() if k in fields})
    return data


def _save(actor, action, model, instance, cleaned, version):
    """Create (instance None) or update with the version check; audit in the same transaction."""
    if instance is None:
        obj = model.objects.create(**cleaned)
        if model is Material and obj.stock:
            record_movement(obj, MovementKind.OPENING, obj.stock, obj.stock, by=actor, note=_("期初库存"))
        audit.record(actor, action, obj, after=_jsonable(cleaned))
        return obj
    before = {f: getattr(instance, f) for f in cleaned}
    for field, value in cleaned.items():
        setattr(instance, field, value)
    instance.version = F("version") + 1
    instance.save(update_fields=[*cleaned, "version"])
    instance.refresh_from_db()
    changed = {f: v for f, v in cleaned.items() if before[f] != v}
    audit.record(
        actor,
        action,
        instance,
        before=_jsonable({f: before[f] for f in changed}),
        after=_jsonable(changed),
    )
    return instance


def _jsonable(d: dict) -> dict:
    return {k: (str(v) if isinstance(v, Decimal) else v) for k, v in d.items()}


def _locked(model, pk, version):
    obj = model.objects.select_for_update().filter(pk=pk).first()
    if obj is None:
        from django.http import Http404

        raise Http404
    check_version(obj, version)
    return obj


# --- funnel stages ------------------------------------------------------------------------------------------------

STAGE_FIELDS = ("code", "name", "order", "kind", "probability", "required_fields", "is_active")


def clean_stage(data: dict, instance: OpportunityStage | None = None) -> dict:
    """A stage: a unique code and order, a kind, a probability (won 100, lost 0), the fields required to
    enter it; the pipeline keeps an active won and an active lost stage; a stage in use keeps its kind
    and is not switched off while open opportunities sit in it."""
    errors = {}
    cleaned = {
        "code": _code(errors, data, OpportunityStage, instance),
        "name": _text(errors, data, "name", 30),
        "order": _int(errors, data, "order", 1, 999),
        "kind": _choice(errors, data, "kind", StageKind.choices),
        "probability": _int(errors, data, "probability", 0, 100),
        "is_active": _bool(data, "is_active"),
    }
    required = data.get("required_fields") or []
    if isinstance(required, str) or not all(isinstance(r, str) for r in required):
        errors["required_fields"] = [_("无效的选项。")]
        required = []
    elif any(r not in REQUIRED_CHOICES for r in required):
        errors["required_fields"] = [_("无效的选项。")]
    cleaned["required_fields"] = [r for r in REQUIRED_CHOICES if r in required]
    others = OpportunityStage.objects.exclude(pk=getattr(instance, "pk", None))
    if cleaned["order"] is not None and "order" not in errors and others.filter(order=cleaned["order"]).exists():
        errors["order"] = [_("顺序 %(n)s 已被其他阶段使用。") % {"n": cleaned["order"]}]
    kind, prob = cleaned["kind"], cleaned["probability"]
    if "probability" not in errors and prob is not None:
        if kind == StageKind.WON and prob != 100:
            errors["probability"] = [_("签约阶段的赢单概率须为 100%。")]
        elif kind == StageKind.LOST and prob != 0:
            errors["probability"] = [_("失败阶段的赢单概率须为 0%。")]
    if instance is not None and "kind" not in errors and kind != instance.kind:
        used = (
            Opportunity.objects.filter(stage=instance).exists()
            or StageChange.objects.filter(to_stage=instance).exists()
            or StageChange.objects.filter(from_stage=instance).exists()
        )
        if used:
            errors["kind"] = [_("已有商机经过该阶段，不能更改类型。")]
    if instance is not None and not cleaned["is_active"] and instance.is_active:
        if Opportunity.objects.filter(stage=instance).exclude(stage__kind__in=[StageKind.WON, StageKind.LOST]).exists():
            errors["is_active"] = [_("该阶段还有进行中的商机，不能停用。")]
    if "kind" not in errors:
        for needed, label in ((StageKind.WON, _("签约")), (StageKind.LOST, _("失败"))):
            loses = instance is not None and instance.kind == needed and (kind != needed or not cleaned["is_active"])
            if loses and not others.filter(kind=needed, is_active=True).exists():
                field = "kind" if kind != needed else "is_active"
                errors[field] = [_("须保留至少一个启用的“%(k)s”类阶段。") % {"k": label}]
    if errors:
        raise ValidationError(errors)
    return cleaned


@business_action(roles=CONFIG_ROLES)
def create_stage(actor, **fields) -> OpportunityStage:
    """Add a funnel stage (SPEC §4)."""
    return _save(actor, "sales.stage_create", OpportunityStage, None, clean_stage(fields), None)


@business_action(roles=CONFIG_ROLES, subject=_lookup(OpportunityStage))
def update_stage(actor, stage_id: int, *, version, **fields) -> OpportunityStage:
    """Change a funnel stage; `fields` names only what changes (stale version: 409)."""
    stage = _locked(OpportunityStage, stage_id, version)
    cleaned = clean_stage(_merged(stage, STAGE_FIELDS, fields), stage)
    return _save(actor, "sales.stage_update", OpportunityStage, stage, cleaned, version)


# --- lost reasons -----------------------------------------------------------------------------------------------

REASON_FIELDS = ("code", "name", "order", "is_active")


def clean_lost_reason(data: dict, instance: LostReason | None = None) -> dict:
    errors = {}
    cleaned = {
        "code": _code(errors, data, LostReason, instance),
        "name": _text(errors, data, "name", 50),
        "order": _int(errors, data, "order", 0, 999),
        "is_active": _bool(data, "is_active"),
    }
    if cleaned["name"] and "name" not in errors:
        if LostReason.objects.filter(name=cleaned["name"]).exclude(pk=getattr(instance, "pk", None)).exists():
            errors["name"] = [_("已有同名的失败原因。")]
    if not cleaned["is_active"]:
        still = LostReason.objects.filter(is_active=True).exclude(pk=getattr(instance, "pk", None))
        if not still.exists():
            errors["is_active"] = [_("须保留至少一个启用的失败原因（商机失败时必选）。")]
    if errors:
        raise ValidationError(errors)
    return cleaned


@business_action(roles=CONFIG_ROLES)
def create_lost_reason(actor, **fields) -> LostReason:
    """Add a lost reason to the list an RM picks from when an opportunity fails (SPEC §4)."""
    return _save(actor, "sales.lost_reason_create", LostReason, None, clean_lost_reason(fields), None)


@business_action(roles=CONFIG_ROLES, subject=_lookup(LostReason))
def update_lost_reason(actor, reason_id: int, *, version, **fields) -> LostReason:
    reason = _locked(LostReason, reason_id, version)
    cleaned = clean_lost_reason(_merged(reason, REASON_FIELDS, fields), reason)
    return _save(actor, "sales.lost_reason_update", LostReason, reason, cleaned, version)


# --- cross-sell rules --------------------------------------------------------------------------------------------

RULE_FIELDS = (
    "name",
    "holds_category",
    "lacks_category",
    "min_tolerance",
    "min_aum",
    "product_id",
    "reason",
    "order",
    "is_active",
)


def clean_rule(data: dict, instance: CrossSellRule | None = None) -> dict:
    """A next-best-product rule: "holds X, lacks Y, tolerance ≥ C, AUM ≥ …" → a product of kind Y. The
    hint itself is never above the customer's tolerance (services.next_best_products)."""
    errors = {}
    cleaned = {
        "name": _text(errors, data, "name", 60),
        "holds_category": _choice(errors, data, "holds_category", ProductCategory.choices, required=False),
        "lacks_category": _choice(errors, data, "lacks_category", ProductCategory.choices),
        "min_tolerance": _choice(errors, data, "min_tolerance", RiskTolerance.choices, required=False),
        "reason": _text(errors, data, "reason", 200, required=False),
        "order": _int(errors, data, "order", 0, 999),
        "is_active": _bool(data, "is_active"),
    }
    try:
        aum = Decimal(str(data.get("min_aum") if data.get("min_aum") not in (None, "") else "0"))
        if not aum.is_finite():
            raise InvalidOperation
        if aum < 0 or aum >= Decimal("1e16"):
            errors["min_aum"] = [_("金额须大于等于零。")]
        cleaned["min_aum"] = aum.quantize(Decimal("0.01"))
    except (InvalidOperation, ValueError):
        errors["min_aum"] = [_("请输入有效的金额。")]
    if cleaned["holds_category"] and cleaned["holds_category"] == cleaned["lacks_category"]:
        errors["lacks_category"] = [_("“未持有类别”不能与“已持有类别”相同。")]
    product = None
    try:
        product = Product.objects.filter(pk=int(data.get("product_id"))).first()
    except (TypeError, ValueError):
        pass
    if product is None:
        errors["product_id"] = [_("请选择推荐产品。")]
    elif cleaned["lacks_category"] and product.category != cleaned["lacks_category"]:
        errors["product_id"] = [
            _("推荐产品须属于“未持有类别”（%(c)s）。") % {"c": ProductCategory(cleaned["lacks_category"]).label}
        ]
    cleaned["product_id"] = product.pk if product else None
    if errors:
        raise ValidationError(errors)
    return cleaned


@business_action(roles=CONFIG_ROLES)
def create_rule(actor, **fields) -> CrossSellRule:
    """Add a next-best-product rule (SPEC §4 cross-sell hints on the 360° page)."""
    return _save(actor, "sales.rule_create", CrossSellRule, None, clean_rule(fields), None)


@business_action(roles=CONFIG_ROLES, subject=_lookup(CrossSellRule))
def update_rule(actor, rule_id: int, *, version, **fields) -> CrossSellRule:
    rule = _locked(CrossSellRule, rule_id, version)
    cleaned = clean_rule(_merged(rule, RULE_FIELDS, fields), rule)
    return _save(actor, "sales.rule_update", CrossSellRule, rule, cleaned, version)


# --- materials and their stock ---------------------------------------------------------------------------------

MATERIAL_FIELDS = ("name", "unit_name", "is_active")


def clean_material(data: dict, instance: Material | None = None, *, with_stock: bool = False) -> dict:
    errors = {}
    cleaned = {
        "name": _text(errors, data, "name", 60),
        "unit_name": _text(errors, data, "unit_name", 10),
        "is_active": _bool(data, "is_active"),
    }
    if cleaned["name"] and "name" not in errors:
        if Material.objects.filter(name=cleaned["name"]).exclude(pk=getattr(instance, "pk", None)).exists():
            errors["name"] = [_("已有同名的促销品。")]
    if with_stock:
        stock = data.get("stock")
        cleaned["stock"] = 0 if stock in (None, "") else _int(errors, {"stock": stock}, "stock", 0, MAX_STOCK)
    if errors:
        raise ValidationError(errors)
    return cleaned


@business_action(roles=CONFIG_ROLES)
def create_material(actor, **fields) -> Material:
    """Add a promotional material with its opening stock (≥ 0)."""
    return _save(actor, "sales.material_create", Material, None, clean_material(fields, with_stock=True), None)


@business_action(roles=CONFIG_ROLES, subject=_lookup(Material))
def update_material(actor, material_id: int, *, version, **fields) -> Material:
    """Rename a material, change its unit or switch it off; the stock moves only by receipts and hand-outs."""
    material = _locked(Material, material_id, version)
    cleaned = clean_material(_merged(material, MATERIAL_FIELDS, fields), material)
    return _save(actor, "sales.material_update", Material, material, cleaned, version)


@business_action(roles=CONFIG_ROLES, subject=_lookup(Material))
def receive_material(actor, material_id: int, *, quantity, note: str = "") -> Material:
    """A stock movement: a receipt (入库, quantity > 0) or a write-off (报损, quantity < 0). The stock never
    goes below zero. No version: a movement adds to the stock as it is, like a hand-out takes from it."""
    get_or_404(Material.objects.all(), material_id)
    errors = {}
    qty = _int(errors, {"quantity": quantity}, "quantity", -MAX_STOCK, MAX_STOCK)
    note = _text(errors, {"note": note}, "note", 200, required=False)
    if qty == 0 and "quantity" not in errors:
        errors["quantity"] = [_("数量不能为零（入库填正数，报损填负数）。")]
    if errors:
        raise ValidationError(errors)
    material = Material.objects.select_for_update().get(pk=material_id)
    if material.stock + qty < 0:
        raise ValidationError(
            {
                "quantity": [
                    _("库存不足：现有 %(n)s%(u)s，不能减少 %(q)s%(u)s。")
                    % {"n": material.stock, "u": material.unit_name, "q": -qty}
                ]
            }
        )
    if material.stock + qty > MAX_STOCK:
        raise ValidationError({"quantity": [_("库存不能超过 %(n)s。") % {"n": MAX_STOCK}]})
    before = material.stock
    material.stock = F("stock") + qty
    material.save(update_fields=["stock"])
    material.refresh_from_db()
    kind = MovementKind.RECEIPT if qty > 0 else MovementKind.WRITEOFF
    record_movement(material, kind, qty, material.stock, by=actor, note=note)
    audit.record(
        actor,
        "sales.material_receipt" if qty > 0 else "sales.material_writeoff",
        material,
        before={"stock": before},
        after={"stock": material.stock, "quantity": qty, "note": note},
    )
    return material
