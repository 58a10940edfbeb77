"""cron / embedded scheduler: `manage.py run_compliance` (daily, e.g. 04:00) — the anomaly report over
yesterday's audit trail, reminders of pledges not signed in open rounds (from three days before the
deadline), reminders of unreviewed gift entries, and the monthly A/B cross-review schedule (SPEC §8)."""

from datetime import date, timedelta

from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from rmdesk.compliance import services
from rmdesk.compliance.models import RoundStatus, SigningRound


class Command(BaseCommand):
    help = "Compliance: anomaly report, pledge reminders, unreviewed gift reminders, A/B cross-review schedule"

    def add_arguments(self, parser):
        parser.add_argument("--day", type=date.fromisoformat, help="the day to examine (default: yesterday)")

    def handle(self, *args, **options):
        today = timezone.localdate()
        day = options.get("day") or today - timedelta(days=1)
        found = services.detect_anomalies(day=day)
        reminded = 0
        for rnd in SigningRound.objects.filter(status=RoundStatus.OPEN, deadline__lte=today + timedelta(days=3)):
            with transaction.atomic():
                reminded += services._remind(rnd)
        with transaction.atomic():
            gifts = services.unreviewed_gift_reminders(today=today)
        reviews = services.schedule_cross_reviews(month_of=today)
        self.stdout.write(
            f"anomalies {len(found)} ({day}), pledge reminders {reminded}, gift reminders {gifts}, "
            f"cross-reviews scheduled {reviews}"
        )
