"""Validation and normalisation of archive data, duplicate detection and the completeness score
(SPEC §2: ID numbers, credit codes, mobiles and amounts; 不争夺客户 duplicate keys; completeness feeds
the indicator 优质客户档案建立情况). Also the optimistic-locking check every edit of an archive uses
(ARCHITECTURE "Concurrency")."""

from datetime import date, datetime
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils.translation import gettext as _

from rmdesk.core.actions import StaleVersion, check_version

from ..models import Customer, CustomerKind, IdType, RiskTolerance, Source, Stage
from ..validators import (
    id_birth_date,
    id_gender,
    validate_amount,
    validate_credit_code,
    validate_mobile,
    validate_resident_id,
)

#: the kernel's optimistic-locking refusal (409 in the API), under the name the customers API knows
StaleVersionError = StaleVersion


def check_archive_version(customer, version):
    """The kernel's required-version check with the archive's own message: a missing version is a
    ValidationError on `version` (422), a stale one StaleVersion (409 in the API, a form error in the UI)."""
    try:
        check_version(customer, version)
    except StaleVersion:
        raise StaleVersion(
            {"version": [_("该档案已被他人修改（当前版本 %(v)d），请刷新后重新编辑。") % {"v": customer.version}]},
            code="stale",
        ) from None


TEXT_FIELDS = {
    "name": 120,
    "gender": 1,
    "id_type": 20,
    "address": 200,
    "occupation": 60,
    "employer": 120,
    "industry": 60,
    "legal_rep": 50,
    "family": 200,
    "hobbies": 200,
    "preferences": 200,
}
EDITABLE_FIELDS = (
    "kind",
    "name",
    "gender",
    "birth_date",
    "id_type",
    "id_number",
    "mobile",
    "email",
    "address",
    "occupation",
    "employer",
    "annual_income",
    "risk_tolerance",
    "family",
    "hobbies",
    "preferences",
    "credit_code",
    "industry",
    "legal_rep",
    "registered_capital",
    "founded_on",
    "source",
    "stage",
    "metrics",
    "is_key_account",
    "ka_volume",
    "ka_margin",
    "ka_growth",
    "ka_wallet_share",
    "ka_credit_standing",
    "ka_payment_days",
)
DUPLICATE_FIELDS = ("id_number", "credit_code", "mobile")


def parse_date(value, field, errors):
    """A date from a form, the API or an import cell (YYYY-MM-DD, YYYY/MM/DD, YYYY.MM.DD, YYYYMMDD); a
    bad one leaves its message in `errors[field]` and answers None."""
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


def parse_amount(value, field, errors, *, allow_negative=False):
    """A Decimal amount (money is never a float); a bad one leaves its message in `errors[field]`."""
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
    out["id_type"] = out["id_type"] or IdType.RESIDENT_ID
    if out["id_type"] not in IdType.values:
        errors["id_type"] = _("证件类型无效，请从列表中选择。")
    out["birth_date"] = parse_date(merged.get("birth_date"), "birth_date", errors)
    out["founded_on"] = parse_date(merged.get("founded_on"), "founded_on", errors)

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

    out["annual_income"] = parse_amount(merged.get("annual_income"), "annual_income", errors)
    out["registered_capital"] = parse_amount(merged.get("registered_capital"), "registered_capital", errors)
    out["ka_volume"] = parse_amount(merged.get("ka_volume"), "ka_volume", errors)
    for field in ("ka_margin", "ka_growth", "ka_wallet_share"):
        out[field] = parse_amount(merged.get(field), field, errors, allow_negative=field == "ka_growth")
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
            amount = parse_amount(value, "metrics", errors, allow_negative=True)
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
    CustomerKind.INDIVIDUAL: (
        "name",
        "gender",
        "birth_date",
        "id_number",
        "mobile",
        "address",
        "occupation",
        "risk_tolerance",
    ),
    CustomerKind.CORPORATE: ("name", "credit_code", "industry", "legal_rep", "registered_capital", "address", "mobile"),
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


def plain(v):
    """A JSON-safe copy of one value (dates as ISO text, Decimals as strings)."""
    if isinstance(v, (date, datetime)):
        return v.isoformat()
    if isinstance(v, Decimal):
        return str(v)
    return v
