"""`manage.py archive_audit`: move audit events older than RMDESK_AUDIT_RETENTION_DAYS (at least 183,
网络安全法) from the hot table into signed, compressed JSON-lines files under the archive directory;
never deletes an event. The boundary is checkpointed; verify_audit verifies across it (issue 17)."""

from django.core.management.base import BaseCommand, CommandError

from rmdesk.core import audit


class Command(BaseCommand):
    help = "Archive audit events older than the retention period (never deletes them)"

    def add_arguments(self, parser):
        parser.add_argument("--days", type=int, default=None, help="retention in days (at least 183)")

    def handle(self, *args, **options):
        if options["days"] is not None and options["days"] < 183:
            raise CommandError("retention must be at least 183 days (网络安全法)")
        rep = audit.verify(checkpoints=False)
        if not rep.ok:
            raise CommandError("audit chain not intact, nothing archived: run verify_audit")
        entry = audit.archive_old(days=options["days"])
        if entry is None:
            self.stdout.write("nothing older than the retention period")
        else:
            self.stdout.write(
                f"archived {entry['count']} events (ids {entry['first_id']}–{entry['last_id']}) to {entry['file']}"
            )
