"""Business data of an archive (SPEC §2): holdings by product, and AUM (金融资产), deposits and loans
recomputed from the open holdings, then the tier. `matures_on` feeds the §3 maturity reminders."""

from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from rmdesk.core import audit
from rmdesk.core.actions import business_action, in_scope
from rmdesk.core.roles import WORKERS

from ..models import AUM_CATEGORIES, Customer, Holding, ProductCategory
from ..scope import get_customer_or_404, visible_customers
from .cleaning import parse_amount, parse_date
from .tiers import recompute_tier


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


@business_action(roles=WORKERS, subject=in_scope(visible_customers, write=True))
def save_holding(
    actor, customer_id, *, product, balance, account_no="", opened_on=None, closed_on=None, matures_on=None
):
    """Open or update a holding (upsert by account number, else product) and recompute AUM and tier.

    `matures_on` (到期日, SPEC §3 product-maturity reminders): empty keeps the holding's current date."""
    customer = get_customer_or_404(actor, customer_id, write=True)
    errors = {}
    amount = parse_amount(balance, "balance", errors, allow_negative=False)
    opened = parse_date(opened_on, "opened_on", errors)
    closed = parse_date(closed_on, "closed_on", errors)
    matures = parse_date(matures_on, "matures_on", errors)
    if amount is None and "balance" not in errors:
        errors["balance"] = _("请填写余额。")
    if opened and closed and closed < opened:
        errors["closed_on"] = _("销户日期不能早于开户日期。")
    if opened and matures and matures < opened:
        errors["matures_on"] = _("到期日不能早于开户日期。")
    if errors:
        raise ValidationError({k: [v] for k, v in errors.items()})
    lookup = {"account_no": account_no} if account_no else {"product": product, "account_no": ""}
    holding = Holding.objects.filter(customer=customer, **lookup).first() or Holding(
        customer=customer, account_no=account_no
    )
    before = (
        {"balance": holding.balance, "closed_on": holding.closed_on, "matures_on": holding.matures_on}
        if holding.pk
        else None
    )
    holding.product = product
    holding.balance = amount
    holding.opened_on = opened or holding.opened_on or timezone.localdate()
    holding.closed_on = closed
    holding.matures_on = matures or holding.matures_on
    holding.save()
    recompute_aggregates(customer)
    audit.record(
        actor,
        "customers.holding_save",
        holding,
        before=before,
        after={
            "customer": customer.pk,
            "product": product.code,
            "balance": amount,
            "closed_on": closed,
            "matures_on": holding.matures_on,
        },
    )
    return holding
