"""Backup and restore check (issue 17): `backup` writes a consistent dump and a signed manifest;
`restore_check` restores it into a scratch database, verifies the audit chain and compares every
table's row count, and fails naming any mismatch. On SQLite and PostgreSQL alike."""

import json

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from rmdesk.core import audit
from rmdesk.core.models import AuditEvent

# pg_dump and the restore read committed data from other sessions: a transactional test.
pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


@pytest.fixture
def backup(world, settings, tmp_path, capsys):
    settings.RMDESK_AUDIT_CHECKPOINT_DIR = tmp_path / "audit"
    settings.RMDESK_AUDIT_ARCHIVE_DIR = tmp_path / "audit" / "archive"
    for i in range(4):
        audit.record(world.rm, "test.event", object_type="x", object_id=i)
    audit.record(world.rm, "customers.view", object_type="customers.customer", object_id=1)
    call_command("backup", "--out", str(tmp_path / "backups"))
    dumps = [p for p in (tmp_path / "backups").iterdir() if not p.name.endswith(".manifest.json")]
    assert len(dumps) == 1
    capsys.readouterr()
    return dumps[0]


def _manifest(dump):
    return dump.with_name(dump.name + ".manifest.json")


def test_backup_writes_dump_and_manifest_and_restore_check_passes(backup, capsys):
    manifest = json.loads(_manifest(backup).read_text())
    assert manifest["vendor"] == connection.vendor
    assert manifest["tables"]["org_auditevent"] == AuditEvent.objects.count() == 5
    assert manifest["tables"]["org_user"] >= 12
    assert manifest["audit"]["last_id"] == AuditEvent.objects.order_by("-id").first().id
    call_command("restore_check", str(backup))
    out = capsys.readouterr().out
    assert "restore check passed" in out and "audit chain intact (5 events" in out
    if connection.vendor == "postgresql":  # the scratch database is gone again
        with connection.cursor() as cur:
            cur.execute("SELECT count(*) FROM pg_database WHERE datname LIKE 'rmdesk_restore_%%'")
            assert cur.fetchone()[0] == 0


def test_restore_check_fails_on_a_row_count_mismatch(backup):
    """A manifest re-signed with the key but counting a row more than the dump holds."""
    from rmdesk.core.management.commands.backup import sign_manifest

    manifest = json.loads(_manifest(backup).read_text())
    manifest["tables"]["org_user"] += 1
    _manifest(backup).write_text(json.dumps(sign_manifest(manifest)))
    with pytest.raises(CommandError, match=r"table org_user: \d+ rows restored, manifest says \d+"):
        call_command("restore_check", str(backup))


def test_restore_check_fails_on_an_edited_manifest(backup):
    manifest = json.loads(_manifest(backup).read_text())
    manifest["tables"]["org_auditevent"] = 4
    _manifest(backup).write_text(json.dumps(manifest))
    with pytest.raises(CommandError, match="manifest's signature does not match"):
        call_command("restore_check", str(backup))


def test_restore_check_fails_when_the_audit_head_differs(backup):
    """The dump's newest audit events are not those the manifest recorded (truncated chain)."""
    from rmdesk.core.management.commands.backup import sign_manifest

    manifest = json.loads(_manifest(backup).read_text())
    manifest["audit"]["count"] += 2
    manifest["audit"]["last_id"] += 2
    _manifest(backup).write_text(json.dumps(sign_manifest(manifest)))
    with pytest.raises(CommandError, match="newest events deleted"):
        call_command("restore_check", str(backup))


def test_restore_check_fails_on_a_corrupted_dump(backup):
    data = bytearray(backup.read_bytes())
    data[-100] ^= 0xFF
    backup.write_bytes(bytes(data))
    with pytest.raises(CommandError, match="SHA-256 differs"):
        call_command("restore_check", str(backup))
