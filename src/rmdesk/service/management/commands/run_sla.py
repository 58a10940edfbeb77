"""cron: `manage.py run_sla` — one SLA pass over open cases (and, with --churn, the churn scan)."""

from django.core.management.base import BaseCommand

from rmdesk.service import churn, sla


class Command(BaseCommand):
    help = "Run the SLA engine once: at-risk and breach notices, escalation up the org tree (SPEC §5)"

    def add_arguments(self, parser):
        parser.add_argument("--churn", action="store_true", help="also scan customers for churn and risk")

    def handle(self, *args, **options):
        totals = sla.run()
        self.stdout.write("sla: " + ", ".join(f"{k}={v}" for k, v in totals.items()))
        if options["churn"]:
            res = churn.scan()
            self.stdout.write("churn: " + ", ".join(f"{k}={v}" for k, v in res.items()))
