"""Customer structure risk (SPEC §6, seed 001:669 "优质客户、一般客户与劣质客户"): the share of good,
general and poor borrowers per RM and per unit, from the five-category classification of their loans
(a borrower counts by their worst loan: 正常 → good, 关注 → general, 次级/可疑/损失 → poor), as of
any day (the classification history), so the trend over the last quarters can be shown. Only loans
in the viewer's scope are counted."""

from collections import defaultdict
from datetime import date, datetime, time

from django.utils import timezone

from .models import Classification, ClassificationChange
from .scope import visible_loans

GOOD, GENERAL, POOR = "good", "general", "poor"
RANK = {
    Classification.NORMAL: 0,
    Classification.SPECIAL: 1,
    Classification.SUBSTANDARD: 2,
    Classification.DOUBTFUL: 3,
    Classification.LOSS: 4,
}


def grade(classification: str) -> str:
    rank = RANK.get(classification, 0)
    return GOOD if rank == 0 else (GENERAL if rank == 1 else POOR)


def _as_of(loans, changes_by_loan, day: date) -> dict:
    """{loan: classification on `day`} for the loans drawn by then."""
    end = timezone.make_aware(datetime.combine(day, time.max))
    out = {}
    for loan in loans:
        if loan.start_on > day:
            continue
        current = None
        for change in changes_by_loan.get(loan.pk, []):
            if change.at <= end:
                current = change.after
        out[loan] = current or loan.classification
    return out


def structure(user, *, day: date | None = None, by: str = "rm") -> list[dict]:
    """Rows per RM (by="rm") or per unit of the borrower (by="unit"): counts and shares (percent) of
    good, general and poor borrowers on `day` (default today)."""
    day = day or timezone.localdate()
    loans = list(visible_loans(user).select_related("rm", "customer__org_unit"))
    changes = defaultdict(list)
    for change in ClassificationChange.objects.filter(loan__in=loans).order_by("at", "id"):
        changes[change.loan_id].append(change)
    worst: dict[tuple, dict] = defaultdict(dict)  # group -> {customer_id: rank}
    labels = {}
    for loan, cls in _as_of(loans, changes, day).items():
        if by == "unit":
            key, label = loan.customer.org_unit_id, loan.customer.org_unit.name
        else:
            key, label = loan.rm_id, loan.rm.display_name
        labels[key] = label
        seen = worst[key].get(loan.customer_id)
        worst[key][loan.customer_id] = max(seen if seen is not None else 0, RANK.get(cls, 0))
    rows = []
    for key, ranks in worst.items():
        counts = {GOOD: 0, GENERAL: 0, POOR: 0}
        for rank in ranks.values():
            counts[GOOD if rank == 0 else (GENERAL if rank == 1 else POOR)] += 1
        total = sum(counts.values())
        rows.append(
            {
                "key": key,
                "label": labels[key],
                "total": total,
                **counts,
                **{f"{k}_pct": round(100 * v / total, 1) for k, v in counts.items()},
            }
        )
    return sorted(rows, key=lambda r: (-r["poor_pct"], str(r["label"])))


def quarter_ends(today: date, n: int = 4) -> list[date]:
    """The last `n` quarter ends before today, oldest first, then today."""
    points = []
    y, q = today.year, (today.month - 1) // 3  # the current quarter's index; step back from the previous one
    for _ in range(n):
        if q == 0:
            y, q = y - 1, 4
        end_month = q * 3
        points.append(date(y, end_month, 31 if end_month in (3, 12) else 30))
        q -= 1
    return sorted(points) + [today]


def trend(user, *, today: date | None = None) -> list[dict]:
    """The whole scope's shares at the last four quarter ends and today."""
    today = today or timezone.localdate()
    out = []
    for day in quarter_ends(today):
        rows = structure(user, day=day)
        counts = {k: sum(r[k] for r in rows) for k in (GOOD, GENERAL, POOR)}
        total = sum(counts.values())
        out.append(
            {
                "day": day,
                "total": total,
                **{f"{k}_pct": (round(100 * v / total, 1) if total else 0) for k, v in counts.items()},
            }
        )
    return out
