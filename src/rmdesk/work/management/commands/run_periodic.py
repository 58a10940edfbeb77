"""Run the work app's periodic jobs once (for cron): cadence recompute, required journals,
reminders, appointment reminders, digest e-mail (SPEC §3). See docs/work.md."""

from datetime import date

from django.core.management.base import BaseCommand

from rmdesk.work.tasks import run_daily

JOBS = ["cadence", "journals", "reminders", "appointments", "digest"]


class Command(BaseCommand):
    help = "Run the daily jobs of RM daily work once (meant for cron)"

    def add_arguments(self, parser):
        parser.add_argument("--only", default="", help=f"comma-separated subset of {','.join(JOBS)}")
        parser.add_argument("--date", default="", help="run as of this day (YYYY-MM-DD), default today")

    def handle(self, *args, **options):
        only = [j for j in options["only"].split(",") if j] or None
        bad = set(only or []) - set(JOBS)
        if bad:
            self.stderr.write(f"unknown job(s): {', '.join(sorted(bad))}")
            raise SystemExit(2)
        today = date.fromisoformat(options["date"]) if options["date"] else None
        for job, result in run_daily(today, only).items():
            self.stdout.write(f"{job}: {result}")
