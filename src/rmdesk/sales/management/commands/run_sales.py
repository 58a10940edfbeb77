"""Daily sales job (SPEC §4): task and campaign deadline reminders, closing campaigns past their end.
Referral credit is decided when an opportunity is won (inside its window), so nothing waits for this job."""

from django.core.management.base import BaseCommand

from rmdesk.sales.services import daily


class Command(BaseCommand):
    help = "Daily sales job: marketing task and campaign deadline reminders, close ended campaigns"

    def handle(self, *args, **options):
        result = daily()
        self.stdout.write(
            f"sales: {result['tasks']} task reminders, {result['campaigns']} campaigns ending, "
            f"{result['closed']} closed"
        )
