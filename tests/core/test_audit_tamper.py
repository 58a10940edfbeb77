"""Tampering by someone who can write the database but has not the key (issue 17): deleting the
newest events, or rewriting one and re-hashing everything after it, makes verify_audit fail, thanks
to the keyed hashes and the signed checkpoints kept outside the database."""

import json

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from rmdesk.core import audit
from rmdesk.core.models import AuditEvent

pytestmark = pytest.mark.django_db


@pytest.fixture
def checkpoints(settings, tmp_path):
    settings.RMDESK_AUDIT_CHECKPOINTS = True
    settings.RMDESK_AUDIT_CHECKPOINT_DIR = tmp_path / "audit"
    settings.RMDESK_AUDIT_ARCHIVE_DIR = tmp_path / "audit" / "archive"
    return tmp_path / "audit" / "checkpoints.jsonl"


def _events(world, n=6):
    for i in range(n):
        audit.record(world.rm, "test.event", object_type="x", object_id=i, after={"i": i})
    return list(AuditEvent.objects.order_by("id"))


def _rehash_from(rows, start, alg, key=None):
    """What an attacker with SQL but without the key can do: change row `start`, recompute every hash
    after it (plain SHA-256, or HMAC with a key of their own) and write them back."""
    prev = rows[start - 1].hash if start else audit.GENESIS
    with connection.cursor() as cur:
        for i, row in enumerate(rows[start:], start):
            if i == start:
                row.action = "forged"
            row.prev_hash, row.alg = prev, alg
            row.hash = row.compute_hash(key)
            cur.execute(
                "UPDATE org_auditevent SET action = %s, prev_hash = %s, hash = %s, alg = %s WHERE id = %s",
                [row.action, row.prev_hash, row.hash, row.alg, row.id],
            )
            prev = row.hash


def test_verify_writes_a_signed_checkpoint(world, checkpoints):
    rows = _events(world, 3)
    call_command("verify_audit")
    entry = json.loads(checkpoints.read_text().splitlines()[-1])
    assert entry["last_id"] == rows[-1].id and entry["head_hash"] == rows[-1].hash and entry["count"] == 3
    assert len(entry["mac"]) == 64
    _events(world, 2)  # the chain grows: still intact against the older checkpoint
    call_command("verify_audit")
    call_command("audit_checkpoint")
    assert len(checkpoints.read_text().splitlines()) == 3


def test_deleting_the_newest_events_is_detected(world, checkpoints):
    rows = _events(world, 6)
    call_command("verify_audit")
    with connection.cursor() as cur:  # the chain itself stays consistent: only its tail is gone
        cur.execute("DELETE FROM org_auditevent WHERE id >= %s", [rows[-2].id])
    assert audit.verify_chain() == (4, None, "")
    with pytest.raises(CommandError, match=r"newest events deleted: the chain has 4 events .* recorded 6"):
        call_command("verify_audit")


def test_rewriting_and_rehashing_without_the_key_is_detected(world, checkpoints):
    rows = _events(world, 6)
    call_command("verify_audit")
    _rehash_from(rows, 2, "hmac-sha256", key=b"attacker-guessed-key-0123456789")
    with pytest.raises(CommandError, match=f"id={rows[2].id}.*altered"):
        call_command("verify_audit")


def test_rewriting_the_whole_chain_as_plain_sha_is_caught_by_the_checkpoint(world, checkpoints):
    """Re-hashing from the genesis with plain SHA-256 makes a self-consistent unkeyed chain, as the
    old one was; the checkpoint outside the database still names the real head."""
    rows = _events(world, 6)
    call_command("verify_audit")
    _rehash_from(rows, 0, "sha256")
    assert audit.verify_chain() == (6, None, "")  # the chain alone looks fine
    with pytest.raises(CommandError, match=f"chain rewritten: event id={rows[-1].id}"):
        call_command("verify_audit")


def test_deleting_a_middle_event_and_relinking_is_caught(world, checkpoints):
    rows = _events(world, 6)
    call_command("verify_audit")
    with connection.cursor() as cur:
        cur.execute("DELETE FROM org_auditevent WHERE id = %s", [rows[2].id])
    rest = [r for r in rows if r.id != rows[2].id]
    _rehash_from(rest, 0, "sha256")
    with pytest.raises(CommandError, match="chain rewritten"):
        call_command("verify_audit")


def test_an_edited_checkpoint_is_refused(world, checkpoints):
    _events(world, 3)
    call_command("verify_audit")
    entry = json.loads(checkpoints.read_text())
    entry["count"] = 2
    checkpoints.write_text(json.dumps(entry) + "\n")
    with pytest.raises(CommandError, match="checkpoint line 1 has a bad signature"):
        call_command("verify_audit")


def test_a_plain_sha_rehash_without_any_checkpoint_still_fails_after_the_key(world, checkpoints):
    """Only from a keyed row on: rewriting the tail with plain SHA-256 is refused by the chain walk."""
    rows = _events(world, 4)
    _rehash_from(rows, 3, "sha256")
    assert AuditEvent.objects.get(id=rows[3].id).alg == "sha256"
    with pytest.raises(CommandError, match=f"id={rows[3].id}.*plain SHA-256"):
        call_command("verify_audit")
