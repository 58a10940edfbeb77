"""Business actions of the customer archive (SPEC §2). One function per action, acting user first,
audit event in the same transaction; validation errors in Chinese next to the field; nothing half-written.

Permissions (documented in docs/customers.md):
- create: RMs (they become the A-post), team leads and branch managers (the archive lands in their pool);
- import: team leads, branch managers, back-office assistants;
- export of lists: team leads, branch managers, compliance (always masked);
- reveal one sensitive field: anyone who may see the customer except assistants, with a reason;
- personal-data export and anonymisation: compliance officers;
- ownership changes: anyone with write scope requests, a different team lead / branch manager approves.
"""
import secrets
from datetime import date, datetime
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.db.models import Q, Sum
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from rmdesk.org import audit
from rmdesk.org.models import RoleCode, User
from rmdesk.org.scope import _subtree_paths, visible_staff
from rmdesk.org.services import (
    ensure_can_be_assigned_customers,
    ensure_not_self,
    register_approval_handler,
    request_approval,
)

from . import signals
from .models import (
    AUM_CATEGORIES,
    Conflict,
    ConflictStatus,
    Contact,
    Customer,
    CustomerKind,
    Document,
    FinancialYear,
    Handover,
    HandoverRecord,
    Holding,
    KeyDate,
    KeyDateKind,
    Need,
    Note,
    OwnershipChange,
    OwnershipKind,
    ProductCategory,
    RelatedParty,
    RiskTolerance,
    Source,
    Stage,
    Tag,
    Tier,
    TierChange,
    TierDirection,
    TierRuleSet,
)
from .protection import SENSITIVE_FIELDS, mask
from .scope import get_customer_or_404, visible_customers
from .search import initials_of
from .validators import (
    id_birth_date,
    id_gender,
    validate_amount,
    validate_credit_code,
    validate_mobile,
    validate_resident_id,
)


class StaleVersionError(ValidationError):
    """Optimistic locking: the record changed since the editor loaded it (ARCHITECTURE "Concurrency")."""


# --- roles ---------------------------------------------------------------------------------------

SUPERVISOR_ROLES = (RoleCode.TEAM_LEAD, RoleCode.BRANCH_MANAGER)
CREATE_ROLES = (RoleCode.RM, RoleCode.TEAM_LEAD, RoleCode.BRANCH_MANAGER)
IMPORT_ROLES = (RoleCode.TEAM_LEAD, RoleCode.BRANCH_MANAGER, RoleCode.ASSISTANT)
EXPORT_ROLES = (RoleCode.TEAM_LEAD, RoleCode.BRANCH_MANAGER, RoleCode.COMPLIANCE)
REVEAL_ROLES = (RoleCode.RM, RoleCode.TEAM_LEAD, RoleCode.BRANCH_MANAGER, RoleCode.COMPLIANCE, RoleCode.RISK)
PRIVACY_ROLES = (RoleCode.COMPLIANCE,)


def can_create(user):
    return user.has_role(*CREATE_ROLES)


def can_import(user):
    return user.has_role(*IMPORT_ROLES)


def can_export(user):
    return user.has_role(*EXPORT_ROLES)


def can_reveal(user):
    return user.has_role(*REVEAL_ROLES)


def is_supervisor(user):
    return user.has_role(*SUPERVISOR_ROLES)


def can_privacy(user):
    return user.has_role(*PRIVACY_ROLES)


def _require(ok: bool, msg: str):
    if not ok:
        raise PermissionDenied(msg)


# --- cleaning ------------------------------------------------------------------------------------

TEXT_FIELDS = {
    "name": 120, "gender": 1, "id_type": 20, "address": 200, "occupation": 60, "employer": 120,
    "industry": 60, "legal_rep": 50, "family": 200, "hobbies": 200, "preferences": 200,
}
EDITABLE_FIELDS = (
    "kind", "name", "gender", "birth_date", "id_type", "id_number", "mobile", "email", "address", "occupation",
    "employer", "annual_income", "risk_tolerance", "family", "hobbies", "preferences", "credit_code",
    "industry", "legal_rep", "registered_capital", "founded_on", "source", "stage", "metrics",
    "is_key_account", "ka_volume", "ka_margin", "ka_growth", "ka_wallet_share", "ka_credit_standing",
    "ka_payment_days",
)
DUPLICATE_FIELDS = ("id_number", "credit_code", "mobile")


def _parse_date(value, field, errors):
    if value in (None, ""):
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = str(value).strip().replace("/", "-").replace(".", "-")
    for fmt in ("%Y-%m-%d", "%Y%m%d"):
        try:
            return datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    errors[field] = _("日期格式应为 YYYY-MM-DD。")
    return None


def _amount(value, field, errors, *, allow_negative=False):
    if value in (None, ""):
        return None
    try:
        return validate_amount(value, allow_negative=allow_negative)
    except ValidationError as exc:
        errors[field] = exc.messages[0]
        return None


# the enums' `.values` are rebuilt on every access: the import cleans 100,000 rows
_KINDS, _RISKS = frozenset(CustomerKind.values), frozenset(RiskTolerance.values)
_SOURCES, _STAGES = frozenset(Source.values), frozenset(Stage.values)


def clean_customer_data(data: dict, *, partial_base: dict | None = None) -> dict:
    """Validate and normalise archive fields (SPEC §2). Raises ValidationError({field: msg}) with all errors.

    `partial_base` holds the current values when editing, so cross-field rules see the whole archive.
    """
    merged = dict(partial_base or {})
    merged.update({k: v for k, v in data.items() if k in EDITABLE_FIELDS})
    errors: dict[str, str] = {}
    out: dict = {}
    kind = merged.get("kind") or CustomerKind.INDIVIDUAL
    if kind not in _KINDS:
        errors["kind"] = _("客户类型无效。")
    out["kind"] = kind
    for field, max_len in TEXT_FIELDS.items():
        value = merged.get(field)
        value = "" if value is None else str(value).strip()
        if len(value) > max_len:
            errors[field] = _("不能超过 %(n)d 个字符。") % {"n": max_len}
        out[field] = value
    if not out["name"]:
        errors["name"] = _("请填写客户名称。")
    if out["gender"] and out["gender"] not in ("M", "F"):
        errors["gender"] = _("性别应为 男 或 女。")
    out["id_type"] = out["id_type"] or "resident_id"
    out["birth_date"] = _parse_date(merged.get("birth_date"), "birth_date", errors)
    out["founded_on"] = _parse_date(merged.get("founded_on"), "founded_on", errors)

    id_number = str(merged.get("id_number") or "").strip().upper()
    if id_number and out["id_type"] == "resident_id":
        try:
            id_number = validate_resident_id(id_number)
        except ValidationError as exc:
            errors["id_number"] = exc.messages[0]
        else:
            born = id_birth_date(id_number)
            if out["birth_date"] and out["birth_date"] != born:
                errors["birth_date"] = _("出生日期与身份证号码不一致。")
            out["birth_date"] = out["birth_date"] or born
            if out["gender"] and out["gender"] != id_gender(id_number):
                errors["gender"] = _("性别与身份证号码不一致。")
            out["gender"] = out["gender"] or id_gender(id_number)
    out["id_number"] = id_number

    mobile = str(merged.get("mobile") or "").strip()
    if mobile:
        try:
            mobile = validate_mobile(mobile)
        except ValidationError as exc:
            errors["mobile"] = exc.messages[0]
    out["mobile"] = mobile

    email = str(merged.get("email") or "").strip()
    if email:
        try:
            validate_email(email)
        except ValidationError:
            errors["email"] = _("电子邮箱格式不正确。")
    out["email"] = email

    credit_code = str(merged.get("credit_code") or "").strip().upper()
    if credit_code:
        try:
            credit_code = validate_credit_code(credit_code)
        except ValidationError as exc:
            errors["credit_code"] = exc.messages[0]
    elif kind == CustomerKind.CORPORATE:
        errors["credit_code"] = _("对公客户须填写统一社会信用代码。")
    out["credit_code"] = credit_code

    if kind == CustomerKind.INDIVIDUAL and not (id_number or mobile):
        errors.setdefault("mobile", _("个人客户至少需要证件号码或手机号码之一。"))

    out["annual_income"] = _amount(merged.get("annual_income"), "annual_income", errors)
    out["registered_capital"] = _amount(merged.get("registered_capital"), "registered_capital", errors)
    out["ka_volume"] = _amount(merged.get("ka_volume"), "ka_volume", errors)
    for field in ("ka_margin", "ka_growth", "ka_wallet_share"):
        out[field] = _amount(merged.get(field), field, errors, allow_negative=field == "ka_growth")
    days = merged.get("ka_payment_days")
    if days in (None, ""):
        out["ka_payment_days"] = None
    else:
        try:
            out["ka_payment_days"] = int(days)
            if out["ka_payment_days"] < 0:
                raise ValueError
        except (TypeError, ValueError):
            errors["ka_payment_days"] = _("回款周期应为非负整数（天）。")
    standing = merged.get("ka_credit_standing") or ""
    if standing and standing not in ("AAA", "AA", "A", "BBB", "BB", "B", "C"):
        errors["ka_credit_standing"] = _("资信状况无效。")
    out["ka_credit_standing"] = standing
    out["is_key_account"] = bool(merged.get("is_key_account"))

    risk = merged.get("risk_tolerance") or ""
    if risk and risk not in _RISKS:
        errors["risk_tolerance"] = _("风险承受能力应为 C1 至 C5。")
    out["risk_tolerance"] = risk
    source = merged.get("source") or Source.SELF
    if source not in _SOURCES:
        errors["source"] = _("客户来源无效。")
    out["source"] = source
    stage = merged.get("stage") or Stage.POTENTIAL
    if stage not in _STAGES:
        errors["stage"] = _("生命周期阶段无效。")
    out["stage"] = stage

    metrics = merged.get("metrics") or {}
    clean_metrics = {}
    if not isinstance(metrics, dict):
        errors["metrics"] = _("分层指标值格式不正确。")
    else:
        for key, value in metrics.items():
            amount = _amount(value, "metrics", errors, allow_negative=True)
            if amount is not None:
                clean_metrics[str(key)] = str(amount)
    out["metrics"] = clean_metrics
    if errors:
        raise ValidationError({k: [v] for k, v in errors.items()})
    return out


def customer_values(customer) -> dict:
    return {f: getattr(customer, f) for f in EDITABLE_FIELDS}


def find_duplicate(values: dict, *, exclude_pk=None):
    """The first other archive sharing an ID number, credit code or mobile: (field, value, customer) or None."""
    for field in DUPLICATE_FIELDS:
        value = values.get(field)
        if not value:
            continue
        qs = Customer.objects.filter(**{field: value}, is_anonymised=False, merged_into__isnull=True)
        if exclude_pk:
            qs = qs.exclude(pk=exclude_pk)
        other = qs.order_by("id").first()
        if other is not None:
            return field, value, other
    return None


# --- completeness ----------------------------------------------------------------------------------

REQUIRED_FIELDS = {
    CustomerKind.INDIVIDUAL: ("name", "gender", "birth_date", "id_number", "mobile", "address", "occupation",
                              "risk_tolerance"),
    CustomerKind.CORPORATE: ("name", "credit_code", "industry", "legal_rep", "registered_capital", "address",
                             "mobile"),
    CustomerKind.OUTLET: ("name", "legal_rep", "mobile", "address", "industry"),
}
REQUIRED_DOCS = {
    CustomerKind.INDIVIDUAL: ("id_copy", "risk_assessment"),
    CustomerKind.CORPORATE: ("license", "financials"),
    CustomerKind.OUTLET: ("license",),
}


def completeness_of(customer, *, doc_kinds=None, has_contacts=None, has_financials=None) -> int:
    """Share (0–100) of the kind's required fields and documents present (SPEC §2 completeness)."""
    kind = customer.kind
    fields = REQUIRED_FIELDS.get(kind, ())
    docs = REQUIRED_DOCS.get(kind, ())
    present = sum(1 for f in fields if getattr(customer, f) not in (None, ""))
    total = len(fields) + len(docs)
    if customer.pk and doc_kinds is None:
        doc_kinds = set(customer.documents.values_list("kind", flat=True))
    present += sum(1 for d in docs if d in (doc_kinds or ()))
    if kind == CustomerKind.CORPORATE:
        total += 2
        if has_contacts is None:
            has_contacts = bool(customer.pk) and customer.contacts.exists()
        if has_financials is None:
            has_financials = bool(customer.pk) and customer.financials.exists()
        present += int(bool(has_contacts)) + int(bool(has_financials))
    return round(present * 100 / total) if total else 100


def refresh_completeness(customer):
    value = completeness_of(customer)
    if value != customer.completeness:
        customer.completeness = value
        Customer.objects.filter(pk=customer.pk).update(completeness=value)
    return value


# --- tiers -----------------------------------------------------------------------------------------

def active_rule_set():
    return TierRuleSet.objects.filter(is_active=True).prefetch_related("tiers").order_by("id").first()


def metric_value(customer, metric: str) -> Decimal:
    if metric in ("aum", "deposits", "loans", "contribution"):
        return getattr(customer, metric) or Decimal("0")
    raw = (customer.metrics or {}).get(metric)
    try:
        return Decimal(str(raw)) if raw not in (None, "") else Decimal("0")
    except ArithmeticError:
        return Decimal("0")


def tier_for_value(tiers, value: Decimal):
    """The highest-ranked tier whose threshold the value reaches (tiers of one rule set)."""
    best = None
    for tier in tiers:
        if value >= tier.threshold and (best is None or tier.rank > best.rank):
            best = tier
    return best


def _direction(old, new):
    if old is None or new is None or old.rule_set_id != new.rule_set_id:
        return TierDirection.INITIAL
    return TierDirection.UP if new.rank > old.rank else TierDirection.DOWN


def recompute_tier(customer, *, reason: str, rule_set=None, tiers=None, send=True):
    """Put the customer in the tier its metric reaches; keep a TierChange and send tier_changed (SPEC §2)."""
    rule_set = rule_set or active_rule_set()
    if rule_set is None:
        return None
    tiers = tiers if tiers is not None else list(rule_set.tiers.all())
    value = metric_value(customer, rule_set.metric)
    new = tier_for_value(tiers, value)
    old_id = customer.tier_id
    if new is None or new.pk == old_id:
        return None
    old = Tier.objects.filter(pk=old_id).first() if old_id else None
    customer.tier = new
    Customer.objects.filter(pk=customer.pk).update(tier=new)
    change = TierChange.objects.create(
        customer=customer, from_tier=old, to_tier=new, direction=_direction(old, new), reason=reason[:200],
        metric_value=value, a_rm_id=customer.a_rm_id, org_path=customer.org_path,
    )
    if send:
        signals.tier_changed.send(sender=Customer, customer=customer, old_tier=old, new_tier=new, change=change)
    return change


def recompute_all_tiers(*, rule_set=None, batch_size: int = 2000, reason: str = "") -> int:
    """The periodic recompute: every archive against the active rule set; returns the number of changes."""
    rule_set = rule_set or active_rule_set()
    if rule_set is None:
        return 0
    tiers = list(rule_set.tiers.all())
    tiers_by_id = {t.pk: t for t in Tier.objects.all()}
    reason = reason or _("定期重算")
    changed = 0
    last_id = 0
    while True:
        rows = list(
            Customer.objects.filter(id__gt=last_id).order_by("id")
            .only("id", "tier_id", "aum", "deposits", "loans", "contribution", "metrics", "a_rm_id", "org_path")[:batch_size]
        )
        if not rows:
            break
        last_id = rows[-1].id
        with transaction.atomic():
            changes = []
            for c in rows:
                new = tier_for_value(tiers, metric_value(c, rule_set.metric))
                if new is None or new.pk == c.tier_id:
                    continue
                old = tiers_by_id.get(c.tier_id)
                Customer.objects.filter(pk=c.pk).update(tier=new)
                changes.append((c, old, new, TierChange(
                    customer=c, from_tier=old, to_tier=new, direction=_direction(old, new), reason=reason,
                    metric_value=metric_value(c, rule_set.metric), a_rm_id=c.a_rm_id, org_path=c.org_path,
                )))
            TierChange.objects.bulk_create([ch for *_, ch in changes])
            for c, old, new, ch in changes:
                c.tier = new
                signals.tier_changed.send(sender=Customer, customer=c, old_tier=old, new_tier=new, change=ch)
            changed += len(changes)
    if changed:
        audit.record(None, "customers.tiers_recomputed", object_type="customers.tierruleset",
                     object_id=rule_set.pk, after={"changes": changed, "rule_set": rule_set.code})
    return changed


@transaction.atomic
def activate_rule_set(actor, rule_set_id: int) -> int:
    """Make a tier rule set the one in use and re-tier every archive against it (administrators, SPEC §2)."""
    _require(actor.is_superuser or actor.has_role(RoleCode.ADMIN), _("只有系统管理员可以切换分层规则。"))
    rule_set = TierRuleSet.objects.get(pk=rule_set_id)
    TierRuleSet.objects.exclude(pk=rule_set.pk).update(is_active=False)
    rule_set.is_active = True
    rule_set.save(update_fields=["is_active"])
    audit.record(actor, "customers.rule_set_activate", rule_set, after={"code": rule_set.code})
    return recompute_all_tiers(rule_set=rule_set, reason=_("切换分层规则：%(name)s") % {"name": rule_set.name})


# --- business data ---------------------------------------------------------------------------------

def recompute_aggregates(customer, *, reason: str = ""):
    """AUM, deposits and loans from the open holdings, then the tier (SPEC §2 business data)."""
    open_holdings = Holding.objects.filter(customer=customer, closed_on__isnull=True)
    sums = {
        "aum": open_holdings.filter(product__category__in=AUM_CATEGORIES).aggregate(s=Sum("balance"))["s"],
        "deposits": open_holdings.filter(product__category=ProductCategory.DEPOSIT).aggregate(s=Sum("balance"))["s"],
        "loans": open_holdings.filter(product__category=ProductCategory.LOAN).aggregate(s=Sum("balance"))["s"],
    }
    sums = {k: (v or Decimal("0.00")) for k, v in sums.items()}
    changed = {k: v for k, v in sums.items() if getattr(customer, k) != v}
    if changed:
        for k, v in changed.items():
            setattr(customer, k, v)
        Customer.objects.filter(pk=customer.pk).update(**changed)
    recompute_tier(customer, reason=reason or _("持仓变动"))
    return changed


@transaction.atomic
def save_holding(actor, customer_id, *, product, balance, account_no="", opened_on=None, closed_on=None,
                 matures_on=None):
    """Open or update a holding (upsert by account number, else product) and recompute AUM and tier.

    `matures_on` (到期日, SPEC §3 product-maturity reminders): empty keeps the holding's current date."""
    customer = get_customer_or_404(actor, customer_id, write=True)
    errors = {}
    amount = _amount(balance, "balance", errors, allow_negative=False)
    opened = _parse_date(opened_on, "opened_on", errors)
    closed = _parse_date(closed_on, "closed_on", errors)
    matures = _parse_date(matures_on, "matures_on", errors)
    if amount is None and "balance" not in errors:
        errors["balance"] = _("请填写余额。")
    if opened and closed and closed < opened:
        errors["closed_on"] = _("销户日期不能早于开户日期。")
    if opened and matures and matures < opened:
        errors["matures_on"] = _("到期日不能早于开户日期。")
    if errors:
        raise ValidationError({k: [v] for k, v in errors.items()})
    lookup = {"account_no": account_no} if account_no else {"product": product, "account_no": ""}
    holding = Holding.objects.filter(customer=customer, **lookup).first() or Holding(customer=customer, account_no=account_no)
    before = ({"balance": holding.balance, "closed_on": holding.closed_on, "matures_on": holding.matures_on}
              if holding.pk else None)
    holding.product = product
    holding.balance = amount
    holding.opened_on = opened or holding.opened_on or timezone.localdate()
    holding.closed_on = closed
    holding.matures_on = matures or holding.matures_on
    holding.save()
    recompute_aggregates(customer)
    audit.record(actor, "customers.holding_save", holding, before=before,
                 after={"customer": customer.pk, "product": product.code, "balance": amount, "closed_on": closed,
                        "matures_on": holding.matures_on})
    return holding


# --- create / update -------------------------------------------------------------------------------

def _new_customer_no():
    while True:
        no = f"N{timezone.localdate():%y%m%d}{secrets.randbelow(10**6):06d}"
        if not Customer.objects.filter(customer_no=no).exists():
            return no


def _audit_view_of(values: dict) -> dict:
    """Archive values fit for the audit trail: sensitive fields masked."""
    return {k: (mask(k, v) if k in SENSITIVE_FIELDS else v) for k, v in values.items()}


def sync_birthday(customer):
    if customer.kind != CustomerKind.INDIVIDUAL:
        return
    existing = KeyDate.objects.filter(customer=customer, kind=KeyDateKind.BIRTHDAY).first()
    if customer.birth_date is None:
        if existing:
            existing.delete()
        return
    if existing is None:
        KeyDate.objects.create(customer=customer, kind=KeyDateKind.BIRTHDAY, label=_("生日"), date=customer.birth_date)
    elif existing.date != customer.birth_date:
        existing.date = customer.birth_date
        existing.save()


def _owner_unit(rm):
    return rm.team or rm.unit


def _home_pool_unit(actor):
    return actor.team or actor.unit


def _check_unit_in_write_scope(actor, unit):
    if unit is None or not any(unit.path.startswith(p) for p in _subtree_paths(actor, write=True)):
        raise ValidationError({"org_unit": [_("只能在本人管辖的机构或团队内建档。")]})


@transaction.atomic
def create_customer(actor, data: dict, *, org_unit=None, customer_no: str = "", tags=(), source_label="create"):
    """Open a new archive (SPEC §2). An RM becomes its A-post; a team lead or branch manager puts it in
    the unassigned pool of their team/unit (or `org_unit` inside their subtree).

    A duplicate (same ID number, credit code or mobile as another archive) opens a Conflict for the
    supervisor instead of a second archive: returns (None, conflict); otherwise (customer, None).
    """
    _require(can_create(actor), _("您无权新建客户档案。"))
    values = clean_customer_data(data)
    customer_no = (customer_no or data.get("customer_no") or "").strip()
    if customer_no and Customer.objects.filter(customer_no=customer_no).exists():
        raise ValidationError({"customer_no": [_("客户号已被使用。")]})
    dup = find_duplicate(values)
    if dup is not None:
        field, value, existing = dup
        proposed = {**values, "customer_no": customer_no}
        return None, open_conflict(actor, existing, field, value, source=source_label, proposed=proposed)
    a_rm = None
    if actor.has_role(RoleCode.RM) and not (is_supervisor(actor) and org_unit is not None):
        ensure_can_be_assigned_customers(actor)
        a_rm = actor
        unit = _owner_unit(actor)
    else:
        unit = org_unit or _home_pool_unit(actor)
        _check_unit_in_write_scope(actor, unit)
    customer = Customer(**values, customer_no=customer_no or _new_customer_no(), a_rm=a_rm, org_unit=unit,
                        org_path=unit.path, name_initials=initials_of(values["name"]))
    customer.completeness = completeness_of(customer, doc_kinds=set(), has_contacts=False, has_financials=False)
    customer.save()
    if tags:
        set_tags(customer, tags)
    sync_birthday(customer)
    OwnershipChange.objects.create(customer=customer, kind=OwnershipKind.CREATE, to_a=a_rm, actor=actor)
    recompute_tier(customer, reason=_("建档定级"))
    audit.record(actor, "customers.create", customer, after=_audit_view_of(values))
    signals.customer_created.send(sender=Customer, actor=actor, customer=customer)
    return customer, None


@transaction.atomic
def update_customer(actor, customer_id, data: dict, *, version: int):
    """Edit an archive with optimistic locking (SPEC §2, ARCHITECTURE "Concurrency").

    A stale `version` is refused (StaleVersionError). A change that makes the archive a duplicate of
    another opens a Conflict and changes nothing: returns (customer, conflict); else (customer, None).
    """
    customer = get_customer_or_404(actor, customer_id, write=True)
    customer = Customer.objects.select_for_update().get(pk=customer.pk)
    if customer.is_anonymised:
        raise ValidationError({"__all__": [_("该档案已匿名化，不能修改。")]})
    if int(version) != customer.version:
        raise StaleVersionError(
            {"version": [_("该档案已被他人修改（当前版本 %(v)d），请刷新后重新编辑。") % {"v": customer.version}]}
        )
    before = customer_values(customer)
    values = clean_customer_data(data, partial_base=before)
    dup = find_duplicate(values, exclude_pk=customer.pk)
    if dup is not None:
        field, value, existing = dup
        return customer, open_conflict(actor, existing, field, value, source="edit",
                                       proposed={**values, "customer_no": customer.customer_no}, subject=customer)
    changed = {k: v for k, v in values.items() if before.get(k) != v}
    tags_before = sorted(customer.tags.values_list("name", flat=True))
    if "tags" in data and data["tags"] is not None:
        set_tags(customer, data["tags"])
        tags_after = sorted(customer.tags.values_list("name", flat=True))
        if tags_after != tags_before:
            changed["tags"] = tags_after
            before["tags"] = tags_before
    if not changed:
        return customer, None
    tags_changed = changed.pop("tags", None)
    for k, v in changed.items():
        setattr(customer, k, v)
    if "name" in changed:
        customer.name_initials = initials_of(customer.name)
    customer.version += 1
    customer.completeness = completeness_of(customer)
    customer.save()
    sync_birthday(customer)
    if "metrics" in changed:
        recompute_tier(customer, reason=_("指标变动"))
    if tags_changed is not None:
        changed["tags"] = tags_changed
    audit.record(actor, "customers.update", customer,
                 before=_audit_view_of({k: before[k] for k in changed}), after=_audit_view_of(changed))
    return customer, None


def set_tags(customer, names):
    if isinstance(names, str):
        names = [n for n in names.replace("，", ",").replace("、", ",").split(",")]
    names = [n.strip()[:30] for n in names if n and n.strip()]
    tags = [Tag.objects.get_or_create(name=n)[0] for n in dict.fromkeys(names)]
    customer.tags.set(tags)


@transaction.atomic
def add_note(actor, customer_id, text: str):
    """A free note on the archive (SPEC §2 notes)."""
    customer = get_customer_or_404(actor, customer_id, write=True)
    text = (text or "").strip()
    if not text:
        raise ValidationError({"text": [_("请填写备注内容。")]})
    note = Note.objects.create(customer=customer, text=text[:5000], created_by=actor)
    audit.record(actor, "customers.note_add", note, after={"customer": customer.pk})
    return note


@transaction.atomic
def add_need(actor, customer_id, text: str, category: str = ""):
    """A need (需求) found, kept over time (SPEC §2 needs)."""
    customer = get_customer_or_404(actor, customer_id, write=True)
    text = (text or "").strip()
    if not text:
        raise ValidationError({"text": [_("请填写需求内容。")]})
    if category and category not in ProductCategory.values:
        raise ValidationError({"category": [_("需求类别无效。")]})
    need = Need.objects.create(customer=customer, text=text[:300], category=category, created_by=actor)
    audit.record(actor, "customers.need_add", need, after={"customer": customer.pk, "category": category})
    return need


@transaction.atomic
def add_contact(actor, customer_id, *, name, role, title="", mobile="", email="", is_primary=False, note=""):
    """A contact person of a corporate customer with a stakeholder role (SPEC §2)."""
    customer = get_customer_or_404(actor, customer_id, write=True)
    errors = {}
    if not (name or "").strip():
        errors["name"] = _("请填写联系人姓名。")
    if mobile:
        try:
            mobile = validate_mobile(mobile)
        except ValidationError as exc:
            errors["mobile"] = exc.messages[0]
    from .models import ContactRole

    if role not in ContactRole.values:
        errors["role"] = _("联系人角色无效。")
    if errors:
        raise ValidationError({k: [v] for k, v in errors.items()})
    contact = Contact.objects.create(customer=customer, name=name.strip(), role=role, title=title, mobile=mobile,
                                     email=email, is_primary=is_primary, note=note)
    refresh_completeness(customer)
    audit.record(actor, "customers.contact_add", contact, after={"customer": customer.pk, "role": role})
    return contact


@transaction.atomic
def add_key_date(actor, customer_id, *, kind, day, label=""):
    """A 服务关键时刻 (anniversary etc.) for reminders (SPEC §2, §3)."""
    customer = get_customer_or_404(actor, customer_id, write=True)
    errors = {}
    parsed = _parse_date(day, "date", errors)
    if kind not in KeyDateKind.values:
        errors["kind"] = _("类型无效。")
    if parsed is None and "date" not in errors:
        errors["date"] = _("请填写日期。")
    if errors:
        raise ValidationError({k: [v] for k, v in errors.items()})
    kd = KeyDate.objects.create(customer=customer, kind=kind, date=parsed, label=label[:60])
    audit.record(actor, "customers.key_date_add", kd, after={"customer": customer.pk, "kind": kind})
    return kd


@transaction.atomic
def add_financial_year(actor, customer_id, *, year, revenue, assets, liabilities):
    """A corporate customer's yearly figures (debt ratio), SPEC §2."""
    customer = get_customer_or_404(actor, customer_id, write=True)
    errors = {}
    vals = {f: _amount(v, f, errors, allow_negative=f == "revenue") for f, v in
            (("revenue", revenue), ("assets", assets), ("liabilities", liabilities))}
    try:
        year = int(year)
        if not 1900 <= year <= timezone.localdate().year:
            raise ValueError
    except (TypeError, ValueError):
        errors["year"] = _("年度无效。")
    if errors:
        raise ValidationError({k: [v] for k, v in errors.items()})
    fy, _created = FinancialYear.objects.update_or_create(
        customer=customer, year=year, defaults={k: v or Decimal("0") for k, v in vals.items()})
    refresh_completeness(customer)
    audit.record(actor, "customers.financials_save", fy, after={"customer": customer.pk, "year": year})
    return fy


@transaction.atomic
def add_document(actor, customer_id, *, kind, file, title=""):
    """File a document on the archive (counts toward completeness)."""
    customer = get_customer_or_404(actor, customer_id, write=True)
    from .models import DocumentKind

    if kind not in DocumentKind.values:
        raise ValidationError({"kind": [_("资料类型无效。")]})
    doc = Document.objects.create(customer=customer, kind=kind, file=file, title=title or getattr(file, "name", ""),
                                  uploaded_by=actor)
    refresh_completeness(customer)
    audit.record(actor, "customers.document_add", doc, after={"customer": customer.pk, "kind": kind})
    return doc


@transaction.atomic
def link_related(actor, customer_id, related_id, kind, note=""):
    """Link two customers (关联客户 / group), both must be in the actor's scope."""
    from .models import RelationKind

    customer = get_customer_or_404(actor, customer_id, write=True)
    related = get_customer_or_404(actor, related_id)
    if customer.pk == related.pk:
        raise ValidationError({"related": [_("不能关联客户自身。")]})
    if kind not in RelationKind.values:
        raise ValidationError({"kind": [_("关联关系无效。")]})
    link, _created = RelatedParty.objects.get_or_create(customer=customer, related=related, kind=kind,
                                                        defaults={"note": note})
    audit.record(actor, "customers.related_link", link, after={"customer": customer.pk, "related": related.pk})
    return link


# --- protection ------------------------------------------------------------------------------------

def record_view(actor, customer, *, channel="ui"):
    """Every archive view is logged (SPEC §2 protection, §8 access audit)."""
    with transaction.atomic():
        audit.record(actor, "customers.view", customer, channel=channel)


@transaction.atomic
def reveal_field(actor, customer_id, field: str, reason: str) -> str:
    """Show one sensitive field in clear: an audited action with a reason (SPEC §2 protection)."""
    customer = get_customer_or_404(actor, customer_id)
    if field not in SENSITIVE_FIELDS:
        raise ValidationError({"field": [_("该字段不需要查看明文。")]})
    _require(can_reveal(actor), _("您无权查看客户敏感信息明文。"))
    reason = (reason or "").strip()
    if len(reason) < 2:
        raise ValidationError({"reason": [_("请填写查看明文的事由。")]})
    audit.record(actor, "customers.reveal", customer, field=field, reason=reason[:200])
    value = getattr(customer, field)
    return "" if value is None else str(value)


def personal_data(actor, customer_id) -> dict:
    """One person's full archive in clear, for a data-subject request (PIPL; compliance only)."""
    _require(can_privacy(actor), _("只有合规人员可以导出个人信息。"))
    customer = get_customer_or_404(actor, customer_id)
    with transaction.atomic():
        audit.record(actor, "customers.personal_data_export", customer)
    data = {"customer_no": customer.customer_no, **{k: _plain(v) for k, v in customer_values(customer).items()}}
    data["aum"] = str(customer.aum)
    data["tier"] = customer.tier.name if customer.tier_id else ""
    data["tags"] = [t.name for t in customer.tags.all()]
    data["holdings"] = [
        {"product": h.product.name, "account_no": h.account_no, "balance": str(h.balance),
         "opened_on": _plain(h.opened_on), "closed_on": _plain(h.closed_on), "matures_on": _plain(h.matures_on)}
        for h in customer.holdings.select_related("product")
    ]
    data["contacts"] = [{"name": c.name, "title": c.title, "role": c.role, "mobile": c.mobile, "email": c.email}
                        for c in customer.contacts.all()]
    data["key_dates"] = [{"kind": k.kind, "label": k.label, "date": _plain(k.date)} for k in customer.key_dates.all()]
    data["needs"] = [{"text": n.text, "status": n.status, "at": _plain(n.created_at)} for n in customer.needs.all()]
    data["notes"] = [{"text": n.text, "at": _plain(n.created_at)} for n in customer.notes.all()]
    data["tier_history"] = [
        {"from": t.from_tier.name if t.from_tier else "", "to": t.to_tier.name if t.to_tier else "",
         "direction": t.direction, "at": _plain(t.at)}
        for t in customer.tier_changes.select_related("from_tier", "to_tier")
    ]
    return data


def _plain(v):
    if isinstance(v, (date, datetime)):
        return v.isoformat()
    if isinstance(v, Decimal):
        return str(v)
    return v


@transaction.atomic
def anonymise_customer(actor, customer_id, reason: str):
    """Erasure on request by anonymisation of an individual's personal data (PIPL; compliance only).

    Business figures (holdings, AUM, tier history) stay for the bank's books; everything that
    identifies the person is removed.
    """
    _require(can_privacy(actor), _("只有合规人员可以执行匿名化。"))
    customer = get_customer_or_404(actor, customer_id)
    customer = Customer.objects.select_for_update().get(pk=customer.pk)
    if customer.kind != CustomerKind.INDIVIDUAL:
        raise ValidationError({"__all__": [_("只能对个人客户执行匿名化。")]})
    if customer.is_anonymised:
        raise ValidationError({"__all__": [_("该档案已匿名化。")]})
    if len((reason or "").strip()) < 2:
        raise ValidationError({"reason": [_("请填写匿名化依据（如客户申请编号）。")]})
    customer.name = _("已匿名客户%(id)d") % {"id": customer.pk}
    customer.name_initials = ""
    for field in ("id_number", "mobile", "address", "occupation", "employer", "family", "hobbies", "preferences",
                  "email", "gender", "mobile_tail", "id_tail"):
        setattr(customer, field, "")
    customer.birth_date = None
    customer.annual_income = None
    customer.is_anonymised = True
    customer.version += 1
    customer.completeness = 0
    customer.save()
    customer.key_dates.all().delete()
    customer.contacts.all().delete()
    customer.documents.all().delete()
    customer.notes.update(text=_("[已匿名化]"))
    customer.needs.update(text=_("[已匿名化]"))
    customer.tags.clear()
    audit.record(actor, "customers.anonymise", customer, reason=reason.strip()[:200])
    return customer


# --- ownership ---------------------------------------------------------------------------------------

def _set_owners(customer, *, a_rm, b_rm, kind, actor, approved_by=None, note=""):
    """Set A-post/B-post; org_path follows the A-post RM's team (else unit), in the caller's transaction."""
    if b_rm is not None and a_rm is not None and b_rm.pk == a_rm.pk:
        b_rm = None
    change = OwnershipChange(customer=customer, kind=kind, from_a_id=customer.a_rm_id, from_b_id=customer.b_rm_id,
                             to_a=a_rm, to_b=b_rm, actor=actor, approved_by=approved_by, note=note[:300])
    customer.a_rm = a_rm
    customer.b_rm = b_rm
    if a_rm is not None:
        unit = _owner_unit(a_rm)
        customer.org_unit = unit
        customer.org_path = unit.path
    customer.version += 1
    customer.save(update_fields=["a_rm", "b_rm", "org_unit", "org_path", "version", "updated_at"])
    change.save()
    return change


def _load_rm(user_id, field):
    if user_id in (None, ""):
        return None
    rm = User.objects.filter(pk=user_id).first()
    if rm is None:
        raise ValidationError({field: [_("客户经理不存在。")]})
    rm._role_codes = None
    return rm


def _check_assignable(rm, field):
    try:
        ensure_can_be_assigned_customers(rm)
    except ValidationError as exc:
        raise ValidationError({field: exc.messages}) from None


@transaction.atomic
def request_assignment(actor, customer_ids, a_rm_id, b_rm_id=None, reason: str = ""):
    """Ask for an A-post (and optional B-post) assignment or reassignment; a different supervisor
    approves it (maker-checker, SPEC §2 ownership). Both RMs must hold a valid qualification."""
    ids = [int(i) for i in customer_ids]
    if not ids:
        raise ValidationError({"customer_ids": [_("请选择客户。")]})
    customers = list(visible_customers(actor, write=True).filter(pk__in=ids).select_related("org_unit"))
    if len(customers) != len(set(ids)):
        raise Http404
    a_rm = _load_rm(a_rm_id, "a_rm")
    if a_rm is None:
        raise ValidationError({"a_rm": [_("请选择主办客户经理（A岗）。")]})
    b_rm = _load_rm(b_rm_id, "b_rm")
    _check_assignable(a_rm, "a_rm")
    if b_rm is not None:
        if b_rm.pk == a_rm.pk:
            raise ValidationError({"b_rm": [_("A岗与B岗不能是同一人。")]})
        _check_assignable(b_rm, "b_rm")
    staff = visible_staff(actor)
    for rm, field in ((a_rm, "a_rm"), (b_rm, "b_rm")):
        if rm is not None and not staff.filter(pk=rm.pk).exists():
            raise ValidationError({field: [_("只能分配给本机构范围内的客户经理。")]})
    names = "、".join(c.name for c in customers[:3]) + ("等" if len(customers) > 3 else "")
    kind = "assign" if all(c.a_rm_id is None for c in customers) else "reassign"
    title = (_("分配客户：%(names)s → %(rm)s") if kind == "assign" else _("调整客户归属：%(names)s → %(rm)s")) % {
        "names": names, "rm": a_rm.display_name}
    return request_approval(
        actor, "customers.assign", title,
        {"customer_ids": [c.pk for c in customers], "a_rm": a_rm.pk, "b_rm": b_rm.pk if b_rm else None,
         "kind": kind},
        unit=customers[0].org_unit, reason=reason,
    )


def _supervises_all(checker, customer_ids) -> bool:
    if not is_supervisor(checker):
        return False
    paths = _subtree_paths(checker, write=True)
    if not paths:
        return False
    q = Q()
    for p in paths:
        q |= Q(org_path__startswith=p)
    return Customer.objects.filter(pk__in=customer_ids).filter(q).count() == len(set(customer_ids))


def _may_decide_assignment(checker, req) -> bool:
    return _supervises_all(checker, req.payload.get("customer_ids", []))


def _apply_assignment(checker, req):
    p = req.payload
    a_rm = _load_rm(p["a_rm"], "a_rm")
    b_rm = _load_rm(p.get("b_rm"), "b_rm")
    _check_assignable(a_rm, "a_rm")
    if b_rm is not None:
        _check_assignable(b_rm, "b_rm")
    kind = OwnershipKind.ASSIGN if p.get("kind") == "assign" else OwnershipKind.REASSIGN
    for customer in Customer.objects.select_for_update().filter(pk__in=p["customer_ids"]).order_by("id"):
        before = {"a_rm": customer.a_rm_id, "b_rm": customer.b_rm_id}
        _set_owners(customer, a_rm=a_rm, b_rm=b_rm, kind=kind, actor=req.requested_by, approved_by=checker,
                    note=req.reason)
        audit.record(checker, "customers.assign", customer, before=before,
                     after={"a_rm": a_rm.pk, "b_rm": b_rm.pk if b_rm else None}, approval=req.pk)


register_approval_handler("customers.assign", _apply_assignment, _may_decide_assignment)


# --- handover ----------------------------------------------------------------------------------------

def handover_candidates(actor, from_rm):
    """The customers an RM holds as A-post or B-post inside the actor's write scope (the preview)."""
    return (visible_customers(actor, write=True).filter(Q(a_rm=from_rm) | Q(b_rm=from_rm))
            .select_related("tier", "a_rm", "b_rm").order_by("-aum", "id"))


@transaction.atomic
def request_handover(actor, from_rm_id, to_rm_id, *, notes: dict | None = None, customer_ids=None, reason=""):
    """Bulk handover when an RM leaves or moves (SPEC §2): a team lead or branch manager prepares it
    with a note per customer, a different supervisor approves; on approval every customer gets the
    receiving RM and none is left without an A-post."""
    _require(is_supervisor(actor), _("只有团队长或分管行长可以发起客户移交。"))
    from_rm = _load_rm(from_rm_id, "from_rm")
    to_rm = _load_rm(to_rm_id, "to_rm")
    if from_rm is None:
        raise ValidationError({"from_rm": [_("请选择移交人。")]})
    if to_rm is None:
        raise ValidationError({"to_rm": [_("请选择接收人。")]})
    if from_rm.pk == to_rm.pk:
        raise ValidationError({"to_rm": [_("接收人不能是移交人本人。")]})
    _check_assignable(to_rm, "to_rm")
    staff = visible_staff(actor)
    if not staff.filter(pk=to_rm.pk).exists() or not staff.filter(pk=from_rm.pk).exists():
        raise ValidationError({"to_rm": [_("只能在本机构范围内移交。")]})
    candidates = handover_candidates(actor, from_rm)
    if customer_ids is not None:
        ids = {int(i) for i in customer_ids}
        candidates = candidates.filter(pk__in=ids)
        if candidates.count() != len(ids):
            raise ValidationError({"customer_ids": [_("所选客户不都在移交人名下或不在您的管辖范围内。")]})
    ids = list(candidates.values_list("pk", flat=True))
    if not ids:
        raise ValidationError({"from_rm": [_("移交人名下没有可移交的客户。")]})
    notes = {str(k): str(v)[:300] for k, v in (notes or {}).items() if str(k) in {str(i) for i in ids} and v}
    title = _("客户移交：%(from)s → %(to)s，共 %(n)d 户") % {"from": from_rm.display_name, "to": to_rm.display_name,
                                                           "n": len(ids)}
    unit = _owner_unit(from_rm)
    return request_approval(actor, "customers.handover", title,
                            {"from_rm": from_rm.pk, "to_rm": to_rm.pk, "customer_ids": ids, "notes": notes},
                            unit=unit, reason=reason)


def _may_decide_handover(checker, req) -> bool:
    return _supervises_all(checker, req.payload.get("customer_ids", []))


def _apply_handover(checker, req):
    p = req.payload
    from_rm = _load_rm(p["from_rm"], "from_rm")
    to_rm = _load_rm(p["to_rm"], "to_rm")
    _check_assignable(to_rm, "to_rm")
    handover = Handover.objects.create(from_rm=from_rm, to_rm=to_rm, reason=req.reason[:200],
                                       requested_by=req.requested_by, approved_by=checker)
    notes = p.get("notes") or {}
    moved = []
    records = []
    for customer in Customer.objects.select_for_update().filter(pk__in=p["customer_ids"]).order_by("id"):
        note = notes.get(str(customer.pk), "")
        if customer.a_rm_id == from_rm.pk:
            b_rm = customer.b_rm if customer.b_rm_id != to_rm.pk else None
            _set_owners(customer, a_rm=to_rm, b_rm=b_rm, kind=OwnershipKind.HANDOVER, actor=req.requested_by,
                        approved_by=checker, note=note)
            records.append(HandoverRecord(handover=handover, customer=customer, post="A", note=note))
        elif customer.b_rm_id == from_rm.pk:
            b_rm = to_rm if customer.a_rm_id != to_rm.pk else None
            _set_owners(customer, a_rm=customer.a_rm, b_rm=b_rm, kind=OwnershipKind.HANDOVER,
                        actor=req.requested_by, approved_by=checker, note=note)
            records.append(HandoverRecord(handover=handover, customer=customer, post="B", note=note))
        else:
            continue  # changed hands since the request: nothing to hand over
        moved.append(customer)
    HandoverRecord.objects.bulk_create(records)
    orphaned = [c.pk for c in moved if c.a_rm_id is None]
    if orphaned:
        raise ValidationError(_("移交后仍有客户没有A岗客户经理，已取消。"))
    audit.record(checker, "customers.handover", handover,
                 after={"from_rm": from_rm.pk, "to_rm": to_rm.pk, "count": len(moved)}, approval=req.pk)
    signals.customers_handed_over.send(
        sender=Customer, actor=checker, customers=moved, from_rm=from_rm, to_rm=to_rm,
        notes={c.pk: notes.get(str(c.pk), "") for c in moved}, handover=handover,
    )
    return handover


register_approval_handler("customers.handover", _apply_handover, _may_decide_handover)


# --- conflicts ----------------------------------------------------------------------------------------

CONFLICT_SCOPE_PATHS = ("org_path", "claimant_path")


def visible_conflicts(user):
    """Conflicts a user may see: supervisors those touching their subtree (the existing archive's or
    the claimant's team), everyone the claims they made themselves."""
    if not getattr(user, "is_authenticated", False):
        return Conflict.objects.none()
    q = Q(claimant=user)
    for p in _subtree_paths(user, write=True):
        q |= Q(org_path__startswith=p) | Q(claimant_path__startswith=p)
    return Conflict.objects.filter(q)


def open_conflict(claimant, existing, field, value, *, source, proposed, subject=None):
    """Record a second claim on an existing archive; the same open claim is not duplicated."""
    proposed = {k: _plain(v) for k, v in proposed.items()}
    same = Conflict.objects.filter(existing=existing, subject=subject, claimant=claimant, match_field=field,
                                   match_value=value, status=ConflictStatus.OPEN).first()
    if same is not None and same.proposed.get("customer_no", "") == proposed.get("customer_no", ""):
        return same
    claimant_unit = _owner_unit(claimant)
    conflict = Conflict.objects.create(
        existing=existing, subject=subject, match_field=field, match_value=value, source=source,
        proposed=proposed, claimant=claimant, org_path=existing.org_path,
        claimant_path=claimant_unit.path if claimant_unit else "",
    )
    audit.record(claimant, "customers.conflict_open", conflict,
                 after={"existing": existing.pk, "field": field, "source": source})
    return conflict


MERGE_FILL_FIELDS = [f for f in EDITABLE_FIELDS if f not in ("kind", "name", "source", "stage", "metrics")]


@transaction.atomic
def resolve_conflict(actor, conflict_id, action: str, *, owner_id=None, note: str = ""):
    """The supervisor settles a conflict (SPEC §2 不争夺客户):
    - merge: the claim's data fills the blanks of the existing archive (an edited duplicate archive is
      merged into it: holdings, contacts, needs, notes, dates and documents move over);
    - assign: the existing archive's A-post goes to `owner_id` (e.g. the claimant);
    - dismiss: the claim is refused, nothing changes.
    The claimant can never settle their own claim."""
    _require(is_supervisor(actor), _("只有团队长或分管行长可以处理客户冲突。"))
    conflict = visible_conflicts(actor).select_for_update().filter(pk=conflict_id).first()
    if conflict is None:
        raise Http404
    if conflict.status != ConflictStatus.OPEN:
        raise ValidationError({"__all__": [_("该冲突已处理。")]})
    ensure_not_self(conflict.claimant, actor)
    existing = Customer.objects.select_for_update().get(pk=conflict.existing_id)
    if not _supervises_all(actor, [existing.pk]):
        raise PermissionDenied(_("已有客户不在您的管辖范围内，请由其上级处理。"))
    if action == "merge":
        subject = conflict.subject
        source_values = customer_values(subject) if subject else conflict.proposed
        filled = {}
        for field in MERGE_FILL_FIELDS:
            new = source_values.get(field)
            if new in (None, "") or getattr(existing, field) not in (None, ""):
                continue
            if field in ("birth_date", "founded_on") and isinstance(new, str):
                new = date.fromisoformat(new)
            if field in ("annual_income", "registered_capital", "ka_volume") and isinstance(new, str):
                new = Decimal(new)
            setattr(existing, field, new)
            filled[field] = new
        if subject is not None and subject.pk != existing.pk:
            for model in (Holding, Contact, Need, Note, KeyDate, Document, FinancialYear):
                model.objects.filter(customer=subject).update(customer=existing)
            existing.tags.add(*subject.tags.all())
            subject.merged_into = existing
            subject.stage = Stage.LOST
            for f in DUPLICATE_FIELDS + ("mobile_tail", "id_tail"):
                setattr(subject, f, "")
            subject.version += 1
            subject.save()
        existing.version += 1
        existing.save()
        existing.completeness = completeness_of(existing)
        Customer.objects.filter(pk=existing.pk).update(completeness=existing.completeness)
        if subject is not None:
            recompute_aggregates(existing, reason=_("合并重复档案"))
        conflict.status = ConflictStatus.MERGED
        after = {"filled": sorted(filled), "merged_subject": subject.pk if subject else None}
    elif action == "assign":
        owner = _load_rm(owner_id or conflict.claimant_id, "owner")
        _check_assignable(owner, "owner")
        b_rm = existing.b_rm if existing.b_rm_id != owner.pk else None
        _set_owners(existing, a_rm=owner, b_rm=b_rm, kind=OwnershipKind.CONFLICT, actor=conflict.claimant,
                    approved_by=actor, note=note)
        conflict.status = ConflictStatus.ASSIGNED
        after = {"a_rm": owner.pk}
    elif action == "dismiss":
        conflict.status = ConflictStatus.DISMISSED
        after = {}
    else:
        raise ValidationError({"action": [_("处理方式无效。")]})
    conflict.resolved_by = actor
    conflict.resolved_at = timezone.now()
    conflict.resolution_note = (note or "")[:300]
    conflict.save()
    audit.record(actor, "customers.conflict_resolve", conflict, after={"action": action, **after})
    return conflict


# --- lists used by pages and API ---------------------------------------------------------------------

def pool_customers(user):
    """The unassigned pool (no A-post) inside a supervisor's subtree (SPEC §2)."""
    if not is_supervisor(user):
        return Customer.objects.none()
    return visible_customers(user, write=True).filter(a_rm__isnull=True, merged_into__isnull=True)


def coverage_gaps(user):
    """Corporate customers that need a dedicated A-post (deposits ≥ 100,000 or loans ≥ 500,000, seed 001)
    but have none, for the team lead."""
    return pool_customers(user).filter(kind=CustomerKind.CORPORATE).filter(
        Q(deposits__gte=Decimal("100000")) | Q(loans__gte=Decimal("500000")))
