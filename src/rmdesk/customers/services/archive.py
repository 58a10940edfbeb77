"""The archive itself (SPEC §2): opening and editing an archive (optimistic locking, duplicate claims
open a conflict), tags, notes, needs, corporate contacts, key dates (服务关键时刻), yearly financials,
documents and related-party links, and the log of every archive view (SPEC §2 protection, §8)."""

import secrets
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from rmdesk.core import audit
from rmdesk.core.actions import business_action, in_scope
from rmdesk.core.roles import WORKERS, RoleCode
from rmdesk.core.scope import covers
from rmdesk.org.services import ensure_can_be_assigned_customers

from .. import signals
from ..models import (
    Contact,
    ContactAttitude,
    ContactInfluence,
    ContactRole,
    Customer,
    CustomerKind,
    Document,
    DocumentKind,
    FinancialYear,
    KeyDate,
    KeyDateKind,
    Need,
    Note,
    OwnershipChange,
    OwnershipKind,
    ProductCategory,
    RelatedParty,
    RelationKind,
    Stage,
    Tag,
)
from ..protection import SENSITIVE_FIELDS, mask
from ..scope import get_customer_or_404, visible_customers
from ..validators import validate_mobile
from .cleaning import (
    check_archive_version,
    clean_customer_data,
    completeness_of,
    customer_values,
    find_duplicate,
    parse_amount,
    parse_date,
    refresh_completeness,
)
from .conflicts import open_conflict
from .ownership import home_pool_unit, owner_unit
from .permissions import can_create, is_supervisor, require
from .tiers import recompute_tier


def _new_customer_no():
    while True:
        no = f"N{timezone.localdate():%y%m%d}{secrets.randbelow(10**6):06d}"
        if not Customer.objects.filter(customer_no=no).exists():
            return no


def _audit_view_of(values: dict) -> dict:
    """Archive values fit for the audit trail: sensitive fields masked."""
    return {k: (mask(k, v) if k in SENSITIVE_FIELDS else v) for k, v in values.items()}


def sync_birthday(customer):
    """An individual's birthday is one of their key dates (服务关键时刻), kept equal to the birth date."""
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


def _check_unit_in_write_scope(actor, unit):
    if unit is None or not covers(actor, unit.path, write=True):
        raise ValidationError({"org_unit": [_("只能在本人管辖的机构或团队内建档。")]})


@business_action(roles=WORKERS)
def create_customer(actor, data: dict, *, org_unit=None, customer_no: str = "", tags=(), source_label="create"):
    """Open a new archive (SPEC §2). An RM becomes its A-post; a team lead or branch manager puts it in
    the unassigned pool of their team/unit (or `org_unit` inside their subtree).

    A duplicate (same ID number, credit code or mobile as another archive) opens a Conflict for the
    supervisor instead of a second archive: returns (None, conflict); otherwise (customer, None).
    An archive created in a stage past 潜在 also sends `stage_changed` with old_stage None.
    """
    require(can_create(actor), _("您无权新建客户档案。"))
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
        unit = owner_unit(actor)
    else:
        unit = org_unit or home_pool_unit(actor)
        _check_unit_in_write_scope(actor, unit)
    customer = Customer(
        **values, customer_no=customer_no or _new_customer_no(), a_rm=a_rm, org_unit=unit, org_path=unit.path
    )
    customer.completeness = completeness_of(customer, doc_kinds=set(), has_contacts=False, has_financials=False)
    customer.save()
    if tags:
        set_tags(customer, tags)
    sync_birthday(customer)
    OwnershipChange.objects.create(customer=customer, kind=OwnershipKind.CREATE, to_a=a_rm, actor=actor)
    recompute_tier(customer, reason=_("建档定级"))
    audit.record(actor, "customers.create", customer, after=_audit_view_of(values))
    signals.customer_created.send(sender=Customer, actor=actor, customer=customer)
    if customer.stage != Stage.POTENTIAL:  # created past 潜在 (e.g. 流失预警): a stage entered, from none
        signals.stage_changed.send(
            sender=Customer, actor=actor, customer=customer, old_stage=None, new_stage=customer.stage
        )
    return customer, None


@business_action(roles=WORKERS, subject=in_scope(visible_customers, write=True))
def update_customer(actor, customer_id, data: dict, *, version: int):
    """Edit an archive with optimistic locking (SPEC §2, ARCHITECTURE "Concurrency").

    `version` is required: a missing one is refused on `version` (ValidationError), a stale one with
    StaleVersionError. A change that makes the archive a duplicate of another opens a Conflict and
    changes nothing: returns (customer, conflict); else (customer, None). A change of the lifecycle
    stage sends `stage_changed` in the transaction.
    """
    customer = get_customer_or_404(actor, customer_id, write=True)
    customer = Customer.objects.select_for_update().get(pk=customer.pk)
    check_archive_version(customer, version)
    if customer.is_anonymised:
        raise ValidationError({"__all__": [_("该档案已匿名化，不能修改。")]})
    before = customer_values(customer)
    values = clean_customer_data(data, partial_base=before)
    dup = find_duplicate(values, exclude_pk=customer.pk)
    if dup is not None:
        field, value, existing = dup
        return customer, open_conflict(
            actor,
            existing,
            field,
            value,
            source="edit",
            proposed={**values, "customer_no": customer.customer_no},
            subject=customer,
        )
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
    old_stage = customer.stage
    for k, v in changed.items():
        setattr(customer, k, v)
    customer.version += 1
    customer.completeness = completeness_of(customer)
    customer.save()  # the search keys (initials, tails) follow: Customer.refresh_derived
    sync_birthday(customer)
    if "metrics" in changed:
        recompute_tier(customer, reason=_("指标变动"))
    if tags_changed is not None:
        changed["tags"] = tags_changed
    audit.record(
        actor,
        "customers.update",
        customer,
        before=_audit_view_of({k: before[k] for k in changed}),
        after=_audit_view_of(changed),
    )
    if "stage" in changed:
        signals.stage_changed.send(
            sender=Customer, actor=actor, customer=customer, old_stage=old_stage, new_stage=customer.stage
        )
    return customer, None


def set_tags(customer, names):
    """Replace the archive's tags (a list, or one text separated by commas or 、)."""
    if isinstance(names, str):
        names = names.replace("，", ",").replace("、", ",").split(",")
    names = [n.strip() for n in names if n and n.strip()]
    tags = [Tag.objects.get_or_create(name=n)[0] for n in dict.fromkeys(names)]
    customer.tags.set(tags)


@business_action(roles=WORKERS, subject=in_scope(visible_customers, write=True))
def add_note(actor, customer_id, text: str):
    """A free note on the archive (SPEC §2 notes)."""
    customer = get_customer_or_404(actor, customer_id, write=True)
    text = (text or "").strip()
    if not text:
        raise ValidationError({"text": [_("请填写备注内容。")]})
    note = Note.objects.create(customer=customer, text=text, created_by=actor)
    audit.record(actor, "customers.note_add", note, after={"customer": customer.pk})
    return note


@business_action(roles=WORKERS, subject=in_scope(visible_customers, write=True))
def add_need(actor, customer_id, text: str, category: str = ""):
    """A need (需求) found, kept over time (SPEC §2 needs)."""
    customer = get_customer_or_404(actor, customer_id, write=True)
    text = (text or "").strip()
    if not text:
        raise ValidationError({"text": [_("请填写需求内容。")]})
    if category and category not in ProductCategory.values:
        raise ValidationError({"category": [_("需求类别无效。")]})
    need = Need.objects.create(customer=customer, text=text, category=category, created_by=actor)
    audit.record(actor, "customers.need_add", need, after={"customer": customer.pk, "category": category})
    return need


@business_action(roles=WORKERS, subject=in_scope(visible_customers, write=True))
def add_contact(
    actor,
    customer_id,
    *,
    name,
    role,
    title="",
    mobile="",
    email="",
    is_primary=False,
    note="",
    attitude=ContactAttitude.NEUTRAL,
    influence=ContactInfluence.MEDIUM,
):
    """A contact person of a corporate customer with a stakeholder role, attitude and influence (SPEC §2; the
    key account's stakeholder map, seed 002)."""
    customer = get_customer_or_404(actor, customer_id, write=True)
    errors = {}
    if not (name or "").strip():
        errors["name"] = _("请填写联系人姓名。")
    if mobile:
        try:
            mobile = validate_mobile(mobile)
        except ValidationError as exc:
            errors["mobile"] = exc.messages[0]
    if role not in ContactRole.values:
        errors["role"] = _("联系人角色无效。")
    if attitude not in ContactAttitude.values:
        errors["attitude"] = _("联系人态度无效。")
    if influence not in ContactInfluence.values:
        errors["influence"] = _("联系人影响力无效。")
    if errors:
        raise ValidationError({k: [v] for k, v in errors.items()})
    contact = Contact.objects.create(
        customer=customer,
        name=name.strip(),
        role=role,
        title=title,
        mobile=mobile,
        email=email,
        is_primary=is_primary,
        note=note,
        attitude=attitude,
        influence=influence,
    )
    refresh_completeness(customer)
    audit.record(
        actor,
        "customers.contact_add",
        contact,
        after={"customer": customer.pk, "role": role, "attitude": attitude, "influence": influence},
    )
    return contact


@business_action(roles=WORKERS, subject=in_scope(visible_customers, write=True))
def add_key_date(actor, customer_id, *, kind, day, label=""):
    """A 服务关键时刻 (anniversary etc.) for reminders (SPEC §2, §3)."""
    customer = get_customer_or_404(actor, customer_id, write=True)
    errors = {}
    parsed = parse_date(day, "date", errors)
    if kind not in KeyDateKind.values:
        errors["kind"] = _("类型无效。")
    if parsed is None and "date" not in errors:
        errors["date"] = _("请填写日期。")
    if errors:
        raise ValidationError({k: [v] for k, v in errors.items()})
    kd = KeyDate.objects.create(customer=customer, kind=kind, date=parsed, label=label)
    audit.record(actor, "customers.key_date_add", kd, after={"customer": customer.pk, "kind": kind})
    return kd


@business_action(roles=WORKERS, subject=in_scope(visible_customers, write=True))
def add_financial_year(actor, customer_id, *, year, revenue, assets, liabilities):
    """A corporate customer's yearly figures (debt ratio), SPEC §2."""
    customer = get_customer_or_404(actor, customer_id, write=True)
    errors = {}
    vals = {
        f: parse_amount(v, f, errors, allow_negative=f == "revenue")
        for f, v in (("revenue", revenue), ("assets", assets), ("liabilities", liabilities))
    }
    try:
        year = int(year)
        if not 1900 <= year <= timezone.localdate().year:
            raise ValueError
    except (TypeError, ValueError):
        errors["year"] = _("年度无效。")
    if errors:
        raise ValidationError({k: [v] for k, v in errors.items()})
    fy, _created = FinancialYear.objects.update_or_create(
        customer=customer, year=year, defaults={k: v or Decimal("0") for k, v in vals.items()}
    )
    refresh_completeness(customer)
    audit.record(actor, "customers.financials_save", fy, after={"customer": customer.pk, "year": year})
    return fy


@business_action(roles=WORKERS, subject=in_scope(visible_customers, write=True))
def add_document(actor, customer_id, *, kind, file, title=""):
    """File a document on the archive (counts toward completeness)."""
    customer = get_customer_or_404(actor, customer_id, write=True)
    if kind not in DocumentKind.values:
        raise ValidationError({"kind": [_("资料类型无效。")]})
    doc = Document.objects.create(
        customer=customer, kind=kind, file=file, title=title or getattr(file, "name", ""), uploaded_by=actor
    )
    refresh_completeness(customer)
    audit.record(actor, "customers.document_add", doc, after={"customer": customer.pk, "kind": kind})
    return doc


@business_action(roles=WORKERS, subject=in_scope(visible_customers, write=True))
def link_related(actor, customer_id, related_id, kind, note=""):
    """Link two customers (关联客户 / group), both must be in the actor's scope."""
    customer = get_customer_or_404(actor, customer_id, write=True)
    related = get_customer_or_404(actor, related_id)
    if customer.pk == related.pk:
        raise ValidationError({"related": [_("不能关联客户自身。")]})
    if kind not in RelationKind.values:
        raise ValidationError({"kind": [_("关联关系无效。")]})
    link, _created = RelatedParty.objects.get_or_create(
        customer=customer, related=related, kind=kind, defaults={"note": note}
    )
    audit.record(actor, "customers.related_link", link, after={"customer": customer.pk, "related": related.pk})
    return link


def record_view(actor, customer, *, channel="ui"):
    """Every archive view is logged (SPEC §2 protection, §8 access audit): a read event, committed
    before this returns (one autocommitted INSERT outside a transaction, issue 18), sealed later."""
    audit.record(actor, "customers.view", customer, channel=channel)


def record_document_download(actor, document):
    """A document's download is logged like a view of the archive (SPEC §2 protection, §8)."""
    with transaction.atomic():
        audit.record(actor, "customers.document_download", document, customer=document.customer_id)
