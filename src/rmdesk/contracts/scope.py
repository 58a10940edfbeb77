"""Visibility of contracts and everything hanging off them (SPEC §1, §7): one scope function per family,
used by every list, page, export and API route of the app.

- a contract is seen by its RM, the customer's A/B-post RMs and, through `org_path` (the customer's
  unit), by the subtree managers and the read-only overseers (risk, compliance, assistants);
- a custodian (CustodianAssignment, data not a role) additionally sees, read-only, the signed
  contracts of which their custody role holds a copy in their unit's subtree — the contracts in
  custody, never the customers' archives (customers.scope is untouched);
- versions, attachments, copies, borrowings, installments and payments follow their contract.
Writes: the owners and the subtree managers (team lead, branch manager); the services add the
business rules (custodians act on their copies, only the drafting RM submits).
"""

from django.db.models import Q

from rmdesk.core.scope import ScopeSpec, get_or_404, scope_q

from .models import Borrowing, Contract, ContractStatus, CustodianAssignment, Installment

CONTRACT_SCOPE = ScopeSpec(owner_fields=("rm", "customer__a_rm", "customer__b_rm"), path_fields=("org_path",))


def custody_q(user, prefix: str = "") -> Q | None:
    """Signed contracts whose copy of one of the user's custody roles lies in the user's custody units."""
    if not (getattr(user, "is_authenticated", False) and user.is_active):
        return None
    q, matched = Q(), False
    for role_id, path in CustodianAssignment.objects.filter(user=user).values_list("role_id", "unit__path"):
        q |= Q(**{f"{prefix}org_path__startswith": path, f"{prefix}copies__role_id": role_id})
        matched = True
    if not matched:
        return None
    return q & Q(**{f"{prefix}status": ContractStatus.SIGNED})


def is_custodian(user) -> bool:
    return bool(getattr(user, "is_authenticated", False)) and CustodianAssignment.objects.filter(user=user).exists()


def custodian_of(user, copy) -> bool:
    """Whether `user` keeps this copy: their custody role, a unit above (or at) the contract's unit."""
    paths = CustodianAssignment.objects.filter(user=user, role_id=copy.role_id).values_list("unit__path", flat=True)
    return any(copy.contract.org_path.startswith(p) for p in paths)


_UNREAD = object()


def visible_contracts(user, *, write: bool = False, custody=_UNREAD):
    """Contracts the user may see (or change). Custodians read the contracts in their custody only.
    `custody`: the user's `custody_q`, when the caller has read it already (the 360° slot keys its compiled
    query on it), so it is not read twice."""
    q = scope_q(user, CONTRACT_SCOPE, write=write)
    if not write:
        if custody is _UNREAD:
            custody = custody_q(user)
        if custody is not None:
            q = custody if q is None else (q | custody)
    if q is None:
        return Contract.objects.none()
    ids = Contract.objects.filter(q).values("pk")
    return Contract.objects.filter(pk__in=ids)


def get_contract_or_404(user, pk, *, write: bool = False):
    return get_or_404(visible_contracts(user, write=write), pk)


def visible_borrowings(user, *, write: bool = False):
    """Borrowings of the contracts the user sees (the custodian's history of their copies included)."""
    return Borrowing.objects.filter(contract__in=visible_contracts(user).values("pk"))


def get_borrowing_or_404(user, pk, *, write: bool = False):
    return get_or_404(visible_borrowings(user), pk)


def visible_installments(user, *, write: bool = False):
    """The payment schedules of the contracts the user sees (or may change)."""
    return Installment.objects.filter(contract__in=visible_contracts(user, write=write).values("pk"))


def get_installment_or_404(user, pk, *, write: bool = False):
    return get_or_404(visible_installments(user), pk)
