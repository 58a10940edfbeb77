"""`manage.py scan_churn` — the daily churn scan (SPEC §5): lost and at-risk customers onto the watch list,
recoveries, and the retention triggers of the industry pack (话费异动, 零话费/欠费停机) with their scripted calls.
The scheduler runs it at 06:10, after the night's imports of the core system's figures."""

from django.core.management.base import BaseCommand

from rmdesk.service import churn


class Command(BaseCommand):
    help = "Scan customers for churn, risk and the retention triggers"

    def handle(self, *args, **options):
        res = churn.scan()
        self.stdout.write("churn: " + ", ".join(f"{k}={v}" for k, v in res.items()))
