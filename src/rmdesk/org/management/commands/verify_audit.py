"""Verify the audit trail's hash chain; exit non-zero naming the first broken link (SPEC §8)."""

from django.core.management.base import BaseCommand, CommandError

from rmdesk.core.audit import verify_chain


class Command(BaseCommand):
    help = "Verify the hash chain of the audit trail"

    def handle(self, *args, **options):
        checked, broken_id, reason = verify_chain()
        if broken_id is not None:
            raise CommandError(f"audit chain broken at event id={broken_id} after {checked} good events: {reason}")
        self.stdout.write(self.style.SUCCESS(f"audit chain intact: {checked} events verified"))
