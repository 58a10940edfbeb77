"""The append-only, hash-chained audit trail (SPEC §8 last bullet).

`record()` is called by every service inside the transaction of the business action it audits,
so an event exists if and only if the action committed.
"""

import contextvars
import json

from django.db import connection, transaction

from .models import AuditEvent

GENESIS = "0" * 64
_CHAIN_LOCK_KEY = 7_340_001  # PostgreSQL advisory lock id serialising appends to the chain

current_ip: contextvars.ContextVar = contextvars.ContextVar("rmdesk_audit_ip", default=None)


def _plain(value):
    """JSON-safe copy (Decimals, dates, UUIDs as strings) so the stored row hashes the same when re-read."""
    return json.loads(json.dumps(value or {}, ensure_ascii=False, default=str))


def record(actor, action: str, obj=None, *, object_type: str = "", object_id="", before=None, after=None, **extra):
    """Append one event to the chain. `obj` (a model instance) fills object_type/object_id."""
    if obj is not None:
        object_type = object_type or obj._meta.label_lower
        object_id = object_id or obj.pk
    summary = {}
    if before is not None:
        summary["before"] = before
    if after is not None:
        summary["after"] = after
    summary.update(extra)
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cur:
                cur.execute("SELECT pg_advisory_xact_lock(%s)", [_CHAIN_LOCK_KEY])
        last = AuditEvent.objects.order_by("-id").values_list("hash", flat=True).first()
        event = AuditEvent(
            actor=actor if getattr(actor, "pk", None) else None,
            actor_name=(getattr(actor, "username", "") or "") if actor else "",
            action=action,
            object_type=object_type,
            object_id=str(object_id or ""),
            summary=_plain(summary),
            ip=current_ip.get(),
            prev_hash=last or GENESIS,
        )
        event.hash = event.compute_hash()
        event.save()
    return event


def verify_chain(batch_size: int = 5000):
    """Walk the chain in id order. Returns (count_checked, first_broken_event_id or None, reason)."""
    expected_prev = GENESIS
    checked = 0
    last_id = 0
    while True:
        rows = list(AuditEvent.objects.filter(id__gt=last_id).order_by("id")[:batch_size])
        if not rows:
            return checked, None, ""
        for row in rows:
            if row.prev_hash != expected_prev:
                return (
                    checked,
                    row.id,
                    "prev_hash does not match the previous event (an event was deleted or re-linked)",
                )
            if row.compute_hash() != row.hash:
                return checked, row.id, "content does not match its hash (the event was altered)"
            expected_prev = row.hash
            checked += 1
            last_id = row.id
