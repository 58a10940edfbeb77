"""Visibility of customers: the one scope function every customer list, detail, search, export,
report and API call uses (SPEC §1, §2)."""

from rmdesk.core.scope import get_in_scope_or_404, visible

from .models import Customer


def visible_customers(user, *, write: bool = False):
    return visible(Customer.objects.all(), user, Customer.SCOPE, write=write)


def get_customer_or_404(user, pk, *, write: bool = False):
    return get_in_scope_or_404(Customer.objects.all(), user, Customer.SCOPE, write=write, pk=pk)
