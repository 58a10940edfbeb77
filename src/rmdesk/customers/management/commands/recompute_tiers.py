"""Re-tier every customer against the rule set in use for its kind (run daily from cron), SPEC §2."""

from django.core.management.base import BaseCommand

from rmdesk.customers.services import recompute_all_tiers


class Command(BaseCommand):
    help = "Recompute customer tiers against the active tier rule set"

    def handle(self, *args, **options):
        changes = recompute_all_tiers()
        self.stdout.write(f"tier changes: {changes}")
