"""cron / embedded scheduler: `manage.py run_credit` — early warnings from the yearly financials,
escalation of warnings not handled in time, notices of overdue post-loan checks and of reviews due
or past their working-day deadline, and of complete applications due or past due for submission (SPEC §6)."""

from django.core.management.base import BaseCommand

from rmdesk.credit import services


class Command(BaseCommand):
    help = "Credit: financial warnings, warning escalation, overdue post-loan checks, review and submission SLA notices"

    def handle(self, *args, **options):
        made = services.scan_financials()
        moved = services.escalate_warnings()
        overdue = services.overdue_check_notices()
        reviews = services.review_notices()
        submissions = services.submission_notices()
        self.stdout.write(
            f"warnings {len(made)}, escalated {len(moved)}, overdue checks {overdue}, review notices {reviews}, "
            f"submission notices {submissions}"
        )
