"""Taking the daily snapshots (SPEC §11): two grouped queries over the archive, replacing the day's rows, so a
re-run on the same day is harmless."""

from datetime import date

from django.db import transaction
from django.db.models import Count, Sum
from django.utils import timezone

from rmdesk.customers.models import Customer

from .models import BookSnapshot, UnitTierSnapshot


@transaction.atomic
def take(day: date | None = None) -> dict:
    day = day or timezone.localdate()
    live = Customer.objects.filter(is_anonymised=False)
    by_unit = (
        live.values("org_unit_id", "org_path", "tier__code", "tier__name", "tier__rank")
        .annotate(n=Count("id"), aum=Sum("aum"))
        .order_by()
    )
    UnitTierSnapshot.objects.filter(day=day).delete()
    UnitTierSnapshot.objects.bulk_create(
        [
            UnitTierSnapshot(
                day=day,
                org_unit_id=r["org_unit_id"],
                org_path=r["org_path"],
                tier_code=r["tier__code"] or "",
                tier_name=r["tier__name"] or "",
                tier_rank=r["tier__rank"] or 0,
                customers=r["n"],
                aum=r["aum"] or 0,
            )
            for r in by_unit
        ],
        batch_size=2000,
    )
    books = (
        live.filter(a_rm__isnull=False).values("a_rm_id", "a_rm__unit__path").annotate(n=Count("id"), aum=Sum("aum"))
    )
    BookSnapshot.objects.filter(day=day).delete()
    BookSnapshot.objects.bulk_create(
        [
            BookSnapshot(
                day=day, rm_id=r["a_rm_id"], org_path=r["a_rm__unit__path"] or "", customers=r["n"], aum=r["aum"] or 0
            )
            for r in books.order_by()
        ],
        batch_size=2000,
    )
    return {
        "units": UnitTierSnapshot.objects.filter(day=day).count(),
        "books": BookSnapshot.objects.filter(day=day).count(),
    }
