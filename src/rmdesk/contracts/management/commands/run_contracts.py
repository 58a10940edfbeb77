"""cron / embedded scheduler: `manage.py run_contracts` — daily reminders of the contracts app (SPEC §7):
overdue borrowings to the borrower and the custodians (working days only, from the first working day
after the due date), expiring contracts to their RM (renew, or record why not), overdue receivables to
their RM (帐款跟催)."""

from django.core.management.base import BaseCommand

from rmdesk.contracts import services


class Command(BaseCommand):
    help = "Contracts: overdue borrowings, expiring contracts, overdue receivables"

    def handle(self, *args, **options):
        borrowings = services.borrowing_overdue_notices()
        expiring = services.expiry_notices()
        receivables = services.overdue_receivable_notices()
        self.stdout.write(
            f"overdue borrowing reminders {borrowings}, expiry reminders {expiring}, overdue receivables {receivables}"
        )
