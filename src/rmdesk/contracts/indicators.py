"""Indicators of the contracts app for assessment (SPEC §9 via rmdesk.core.indicators): the collection
rate (回款率) and the bad-debt rate (坏帐率) over the installments due in the period, and the contracts
signed (count and amount) — per RM, set-based (grouped queries for many RMs at once)."""

from decimal import Decimal

from django.db.models import Count, Sum
from django.utils.translation import gettext_lazy as _

from rmdesk.core.indicators import Direction, Indicator, Measure

from .models import Contract, ContractStatus


def _receivables(start, end, rm_ids):
    from .services import receivable_figures

    contracts = Contract.objects.all()
    if rm_ids is not None:
        contracts = contracts.filter(rm_id__in=list(rm_ids))
    return receivable_figures(contracts.values("pk"), start, end)


def collection_rate(start, end, rm_ids=None):
    return {rm: Measure.ratio(paid, due) for rm, (due, paid, _bad) in _receivables(start, end, rm_ids).items()}


def bad_debt_rate(start, end, rm_ids=None):
    return {rm: Measure.ratio(bad, due) for rm, (due, _paid, bad) in _receivables(start, end, rm_ids).items()}


def _signed(start, end, rm_ids):
    qs = Contract.objects.filter(status=ContractStatus.SIGNED, signed_on__gte=start, signed_on__lte=end)
    if rm_ids is not None:
        qs = qs.filter(rm_id__in=list(rm_ids))
    return qs.values("rm").annotate(n=Count("id"), amount=Sum("amount"))


def signed_count(start, end, rm_ids=None):
    return {row["rm"]: Measure(Decimal(row["n"])) for row in _signed(start, end, rm_ids)}


def signed_amount(start, end, rm_ids=None):
    return {row["rm"]: Measure(row["amount"] or Decimal(0)) for row in _signed(start, end, rm_ids)}


def installment_records(viewer, rm_id, start, end):
    from .scope import visible_installments

    return visible_installments(viewer).filter(contract__rm_id=rm_id, due_on__gte=start, due_on__lte=end)


def signed_records(viewer, rm_id, start, end):
    from .scope import visible_contracts

    return visible_contracts(viewer).filter(
        rm_id=rm_id, status=ContractStatus.SIGNED, signed_on__gte=start, signed_on__lte=end
    )


INDICATORS = [
    Indicator(
        code="contracts.collection_rate",
        name=_("回款率"),
        unit=_("%"),
        compute=collection_rate,
        records=installment_records,
        percent=True,
        description=_("期内到期应收中已回款的比例（回款金额 ÷ 应收金额）"),
    ),
    Indicator(
        code="contracts.bad_debt_rate",
        name=_("坏帐率"),
        unit=_("%"),
        compute=bad_debt_rate,
        direction=Direction.LOWER,
        records=installment_records,
        percent=True,
        description=_("期内到期应收中核销为坏帐的比例（核销金额 ÷ 应收金额）"),
    ),
    Indicator(
        code="contracts.signed_count",
        name=_("签订合同数"),
        unit=_("份"),
        compute=signed_count,
        records=signed_records,
    ),
    Indicator(
        code="contracts.signed_amount",
        name=_("签订合同金额"),
        unit=_("元"),
        compute=signed_amount,
        records=signed_records,
    ),
]
