"""Retention (网络安全法, at least six months): archive_audit moves old events out of the hot table into
signed compressed files, never deleting them, and verify_audit verifies across the boundary (issue 17)."""

import gzip
import json
from datetime import timedelta

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.core.management import CommandError, call_command
from django.db import connection, transaction
from django.utils import timezone

from rmdesk.core import audit
from rmdesk.core.models import AuditEvent

pytestmark = pytest.mark.django_db


@pytest.fixture
def dirs(settings, tmp_path):
    settings.RMDESK_AUDIT_CHECKPOINTS = True
    settings.RMDESK_AUDIT_CHECKPOINT_DIR = tmp_path / "audit"
    settings.RMDESK_AUDIT_ARCHIVE_DIR = tmp_path / "audit" / "archive"
    settings.RMDESK_AUDIT_RETENTION_DAYS = 183
    return tmp_path / "audit" / "archive"


def _aged_events(n, days_ago):
    """Events as if recorded `days_ago` days back (through the chain, with their old timestamps)."""
    at = timezone.now() - timedelta(days=days_ago)
    with transaction.atomic():
        audit._lock()
        audit._chain(
            [
                AuditEvent(action="test.old", object_type="x", object_id=str(i), at=at, summary={"i": i})
                for i in range(n)
            ]
        )


def test_old_events_move_to_signed_files_and_the_chain_still_verifies(world, dirs):
    _aged_events(5, days_ago=400)
    _aged_events(2, days_ago=100)  # younger than the retention: stay hot
    audit.record(world.rm, "test.new")
    all_before = list(AuditEvent.objects.order_by("id").values_list("id", "hash"))
    call_command("archive_audit")
    assert AuditEvent.objects.count() == 3
    index = [json.loads(x) for x in (dirs / "index.jsonl").read_text().splitlines()]
    assert [(e["count"], e["first_id"], e["last_id"]) for e in index] == [(5, all_before[0][0], all_before[4][0])]
    archived = [json.loads(x) for x in gzip.decompress((dirs / index[0]["file"]).read_bytes()).decode().splitlines()]
    assert [(r["id"], r["hash"]) for r in archived] + list(
        AuditEvent.objects.order_by("id").values_list("id", "hash")
    ) == all_before  # nothing lost, nothing altered
    rep = audit.verify()
    assert rep.ok and (rep.checked, rep.archived, rep.head["count"]) == (8, 5, 8)
    call_command("verify_audit")
    audit.record(world.rm, "test.later")
    call_command("verify_audit")
    assert call_command("archive_audit") is None  # nothing more to archive: still one file
    assert len((dirs / "index.jsonl").read_text().splitlines()) == 1


def test_an_altered_archive_file_is_detected(world, dirs):
    _aged_events(4, days_ago=300)
    audit.record(world.rm, "test.new")
    call_command("archive_audit")
    entry = json.loads((dirs / "index.jsonl").read_text())
    path = dirs / entry["file"]
    rows = gzip.decompress(path.read_bytes()).decode().replace('"test.old"', '"forged"', 1)
    path.write_bytes(gzip.compress(rows.encode()))
    with pytest.raises(CommandError, match="archive unreadable: archive file .* does not match its digest"):
        call_command("verify_audit")


def test_a_removed_archive_is_detected_by_the_checkpoint(world, dirs):
    _aged_events(4, days_ago=300)
    audit.record(world.rm, "test.new")
    call_command("archive_audit")
    (dirs / "index.jsonl").unlink()
    with pytest.raises(CommandError, match="prev_hash does not match|archive files missing"):
        call_command("verify_audit")


def test_deleting_the_first_hot_event_after_the_boundary_is_detected(world, dirs):
    _aged_events(3, days_ago=300)
    audit.record(world.rm, "test.a")
    audit.record(world.rm, "test.b")
    call_command("archive_audit")
    first_hot = AuditEvent.objects.order_by("id").first()
    with connection.cursor() as cur:
        cur.execute("DELETE FROM org_auditevent WHERE id = %s", [first_hot.id])
    with pytest.raises(CommandError, match="deleted or re-linked"):
        call_command("verify_audit")


def test_retention_below_six_months_is_refused(world, dirs):
    _aged_events(3, days_ago=100)
    with pytest.raises(CommandError, match="at least 183"):
        call_command("archive_audit", "--days", "90")
    with pytest.raises(ImproperlyConfigured, match="183"):
        audit.archive_old(days=90)
    assert AuditEvent.objects.count() == 3


def test_a_run_that_died_before_leaving_the_hot_table_is_finished_by_the_next(world, dirs, monkeypatch):
    _aged_events(3, days_ago=300)
    audit.record(world.rm, "test.new")
    real_connections = audit.connections

    class Dies:
        """The process dies once the file and its index are on disk, before the hot rows are deleted."""

        def __getitem__(self, alias):
            if (dirs / "index.jsonl").exists():
                raise RuntimeError("killed after writing the file")
            return real_connections[alias]

    monkeypatch.setattr(audit, "connections", Dies())
    with pytest.raises(RuntimeError):
        audit.archive_old()
    monkeypatch.setattr(audit, "connections", real_connections)
    assert AuditEvent.objects.count() == 4  # rows still hot, file written
    assert json.loads((dirs / "index.jsonl").read_text())["count"] == 3
    assert audit.verify().ok  # hot copies of archived rows are skipped, not double counted
    call_command("archive_audit")
    assert AuditEvent.objects.count() == 1
    call_command("verify_audit")
