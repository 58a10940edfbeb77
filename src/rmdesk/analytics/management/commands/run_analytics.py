"""cron (daily): `manage.py run_analytics` — take today's snapshots for the trend charts (SPEC §11)."""

from datetime import date

from django.core.management.base import BaseCommand

from rmdesk.analytics import snapshots


class Command(BaseCommand):
    help = "Take the daily snapshots of customers and AUM by unit and tier, and of each RM's book (SPEC §11)"

    def add_arguments(self, parser):
        parser.add_argument("--day", type=date.fromisoformat, help="the day to record (default: today)")

    def handle(self, *args, **options):
        totals = snapshots.take(options.get("day"))
        self.stdout.write("analytics: " + ", ".join(f"{k}={v}" for k, v in totals.items()))
