"""Recompute every customer's contact cadence state with set-based SQL (SPEC §3)."""

import time

from django.core.management.base import BaseCommand

from rmdesk.work.cadence import recompute_all


class Command(BaseCommand):
    help = "Recompute contact cadence (last contact, next due date, status) for all customers"

    def add_arguments(self, parser):
        parser.add_argument(
            "--from-interactions", action="store_true", help="also rebuild last contacts from the interaction table"
        )

    def handle(self, *args, **options):
        t0 = time.monotonic()
        out = recompute_all(from_interactions=options["from_interactions"])
        self.stdout.write(f"cadence: {out} in {time.monotonic() - t0:.1f}s")
