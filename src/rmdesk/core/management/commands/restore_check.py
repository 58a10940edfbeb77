"""`manage.py restore_check <dump>`: restore a backup into a scratch database and check it (issue 17).

PostgreSQL: creates a new database, `pg_restore`s the dump into it, checks, drops it. SQLite: a copy
in a temporary file. Checks: the manifest's signature and the dump's SHA-256, the audit chain (keyed
hashes, archive boundary, the head the manifest recorded) and the row count of every table against
the manifest. Exits non-zero naming each mismatch.
"""

import contextlib
import json
import secrets
import shutil
import subprocess
import tempfile
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import connection, connections
from django.db.utils import load_backend

from rmdesk.core import audit
from rmdesk.core.management.commands.backup import (
    file_sha256,
    manifest_signature_ok,
    pg_args,
    pg_env,
    table_counts,
)


@contextlib.contextmanager
def scratch_alias(name):
    """A Django database alias pointing at database/file `name` (same engine and credentials as default)."""
    alias = f"restore_{secrets.token_hex(4)}"
    base = dict(connection.settings_dict)
    base.update({"NAME": str(name), "TEST": {}, "CONN_MAX_AGE": 0})
    # A connection of its own, not added to settings.DATABASES: no router or test isolation sees it.
    wrapper = load_backend(base["ENGINE"]).DatabaseWrapper(base, alias)
    connections[alias] = wrapper
    try:
        yield alias
    finally:
        wrapper.close()
        del connections[alias]


class Command(BaseCommand):
    help = "Restore a backup into a scratch database, verify the audit chain and row counts"

    def add_arguments(self, parser):
        parser.add_argument("dump")

    def handle(self, *args, **options):
        dump = Path(options["dump"])
        manifest_path = dump.with_name(dump.name + ".manifest.json")
        if not dump.exists() or not manifest_path.exists():
            raise CommandError(f"{dump} or its manifest {manifest_path.name} is missing")
        manifest = json.loads(manifest_path.read_text())
        problems = []
        if not manifest_signature_ok(manifest):
            problems.append("the manifest's signature does not match (edited, or signed with another key)")
        if file_sha256(dump) != manifest.get("dump_sha256"):
            problems.append("the dump's SHA-256 differs from the manifest's")
        if manifest.get("vendor") != connection.vendor:
            raise CommandError(f"a {manifest.get('vendor')} dump cannot be checked on {connection.vendor}")
        if problems:  # a dump that is not the one backed up is not restored at all
            raise CommandError("restore check failed: " + "; ".join(problems))
        with self._restored(dump) as alias:
            rep = audit.verify(alias, checkpoints=False, expect=manifest["audit"])
            if rep.broken_id is not None:
                problems.append(f"audit chain broken at event id={rep.broken_id}: {rep.reason}")
            problems.extend(rep.problems)
            with connections[alias].cursor() as cur:
                restored = table_counts(cur, connections[alias].introspection.table_names(cur))
            for table, n in sorted(manifest["tables"].items()):
                if restored.get(table) != n:
                    problems.append(f"table {table}: {restored.get(table)} rows restored, manifest says {n}")
            for table in sorted(set(restored) - set(manifest["tables"])):
                problems.append(f"table {table} restored but not in the manifest")
        if problems:
            raise CommandError("restore check failed: " + "; ".join(problems))
        self.stdout.write(
            self.style.SUCCESS(
                f"restore check passed: {len(restored)} tables, {sum(restored.values())} rows match the manifest; "
                f"audit chain intact ({rep.checked} events, head id={rep.head['last_id']})"
            )
        )

    @contextlib.contextmanager
    def _restored(self, dump: Path):
        if connection.vendor == "sqlite":
            with tempfile.TemporaryDirectory() as tmp:
                copy = Path(tmp) / "restore.sqlite3"
                shutil.copyfile(dump, copy)
                with scratch_alias(copy) as alias:
                    yield alias
            return
        sd = connection.settings_dict
        name = f"rmdesk_restore_{secrets.token_hex(4)}"
        with connection.cursor() as cur:
            cur.execute(f'CREATE DATABASE "{name}"')
        try:
            res = subprocess.run(
                ["pg_restore", "--no-owner", "--exit-on-error", "-d", name, *pg_args(sd), str(dump)],
                env=pg_env(sd),
                capture_output=True,
                text=True,
            )
            if res.returncode:
                raise CommandError(f"pg_restore failed: {res.stderr.strip()[:2000]}")
            with scratch_alias(name) as alias:
                yield alias
        finally:
            with connection.cursor() as cur:
                cur.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
