"""`manage.py audit_checkpoint`: append the audit chain's head (last sealed id, its hash, the count,
the archive boundary), signed with the audit key, to the checkpoint file outside the database
(issue 17). Periodic; verify_audit also writes one after each intact run."""

from django.core.management.base import BaseCommand

from rmdesk.core import audit


class Command(BaseCommand):
    help = "Append a signed checkpoint of the audit chain's head outside the database"

    def handle(self, *args, **options):
        entry = audit.write_checkpoint()
        self.stdout.write(
            f"checkpoint: {entry['count']} events, head id={entry['last_id']} → {audit.checkpoint_path()}"
        )
