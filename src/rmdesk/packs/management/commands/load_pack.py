"""`manage.py load_pack NAME [--check]`: load an industry pack idempotently (docs/operations.md "Industry packs")."""

from django.core.management.base import BaseCommand, CommandError

from rmdesk.packs.services import PackInvalid, apply_pack, available


class Command(BaseCommand):
    help = "Load an industry pack (bank, telecom, tobacco, insurance, key_account); a second load changes nothing."

    def add_arguments(self, parser):
        parser.add_argument("name", help="one of: " + ", ".join(available()))
        parser.add_argument("--check", action="store_true", help="validate and report, keep nothing")

    def handle(self, name, check=False, **options):
        try:
            result = apply_pack(name, dry_run=check)
        except PackInvalid as exc:
            lines = [f"  {path}: {' '.join(map(str, msgs))}" for path, msgs in exc.message_dict.items()]
            raise CommandError(f"pack {name} is invalid, nothing was loaded:\n" + "\n".join(lines)) from None
        self.stdout.write(
            f"pack {result.pack} {result.version}{' (check only)' if check else ''}: "
            f"{len(result.created)} created, {len(result.updated)} updated, {len(result.adopted)} adopted, "
            f"{result.unchanged} unchanged, {len(result.kept)} kept as users left them, "
            f"{len(result.deleted_by_users)} deleted by users"
        )
        for label in result.kept:
            self.stdout.write(f"  kept: {label}")
