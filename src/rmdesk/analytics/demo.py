"""Demo data of the analytics app (SPEC §11): today's snapshots, and 90 earlier days derived from them with a
gentle growth and day-to-day noise, so the demo's trend charts have a history (a real installation builds it
one day at a time with `manage.py run_analytics`)."""

from datetime import timedelta
from decimal import Decimal

from django.utils import timezone

from . import snapshots
from .models import BookSnapshot, UnitTierSnapshot

DAYS = 90


def build(ctx):
    today = timezone.localdate()
    if UnitTierSnapshot.objects.filter(day=today - timedelta(days=DAYS)).exists():
        ctx.log("analytics: snapshots already there")
        return
    snapshots.take(today)
    units = list(UnitTierSnapshot.objects.filter(day=today))
    books = list(BookSnapshot.objects.filter(day=today))
    past_units, past_books = [], []
    for back in range(1, DAYS + 1):
        day = today - timedelta(days=back)
        factor = (
            Decimal(1) - Decimal("0.0011") * back + Decimal(ctx.rng.uniform(-0.004, 0.004)).quantize(Decimal("0.0001"))
        )
        for u in units:
            past_units.append(
                UnitTierSnapshot(
                    day=day,
                    org_unit_id=u.org_unit_id,
                    org_path=u.org_path,
                    tier_code=u.tier_code,
                    tier_name=u.tier_name,
                    tier_rank=u.tier_rank,
                    customers=u.customers,
                    aum=(u.aum * factor).quantize(Decimal("0.01")),
                )
            )
        for b in books:
            past_books.append(
                BookSnapshot(
                    day=day,
                    rm_id=b.rm_id,
                    org_path=b.org_path,
                    customers=b.customers,
                    aum=(b.aum * factor).quantize(Decimal("0.01")),
                )
            )
    UnitTierSnapshot.objects.bulk_create(past_units, batch_size=5000, ignore_conflicts=True)
    BookSnapshot.objects.bulk_create(past_books, batch_size=5000, ignore_conflicts=True)
    ctx.log(f"analytics: {len(units)} unit/tier and {len(books)} book snapshots for today and {DAYS} days before")
