"""cron (every minute): `manage.py run_notices` — send due channel deliveries (retries with back-off, the end of
quiet hours) and mark those whose worker died mid-send as uncertain (rmdesk.core.channels, SPEC §3)."""

from django.core.management.base import BaseCommand

from rmdesk.core import channels


class Command(BaseCommand):
    help = "Send due notice deliveries to WeCom, DingTalk and e-mail; report deliveries lost mid-send"

    def handle(self, *args, **options):
        totals = channels.sweep()
        self.stdout.write("notices: " + ", ".join(f"{k}={v}" for k, v in totals.items()))
