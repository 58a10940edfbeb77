"""cron / embedded scheduler: `manage.py run_people` (daily) — reminders of certificates expiring or
expired (holder and team lead), of training points short of the renewal threshold before the
appointment's renewal (the RM), and of quarterly inspections still due in the last two weeks of a
quarter (team leads) (SPEC §10). Deduplicated: an unread reminder is not repeated."""

from django.core.management.base import BaseCommand

from rmdesk.people import services


class Command(BaseCommand):
    help = "People: certificate expiry, training-points renewal and inspection-due reminders"

    def handle(self, *args, **options):
        counts = services.daily_reminders()
        self.stdout.write(
            f"certificate reminders {counts['certificates']}, points reminders {counts['points']}, "
            f"inspection reminders {counts['inspections']}"
        )
