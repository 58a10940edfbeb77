"""Fail import jobs whose worker stopped making progress (SPEC §2; issue 10). The embedded scheduler
runs it every 5 minutes (rmdesk.core.scheduler); at scale, cron runs `manage.py sweep_imports`."""

from django.core.management.base import BaseCommand

from rmdesk.customers.services import sweep_stalled_imports


class Command(BaseCommand):
    help = "Mark import jobs without progress for RMDESK_IMPORT_STALL_MINUTES (default 10) as failed"

    def handle(self, *args, **options):
        failed = sweep_stalled_imports()
        self.stdout.write(f"stalled imports failed: {failed}")
