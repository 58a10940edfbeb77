"""Verify the audit trail (SPEC §8; issues 17, 18): the archive and the hot chain link by link with
the key, the unsealed backlog of read events, and the head against the last signed checkpoint
outside the database; exit non-zero naming the first problem. A good run appends a new checkpoint."""

from django.core.management.base import BaseCommand, CommandError

from rmdesk.core import audit


class Command(BaseCommand):
    help = "Verify the audit trail's keyed hash chain, archive and checkpoints; write a checkpoint"

    def add_arguments(self, parser):
        parser.add_argument("--database", default="default")
        parser.add_argument("--no-checkpoint", action="store_true", help="do not append a checkpoint when intact")

    def handle(self, *args, **options):
        using = options["database"]
        rep = audit.verify(using)
        if rep.broken_id is not None:
            raise CommandError(
                f"audit chain broken at event id={rep.broken_id} after {rep.checked} good events: {rep.reason}"
            )
        if rep.problems:
            raise CommandError("audit trail tampered: " + "; ".join(rep.problems))
        backlog = f"{rep.pending} read events awaiting sealing"
        if rep.pending_oldest:
            backlog += f" (oldest {rep.pending_oldest.isoformat()})"
        from django.conf import settings

        if getattr(settings, "RMDESK_AUDIT_CHECKPOINTS", True) and not options["no_checkpoint"]:
            audit.write_checkpoint(using, rep.head)
        self.stdout.write(
            self.style.SUCCESS(
                f"audit chain intact: {rep.checked} events verified ({rep.archived} archived), "
                f"head id={rep.head['last_id']}; {backlog}"
            )
        )
