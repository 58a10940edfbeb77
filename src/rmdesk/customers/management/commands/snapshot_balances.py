"""Add the day's balance of every archive tiered on the monthly daily average to its month (SPEC §2,
issue 19): run daily after the core banking system's figures are in. Idempotent per day."""

from datetime import date

from django.core.management.base import BaseCommand, CommandError

from rmdesk.customers.services.monthly_tiers import snapshot_balances


class Command(BaseCommand):
    help = "Snapshot today's (or --date's) tier metric into the monthly daily-average balances"

    def add_arguments(self, parser):
        parser.add_argument("--date", help="the snapshot date, YYYY-MM-DD (default: today)")

    def handle(self, *args, **options):
        day = None
        if options.get("date"):
            try:
                day = date.fromisoformat(options["date"])
            except ValueError as exc:
                raise CommandError(f"--date must be YYYY-MM-DD, not {options['date']!r}") from exc
        counted = snapshot_balances(day)
        self.stdout.write(f"balances snapshotted: {counted}")
