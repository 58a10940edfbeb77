"""The audit chain is keyed with a key outside the database; rows from before the key still verify
(issue 17, rmdesk.core.audit)."""

import hashlib
import hmac
import json
import stat

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.core.management import CommandError, call_command
from django.db import connection, transaction

from rmdesk.core import audit
from rmdesk.core.models import AuditEvent

pytestmark = pytest.mark.django_db


def _body(ev):
    return json.dumps(ev.content(), sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)


def test_new_events_are_hmac_with_the_configured_key(world, settings):
    settings.RMDESK_AUDIT_KEY = "k" * 32
    ev = audit.record(world.rm, "test.keyed", object_type="x", object_id=1, after={"n": 1})
    ev.refresh_from_db()
    assert ev.alg == "hmac-sha256"
    assert ev.hash == hmac.new(b"k" * 32, (audit.GENESIS + _body(ev)).encode(), hashlib.sha256).hexdigest()
    assert ev.hash != hashlib.sha256((audit.GENESIS + _body(ev)).encode()).hexdigest()
    call_command("verify_audit")
    settings.RMDESK_AUDIT_KEY = "another-key-of-the-same-length!!"  # someone without the key
    with pytest.raises(CommandError, match=f"id={ev.id}.*altered"):
        call_command("verify_audit")


def _legacy_rows(n):
    """Rows as the chain held them before issue 17: plain SHA-256."""
    prev = audit.GENESIS
    rows = []
    for i in range(n):
        ev = AuditEvent(action="legacy.event", object_type="x", object_id=str(i), prev_hash=prev, alg="sha256")
        ev.hash = ev.compute_hash()
        ev.save()
        prev = ev.hash
        rows.append(ev)
    return rows


def test_switch_over_event_keys_the_chain_after_legacy_rows(world):
    legacy = _legacy_rows(2)
    ev = audit.record(world.rm, "test.after_key")
    events = list(AuditEvent.objects.order_by("id"))
    assert [e.action for e in events] == ["legacy.event", "legacy.event", audit.KEYED_ACTION, "test.after_key"]
    switch = events[2]
    assert switch.prev_hash == legacy[-1].hash and switch.alg == "hmac-sha256"
    assert switch.summary == {"legacy_events": 2}
    assert events[3].id == ev.id and events[3].prev_hash == switch.hash
    assert audit.verify_chain() == (4, None, "")
    # the old part is still verified
    with connection.cursor() as cur:
        cur.execute("UPDATE org_auditevent SET object_id = %s WHERE id = %s", ["forged", legacy[0].id])
    assert audit.verify_chain()[1:] == (legacy[0].id, "content does not match its hash (the event was altered)")


def test_a_plain_sha_row_after_the_switch_over_is_refused(world):
    audit.record(world.rm, "test.one")
    second = audit.record(world.rm, "test.two")
    # An attacker without the key rewrites the newest row and re-hashes it with plain SHA-256.
    second.refresh_from_db()
    second.action, second.alg = "forged", "sha256"
    forged_hash = second.compute_hash()
    with connection.cursor() as cur:
        cur.execute(
            "UPDATE org_auditevent SET action = %s, alg = %s, hash = %s WHERE id = %s",
            ["forged", "sha256", forged_hash, second.id],
        )
    with pytest.raises(CommandError, match=f"id={second.id}.*plain SHA-256 event after the chain was keyed"):
        call_command("verify_audit")


def test_embedded_default_creates_a_private_key_file(settings, tmp_path):
    settings.RMDESK_AUDIT_KEY = ""
    settings.RMDESK_AUDIT_KEY_FILE = ""
    settings.VAR_DIR = tmp_path
    audit._key_cache.clear()
    key = audit.audit_key()
    path = tmp_path / "audit.key"
    assert path.exists() and len(key) == 64
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    audit._key_cache.clear()
    assert audit.audit_key() == key  # read back, not regenerated


def test_a_missing_key_file_is_refused(settings, tmp_path):
    settings.RMDESK_AUDIT_KEY = ""
    settings.RMDESK_AUDIT_KEY_FILE = str(tmp_path / "nope.key")
    audit._key_cache.clear()
    with pytest.raises(ImproperlyConfigured, match="does not exist"):
        audit.audit_key()


def test_business_write_and_its_event_commit_together(world):
    with pytest.raises(RuntimeError):
        with transaction.atomic():
            audit.record(world.rm, "test.rolled_back")
            raise RuntimeError
    assert not AuditEvent.objects.filter(action="test.rolled_back").exists()
