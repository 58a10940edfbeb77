"""The month-end tier evaluation on the monthly daily average (SPEC §2, issue 19): upgrades at once,
downgrades after the rule set's consecutive months below with the 关注 watch first. Without --month it
evaluates the month just ended once (the scheduler runs it nightly at 01:30)."""

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from rmdesk.customers.models import MonthlyBalance
from rmdesk.customers.services.monthly_tiers import EvaluationRefused, evaluate_month, parse_month, previous_month


class Command(BaseCommand):
    help = "Evaluate tiers on the monthly daily average of --month YYYY-MM (default: last month)"

    def add_arguments(self, parser):
        parser.add_argument("--month", help="the month to evaluate, YYYY-MM (default: the previous month)")

    def handle(self, *args, **options):
        if options.get("month"):
            try:
                month = parse_month(options["month"])
            except ValueError as exc:
                raise CommandError(f"--month must be YYYY-MM, not {options['month']!r}") from exc
        else:
            month = previous_month(timezone.localdate())
            # the scheduler runs this every night: the first run after a month ends evaluates it, the
            # others find it done (an explicit --month always re-runs, which changes nothing)
            if MonthlyBalance.objects.filter(month=month).exclude(outcome="").exists():
                self.stdout.write(f"{month:%Y-%m} already evaluated")
                return
        try:
            result = evaluate_month(month)
        except EvaluationRefused as exc:
            raise CommandError(str(exc)) from exc
        counts = ", ".join(f"{k}: {v}" for k, v in sorted(result.counts.items())) or "no monthly-average rule set"
        self.stdout.write(f"{month:%Y-%m} {counts}; entered watch: {result.entered_watch}")
