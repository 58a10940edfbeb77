"""`manage.py backup [--out DIR]`: a consistent dump of the database plus a signed manifest
(issue 17, docs/operations.md).

PostgreSQL: `pg_dump -Fc` run on a snapshot exported from a REPEATABLE READ transaction, in which the
manifest's row counts and audit head are read too, so dump and manifest describe the same instant.
SQLite: the online backup API (`sqlite3.Connection.backup`), the counts read from the copy.
The manifest (`<dump>.manifest.json`: row counts per table, the audit chain's head, the dump's
SHA-256) is signed with the audit key; `restore_check` verifies a dump against it.
"""

import hashlib
import json
import os
import sqlite3
import subprocess
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from django.utils import timezone

from rmdesk.core import audit


def file_sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def table_counts(cursor, tables) -> dict:
    counts = {}
    for t in sorted(tables):
        cursor.execute(f'SELECT COUNT(*) FROM "{t}"')  # noqa: S608 (names from the introspection)
        counts[t] = cursor.fetchone()[0]
    return counts


def pg_env(settings_dict: dict) -> dict:
    env = dict(os.environ)
    if settings_dict.get("PASSWORD"):
        env["PGPASSWORD"] = str(settings_dict["PASSWORD"])
    return env


def pg_args(settings_dict: dict) -> list[str]:
    args = []
    if settings_dict.get("HOST"):
        args += ["-h", str(settings_dict["HOST"])]
    if settings_dict.get("PORT"):
        args += ["-p", str(settings_dict["PORT"])]
    if settings_dict.get("USER"):
        args += ["-U", str(settings_dict["USER"])]
    return args


def sign_manifest(manifest: dict) -> dict:
    body = {k: v for k, v in manifest.items() if k != "mac"}
    return {**body, "mac": audit._sign(body)}


def manifest_signature_ok(manifest: dict) -> bool:
    body = {k: v for k, v in manifest.items() if k != "mac"}
    return audit.hmac.compare_digest(manifest.get("mac", ""), audit._sign(body))


class Command(BaseCommand):
    help = "Back up the database (pg_dump -Fc / SQLite backup API) with a signed manifest"

    def add_arguments(self, parser):
        parser.add_argument("--out", default=None, help="directory (default RMDESK_BACKUP_DIR, var/backups)")

    def handle(self, *args, **options):
        out = Path(options["out"] or settings.RMDESK_BACKUP_DIR)
        out.mkdir(parents=True, exist_ok=True)
        stamp = timezone.now().strftime("%Y%m%dT%H%M%S%f")
        vendor = connection.vendor
        if vendor == "postgresql":
            dump = out / f"rmdesk-{stamp}.dump"
            tables, head, pending = self._pg_dump(dump)
        elif vendor == "sqlite":
            dump = out / f"rmdesk-{stamp}.sqlite3"
            tables, head, pending = self._sqlite_backup(dump)
        else:
            raise CommandError(f"no backup procedure for {vendor}")
        manifest = sign_manifest(
            {
                "vendor": vendor,
                "created": timezone.now().isoformat(),
                "dump": dump.name,
                "dump_sha256": file_sha256(dump),
                "tables": tables,
                "audit": head,
                "audit_pending": pending,
            }
        )
        manifest_path = dump.with_name(dump.name + ".manifest.json")
        manifest_path.write_text(json.dumps(manifest, indent=1, sort_keys=True, ensure_ascii=False))
        self.stdout.write(
            f"backup {dump} ({sum(tables.values())} rows in {len(tables)} tables, audit head id="
            f"{head['last_id']}), manifest {manifest_path}"
        )
        return None

    def _pg_dump(self, dump: Path):
        sd = connection.settings_dict
        with transaction.atomic():
            with connection.cursor() as cur:
                cur.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
                cur.execute("SELECT pg_export_snapshot()")
                snapshot = cur.fetchone()[0]
                tables = table_counts(cur, connection.introspection.table_names(cur))
            head = audit.head_state()
            pending = audit.AuditPending.objects.count()
            cmd = ["pg_dump", "-Fc", "--no-owner", f"--snapshot={snapshot}", "-f", str(dump), *pg_args(sd), sd["NAME"]]
            res = subprocess.run(cmd, env=pg_env(sd), capture_output=True, text=True)
            if res.returncode:
                raise CommandError(f"pg_dump failed: {res.stderr.strip()}")
        return tables, head, pending

    def _sqlite_backup(self, dump: Path):
        connection.ensure_connection()
        dst = sqlite3.connect(dump)
        try:
            connection.connection.backup(dst)
        finally:
            dst.close()
        # Counts and head read from the copy itself: exactly what the file holds.
        from rmdesk.core.management.commands.restore_check import scratch_alias

        with scratch_alias(dump) as alias:
            from django.db import connections

            with connections[alias].cursor() as cur:
                tables = table_counts(cur, connections[alias].introspection.table_names(cur))
            head = audit.head_state(alias)
            pending = audit.AuditPending.objects.using(alias).count()
        return tables, head, pending
