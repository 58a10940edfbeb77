"""Protection of personal data (为客户保密, PIPL; SPEC §2 protection, §8): revealing one sensitive field
is an audited action with a reason; compliance exports one person's data on request and erases it by
anonymisation (business figures stay for the bank's books)."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from rmdesk.core import audit
from rmdesk.core.actions import business_action, in_scope
from rmdesk.core.roles import WORKERS, RoleCode

from ..models import Customer, CustomerKind
from ..protection import SENSITIVE_FIELDS
from ..scope import get_customer_or_404, visible_customers
from .cleaning import customer_values, plain
from .permissions import can_privacy, can_reveal, require


@business_action(roles=(*WORKERS, RoleCode.RISK, RoleCode.COMPLIANCE), subject=in_scope(visible_customers))
def reveal_field(actor, customer_id, field: str, reason: str) -> str:
    """Show one sensitive field in clear: an audited action with a reason (SPEC §2 protection)."""
    customer = get_customer_or_404(actor, customer_id)
    if field not in SENSITIVE_FIELDS:
        raise ValidationError({"field": [_("该字段不需要查看明文。")]})
    require(can_reveal(actor), _("您无权查看客户敏感信息明文。"))
    reason = (reason or "").strip()
    if len(reason) < 2:
        raise ValidationError({"reason": [_("请填写查看明文的事由。")]})
    audit.record(actor, "customers.reveal", customer, field=field, reason=reason[:200])
    value = getattr(customer, field)
    return "" if value is None else str(value)


def personal_data(actor, customer_id) -> dict:
    """One person's full archive in clear, for a data-subject request (PIPL; compliance only)."""
    require(can_privacy(actor), _("只有合规人员可以导出个人信息。"))
    customer = get_customer_or_404(actor, customer_id)
    with transaction.atomic():
        audit.record(actor, "customers.personal_data_export", customer)
    data = {"customer_no": customer.customer_no, **{k: plain(v) for k, v in customer_values(customer).items()}}
    data["aum"] = str(customer.aum)
    data["tier"] = customer.tier.name if customer.tier_id else ""
    data["tags"] = [t.name for t in customer.tags.all()]
    data["holdings"] = [
        {
            "product": h.product.name,
            "account_no": h.account_no,
            "balance": str(h.balance),
            "opened_on": plain(h.opened_on),
            "closed_on": plain(h.closed_on),
            "matures_on": plain(h.matures_on),
        }
        for h in customer.holdings.select_related("product")
    ]
    data["contacts"] = [
        {"name": c.name, "title": c.title, "role": c.role, "mobile": c.mobile, "email": c.email}
        for c in customer.contacts.all()
    ]
    data["key_dates"] = [{"kind": k.kind, "label": k.label, "date": plain(k.date)} for k in customer.key_dates.all()]
    data["needs"] = [{"text": n.text, "status": n.status, "at": plain(n.created_at)} for n in customer.needs.all()]
    data["notes"] = [{"text": n.text, "at": plain(n.created_at)} for n in customer.notes.all()]
    data["tier_history"] = [
        {
            "from": t.from_tier.name if t.from_tier else "",
            "to": t.to_tier.name if t.to_tier else "",
            "direction": t.direction,
            "at": plain(t.at),
        }
        for t in customer.tier_changes.select_related("from_tier", "to_tier")
    ]
    return data


@business_action(roles=(RoleCode.COMPLIANCE,))
def anonymise_customer(actor, customer_id, reason: str):
    """Erasure on request by anonymisation of an individual's personal data (PIPL; compliance only).

    Business figures (holdings, AUM, tier history) stay for the bank's books; everything that
    identifies the person is removed.
    """
    require(can_privacy(actor), _("只有合规人员可以执行匿名化。"))
    customer = get_customer_or_404(actor, customer_id)
    customer = Customer.objects.select_for_update().get(pk=customer.pk)
    if customer.kind != CustomerKind.INDIVIDUAL:
        raise ValidationError({"__all__": [_("只能对个人客户执行匿名化。")]})
    if customer.is_anonymised:
        raise ValidationError({"__all__": [_("该档案已匿名化。")]})
    if len((reason or "").strip()) < 2:
        raise ValidationError({"reason": [_("请填写匿名化依据（如客户申请编号）。")]})
    customer.name = _("已匿名客户%(id)d") % {"id": customer.pk}
    for field in (
        "id_number",
        "mobile",
        "address",
        "occupation",
        "employer",
        "family",
        "hobbies",
        "preferences",
        "email",
        "gender",
    ):
        setattr(customer, field, "")
    customer.birth_date = None
    customer.annual_income = None
    customer.is_anonymised = True
    customer.version += 1
    customer.completeness = 0
    customer.save()  # the search keys (initials, tails) are cleared: Customer.refresh_derived
    customer.key_dates.all().delete()
    customer.contacts.all().delete()
    customer.documents.all().delete()
    customer.notes.update(text=_("[已匿名化]"))
    customer.needs.update(text=_("[已匿名化]"))
    customer.tags.clear()
    audit.record(actor, "customers.anonymise", customer, reason=reason.strip()[:200])
    return customer
