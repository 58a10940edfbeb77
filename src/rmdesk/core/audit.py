"""The append-only, hash-chained audit trail (SPEC §8 last bullet; issues 17 and 18).

`record()` is called by every service inside the transaction of the business action it audits,
so an event exists if and only if the action committed.

- Keyed chain: each event's hash is HMAC-SHA256(key, prev_hash + content) with a key kept outside
  the database (RMDESK_AUDIT_KEY / RMDESK_AUDIT_KEY_FILE / var/audit.key). Rows from before the key
  keep alg "sha256"; the first keyed row after them is a recorded switch-over event
  ("core.audit_keyed"), and no plain row may follow a keyed one.
- Read events (READ_ACTIONS: views, reveals, exports, downloads) take no lock: they are inserted into
  AuditPending — outside a transaction (a page or API view) by one autocommitted INSERT built once
  (`_insert_pending`), inside one in the caller's transaction — and sealed into the chain in batches
  by `seal_pending()` (the `seal_audit --loop` process, or any writer already holding the chain's lock).
- Signed checkpoints (head id, head hash, count, archive boundary) are appended to a file outside
  the database; `verify()` compares the chain with the last one, so deleting the newest events or
  rewriting and re-hashing the chain is detected.
- `archive_old()` moves events older than the retention out of the hot table into signed,
  compressed JSON-lines files; the chain is verified across that boundary.
"""

import contextvars
import gzip
import hashlib
import hmac
import json
import os
import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import connections, transaction
from django.utils import timezone

from .models import AuditEvent, AuditPending
from .validation import _CONTROL

GENESIS = "0" * 64
HMAC_ALG = "hmac-sha256"
LEGACY_ALG = "sha256"
KEYED_ACTION = "core.audit_keyed"
_CHAIN_LOCK_KEY = 7_340_001  # PostgreSQL advisory lock id serialising appends to the chain

# Read events: recorded without the chain's lock and sealed in batches (issue 18).
READ_ACTIONS = frozenset(
    {
        "customers.view",
        "customers.reveal",
        "customers.export",
        "customers.personal_data_export",
        "customers.document_download",
        "analytics.export_report",
        "compliance.access_audit_export",
    }
)

current_ip: contextvars.ContextVar = contextvars.ContextVar("rmdesk_audit_ip", default=None)


# --- the key -------------------------------------------------------------------------------------


_key_cache: dict = {}


def audit_key() -> bytes:
    """The HMAC key: RMDESK_AUDIT_KEY, else the file RMDESK_AUDIT_KEY_FILE, else var/audit.key
    (created with mode 0600 on first use: the embedded default)."""
    raw = getattr(settings, "RMDESK_AUDIT_KEY", "")
    if raw:
        return raw.encode()
    key_file = getattr(settings, "RMDESK_AUDIT_KEY_FILE", "")
    memo = (key_file, settings.VAR_DIR)  # cached by the settings that name the file: no path built per event
    cached = _key_cache.get(memo)
    if cached:
        return cached
    path = Path(key_file or Path(settings.VAR_DIR) / "audit.key")
    if not path.exists():
        if getattr(settings, "RMDESK_AUDIT_KEY_FILE", ""):
            raise ImproperlyConfigured(f"RMDESK_AUDIT_KEY_FILE {path} does not exist")
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass  # another process created it meanwhile
        else:
            with os.fdopen(fd, "w") as fh:
                fh.write(secrets.token_hex(32) + "\n")
    key = path.read_text().strip().encode()
    if len(key) < 16:
        raise ImproperlyConfigured(f"the audit key in {path} is too short (at least 16 characters)")
    _key_cache[memo] = key
    return key


def _sign(payload: dict, key: bytes | None = None) -> str:
    body = json.dumps(payload, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)
    return hmac.new(key or audit_key(), body.encode(), hashlib.sha256).hexdigest()


# --- appending -----------------------------------------------------------------------------------


_SCALARS = (str, int, bool, type(None))  # JSON round-trips them unchanged (bool is an int)


def _plain(value):
    """JSON-safe copy (Decimals, dates, UUIDs as strings) so the stored row hashes the same when re-read."""
    if type(value) is dict and all(type(k) is str and type(v) in _SCALARS for k, v in value.items()):
        return dict(value)  # already plain (a view's {"channel": "ui"}): the round trip would change nothing
    return json.loads(json.dumps(value or {}, ensure_ascii=False, default=str))


_IP_FIELD = AuditPending._meta.get_field("ip")


def _client_ip():
    """The request's address as GenericIPAddressField stores it (IPv6 normalised: "2001:DB8:0::1" is
    stored "2001:db8::1"), so the hash or MAC computed before the write matches the row read back."""
    ip = current_ip.get()
    return None if ip is None else _IP_FIELD.get_prep_value(ip)


def _lock(using="default"):
    conn = connections[using]
    if conn.vendor == "postgresql":
        with conn.cursor() as cur:
            cur.execute("SELECT pg_advisory_xact_lock(%s)", [_CHAIN_LOCK_KEY])


def _head(using="default"):
    """(hash, alg) of the newest event, or None on an empty chain. Caller holds the lock."""
    return AuditEvent.objects.using(using).order_by("-id").values_list("hash", "alg").first()


def _chain(events: list[AuditEvent], using="default") -> None:
    """Link `events` (unsaved) to the head and save them. Caller holds the lock."""
    key = audit_key()
    head = _head(using)
    prev = head[0] if head else GENESIS
    rows = []
    if head and head[1] != HMAC_ALG:
        # Switch-over: the first keyed event names the last plain one; plain rows end here.
        legacy = AuditEvent.objects.using(using).count()
        rows.append(
            AuditEvent(
                action=KEYED_ACTION, object_type="core.auditevent", summary={"legacy_events": legacy}, alg=HMAC_ALG
            )
        )
    rows.extend(events)
    for ev in rows:
        ev.alg = HMAC_ALG
        ev.prev_hash = prev
        ev.hash = ev.compute_hash(key)
        prev = ev.hash
    if len(rows) == 1:
        rows[0].save(using=using)
    else:
        AuditEvent.objects.using(using).bulk_create(rows)


def record(actor, action: str, obj=None, *, object_type: str = "", object_id="", before=None, after=None, **extra):
    """Append one event. `obj` (a model instance) fills object_type/object_id.

    A business write is chained at once under the chain's lock, in the caller's transaction. A read
    event (READ_ACTIONS) is written unchained to AuditPending in the caller's transaction, without
    any lock, and sealed later (at once when RMDESK_AUDIT_SEAL_SYNC is on).
    """
    if obj is not None:
        object_type = object_type or obj._meta.label_lower
        object_id = object_id or obj.pk
    summary = {}
    if before is not None:
        summary["before"] = before
    if after is not None:
        summary["after"] = after
    summary.update(extra)
    fields = {
        "actor": actor if getattr(actor, "pk", None) else None,
        "actor_name": (getattr(actor, "username", "") or "") if actor else "",
        "action": action,
        "object_type": object_type,
        "object_id": str(object_id or ""),
        "summary": _plain(summary),
        "ip": _client_ip(),
    }
    if action in READ_ACTIONS:
        if not getattr(settings, "RMDESK_AUDIT_READS", True):
            return None  # benchmark item 11 only: the read audit switched off
        actor_obj = fields["actor"]
        fast = _insert_pending(
            actor_obj.pk if actor_obj is not None else None,
            fields["actor_name"],
            action,
            object_type,
            fields["object_id"],
            fields["summary"],
            fields["ip"],
        )
        if fast is not None:
            if getattr(settings, "RMDESK_AUDIT_SEAL_SYNC", False):
                seal_pending()
            return fast
        pending = AuditPending(**fields)
        pending.mac = pending.compute_mac()
        if connections["default"].in_atomic_block:
            # in the caller's transaction: committed with it (a savepoint, so a failure leaves it usable)
            with transaction.atomic():
                pending.save(force_insert=True)
        else:
            # autocommit (a page or API view): one INSERT that is its own transaction, committed and
            # flushed to the WAL when it returns, i.e. before the response. No BEGIN, savepoint or
            # COMMIT round trips (issue 18: what a view costs under 100 concurrent clients).
            pending.save(force_insert=True)
        if getattr(settings, "RMDESK_AUDIT_SEAL_SYNC", False):
            seal_pending()
        return pending
    event = AuditEvent(**fields)
    with transaction.atomic():
        _lock()
        # A writer holding the lock seals a small backlog on its way (the sealer does the rest).
        if AuditPending.objects.exists():
            seal_pending(limit=200, locked=True)
        _chain([event])
    return event


# --- the read-event fast path (issue 18, item 11) ---------------------------------------------------

# The columns of core_auditpending the fast path writes, in the model's field order. If the model grows
# a field, or its MAC stops being the one `_pending_mac` computes, the fast path switches itself off
# and every read event takes the ORM path (checked once per process and connection, `_pending_plan`).
_PENDING_COLUMNS = ("at", "actor_id", "actor_name", "action", "object_type", "object_id", "summary", "ip", "mac")
_TEXT_COLUMNS = ("actor_name", "action", "object_type", "object_id")
_MAC_JSON = json.JSONEncoder(sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)
_plans: dict = {}


def _pending_mac(key: bytes, at, actor_id, actor_name, action, object_type, object_id, summary, ip) -> str:
    """AuditPending.compute_mac() without a model instance: the same canonical JSON, the same HMAC."""
    body = _MAC_JSON.encode(
        {
            "at": at.isoformat(),
            "actor": actor_id,
            "actor_name": actor_name,
            "action": action,
            "object_type": object_type,
            "object_id": object_id,
            "summary": summary,
            "ip": ip,
        }
    )
    return hmac.digest(key, body.encode(), "sha256").hex()


def _pending_plan(conn):
    """(INSERT statement, whether it returns the id, text limits) for `conn`, built once per alias and
    vendor; None when the fast path cannot write exactly the row `save()` writes."""
    memo = (conn.alias, conn.vendor)
    if memo in _plans:
        return _plans[memo]
    opts = AuditPending._meta
    fields = [f for f in opts.concrete_fields if not f.primary_key]
    plan = None
    sample = AuditPending(actor_id=1, actor_name="名", action="a", object_type="t", object_id="1", summary={"k": [1]})
    same_mac = sample.compute_mac(b"k" * 16) == _pending_mac(
        b"k" * 16, sample.at, 1, "名", "a", "t", "1", {"k": [1]}, None
    )
    if tuple(f.attname for f in fields) == _PENDING_COLUMNS and same_mac:
        qn = conn.ops.quote_name
        returning = conn.features.can_return_columns_from_insert
        sql = (
            f"INSERT INTO {qn(opts.db_table)} ({', '.join(qn(f.column) for f in fields)}) "
            f"VALUES ({', '.join(['%s'] * len(fields))})"
        )
        if returning:
            sql += f" RETURNING {qn(opts.pk.column)}"
        limits = tuple(opts.get_field(name).max_length for name in _TEXT_COLUMNS)
        plan = (sql, returning, limits)
    _plans[memo] = plan
    return plan


def _insert_pending(actor_id, actor_name, action, object_type, object_id, summary, ip):
    """A read event outside any transaction (a page or API view): one autocommitted INSERT, committed
    and flushed to the WAL when it returns, so before the response (docs/decisions.md 83), written with
    a statement built once instead of through `Model.save()` (signals, the ORM's compiler, per-field
    preparation and a model instance built before the write: about two thirds of the Python a view's
    audit cost, issue 18). The row is the one `save()` writes: the same values and MAC, the JSON as
    JSONField serialises it, the address as `_client_ip` normalised it (the database casts both from
    text). Returns the saved AuditPending, or None when the event must take the ORM path:
    inside a transaction (its savepoint keeps the caller's transaction usable), outside autocommit, or
    with a text `check_text_fields` would refuse (the ORM path raises its ValidationError)."""
    conn = connections["default"]
    if conn.in_atomic_block or not conn.get_autocommit():
        return None
    plan = _pending_plan(conn)
    if plan is None:
        return None
    sql, returning, limits = plan
    for value, limit in zip((actor_name, action, object_type, object_id), limits, strict=True):
        if not isinstance(value, str) or len(value) > limit or _CONTROL.search(value):
            return None
    at = timezone.now()
    mac = _pending_mac(audit_key(), at, actor_id, actor_name, action, object_type, object_id, summary, ip)
    params = (
        conn.ops.adapt_datetimefield_value(at),
        actor_id,
        actor_name,
        action,
        object_type,
        object_id,
        json.dumps(summary),  # what JSONField writes (its encoder is None)
        ip,
        mac,
    )
    with conn.cursor() as cur:
        cur.execute(sql, params)
        pk = cur.fetchone()[0] if returning else conn.ops.last_insert_id(cur, AuditPending._meta.db_table, "id")
    # the instance `save()` would have left
    pending = AuditPending(pk, at, actor_id, actor_name, action, object_type, object_id, summary, ip, mac)
    pending._state.adding = False
    pending._state.db = conn.alias
    return pending


def seal_pending(limit: int = 2000, *, locked: bool = False, using="default") -> int:
    """Move up to `limit` committed pending read events into the chain, oldest first; returns how many.

    Runs in one transaction under the chain's lock: the events are chained and their pending rows
    deleted together, so an event is sealed exactly once. A pending row whose MAC does not match its
    content (altered before sealing) is sealed with `pending_mac_mismatch` in its summary.
    """
    with transaction.atomic(using=using):
        if not locked:
            _lock(using)
        rows = list(AuditPending.objects.using(using).order_by("id")[:limit])
        if not rows:
            return 0
        key = audit_key()
        events = []
        for p in rows:
            summary = dict(p.summary or {})
            if not hmac.compare_digest(p.mac, p.compute_mac(key)):
                summary["pending_mac_mismatch"] = True
            events.append(
                AuditEvent(
                    at=p.at,
                    actor_id=p.actor_id,
                    actor_name=p.actor_name,
                    action=p.action,
                    object_type=p.object_type,
                    object_id=p.object_id,
                    summary=summary,
                    ip=p.ip,
                )
            )
        _chain(events, using)
        AuditPending.objects.using(using).filter(id__in=[p.id for p in rows]).delete()
    return len(rows)


def seal_all(using="default") -> int:
    total = 0
    while n := seal_pending(using=using):
        total += n
    return total


# --- checkpoints ---------------------------------------------------------------------------------


def checkpoint_path() -> Path:
    return Path(settings.RMDESK_AUDIT_CHECKPOINT_DIR) / "checkpoints.jsonl"


def archive_dir() -> Path:
    return Path(settings.RMDESK_AUDIT_ARCHIVE_DIR)


def _archive_index() -> list[dict]:
    path = archive_dir() / "index.jsonl"
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def head_state(using="default") -> dict:
    """The chain's head as a checkpoint records it: last id, its hash, the number of events
    (archived + hot) and the archive boundary."""
    index = _archive_index()
    archived = sum(e["count"] for e in index)
    boundary_id = index[-1]["last_id"] if index else 0
    hot = AuditEvent.objects.using(using).filter(id__gt=boundary_id)
    last = hot.order_by("-id").values_list("id", "hash").first()
    if last is None and index:
        last = (index[-1]["last_id"], index[-1]["last_hash"])
    return {
        "last_id": last[0] if last else 0,
        "head_hash": last[1] if last else GENESIS,
        "count": archived + hot.count(),
        "archived_count": archived,
        "archive_last_id": boundary_id,
        "archive_last_hash": index[-1]["last_hash"] if index else GENESIS,
    }


def write_checkpoint(using="default", state: dict | None = None) -> dict:
    """Append the current head, signed with the key, to the checkpoint file (outside the database)."""
    entry = {"at": timezone.now().isoformat(), **(state or head_state(using))}
    entry["mac"] = _sign(entry)
    path = checkpoint_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a") as fh:
        fh.write(json.dumps(entry, sort_keys=True) + "\n")
        fh.flush()
        os.fsync(fh.fileno())
    return entry


def read_checkpoints() -> tuple[list[dict], list[str]]:
    """All checkpoints in the file, and problems (a line whose signature does not match)."""
    path = checkpoint_path()
    if not path.exists():
        return [], []
    good, problems = [], []
    for n, line in enumerate(path.read_text().splitlines(), 1):
        if not line.strip():
            continue
        try:
            entry = json.loads(line)
            mac = entry.pop("mac")
        except (ValueError, KeyError):
            problems.append(f"checkpoint line {n} is unreadable")
            continue
        if not hmac.compare_digest(mac, _sign(entry)):
            problems.append(f"checkpoint line {n} has a bad signature (edited, or written with another key)")
            continue
        good.append(entry)
    return good, problems


# --- verification --------------------------------------------------------------------------------


@dataclass
class Report:
    checked: int = 0
    archived: int = 0
    broken_id: int | None = None
    reason: str = ""
    problems: list = field(default_factory=list)
    pending: int = 0
    pending_oldest: datetime | None = None
    pending_bad: list = field(default_factory=list)
    head: dict = field(default_factory=dict)
    checkpoint: dict | None = None

    @property
    def ok(self) -> bool:
        return self.broken_id is None and not self.problems


class _Walker:
    """Checks events in id order: each links to the previous and matches its hash; no plain row
    after a keyed one."""

    def __init__(self, key: bytes):
        self.key = key
        self.prev = GENESIS
        self.checked = 0
        self.keyed_at = None
        self.hashes: dict[int, str] = {}

    def step(self, row) -> str:
        if row.prev_hash != self.prev:
            return "prev_hash does not match the previous event (an event was deleted or re-linked)"
        if row.alg not in (HMAC_ALG, LEGACY_ALG):
            return f"unknown hash algorithm {row.alg!r}"
        if row.alg == LEGACY_ALG and self.keyed_at is not None:
            return (
                f"plain SHA-256 event after the chain was keyed at id={self.keyed_at} "
                "(re-hashed by someone without the key)"
            )
        if not hmac.compare_digest(row.compute_hash(self.key), row.hash):
            return "content does not match its hash (the event was altered)"
        if row.alg == HMAC_ALG and self.keyed_at is None:
            self.keyed_at = row.id
        self.prev = row.hash
        self.checked += 1
        return ""


def _archived_rows(entry: dict):
    path = archive_dir() / entry["file"]
    data = path.read_bytes()
    if hashlib.sha256(data).hexdigest() != entry["sha256"]:
        raise ValueError(f"archive file {entry['file']} does not match its digest")
    for line in gzip.decompress(data).decode().splitlines():
        d = json.loads(line)
        d["at"] = datetime.fromisoformat(d["at"])
        yield AuditEvent(**d)


def verify(using="default", *, checkpoints: bool | None = None, expect: dict | None = None, batch_size=5000) -> Report:
    """Verify the archive, the hot chain, the pending backlog and (when on) the last checkpoint.

    `expect` (a head_state dict, e.g. a backup's manifest) is compared like a checkpoint.
    """
    rep = Report()
    walker = _Walker(audit_key())
    if checkpoints is None:
        checkpoints = getattr(settings, "RMDESK_AUDIT_CHECKPOINTS", True)

    # 1. The archive (signed index, each file's digest, the chain inside).
    index = _archive_index()
    boundary = 0
    for n, entry in enumerate(index, 1):
        mac = entry.get("mac", "")
        body = {k: v for k, v in entry.items() if k != "mac"}
        if not hmac.compare_digest(mac, _sign(body)):
            rep.problems.append(f"archive index line {n} has a bad signature")
            return rep
        try:
            for row in _archived_rows(entry):
                if reason := walker.step(row):
                    rep.broken_id, rep.reason, rep.checked = row.id, f"{reason} [archive]", walker.checked
                    return rep
                boundary = row.id
        except (OSError, ValueError) as exc:
            rep.problems.append(f"archive unreadable: {exc}")
            return rep
        if boundary != entry["last_id"] or walker.prev != entry["last_hash"]:
            rep.problems.append(f"archive file {entry['file']} does not end at the event its index names")
            return rep
    rep.archived = walker.checked

    # 2. The hot chain, continuing from the archive's last hash.
    last_id = boundary
    while True:
        rows = list(AuditEvent.objects.using(using).filter(id__gt=last_id).order_by("id")[:batch_size])
        if not rows:
            break
        for row in rows:
            if reason := walker.step(row):
                rep.broken_id, rep.reason = row.id, reason
                rep.checked = walker.checked
                return rep
            last_id = row.id
    rep.checked = walker.checked
    rep.head = head_state(using)

    # 3. Pending read events: the backlog and each row's MAC.
    pend = AuditPending.objects.using(using)
    rep.pending = pend.count()
    rep.pending_oldest = pend.order_by("id").values_list("at", flat=True).first()
    key = walker.key
    for p in pend.order_by("id").iterator(chunk_size=2000):
        if not hmac.compare_digest(p.mac, p.compute_mac(key)):
            rep.pending_bad.append(p.id)
    if rep.pending_bad:
        rep.problems.append(f"pending events altered before sealing: ids {rep.pending_bad[:10]}")

    # 4. The last checkpoint (or an expected head): nothing newer deleted, nothing re-hashed.
    marks = []
    if checkpoints:
        cps, bad = read_checkpoints()
        rep.problems.extend(bad)
        if cps:
            rep.checkpoint = cps[-1]
            marks.append(("checkpoint of " + cps[-1]["at"], cps[-1]))
    if expect:
        marks.append(("expected head", expect))
    for label, mark in marks:
        rep.problems.extend(_compare(label, mark, rep.head, using))
    return rep


def _compare(label: str, mark: dict, head: dict, using) -> list[str]:
    problems = []
    if head["count"] < mark["count"] or head["last_id"] < mark["last_id"]:
        problems.append(
            f"newest events deleted: the chain has {head['count']} events up to id={head['last_id']}, "
            f"the {label} recorded {mark['count']} up to id={mark['last_id']}"
        )
    if mark["archived_count"] > head["archived_count"]:
        problems.append(
            f"archive files missing: {head['archived_count']} archived, the {label} recorded {mark['archived_count']}"
        )
    if mark["last_id"]:
        if mark["last_id"] <= head["archive_last_id"]:
            h = _archived_hash(mark["last_id"])
        else:
            h = AuditEvent.objects.using(using).filter(id=mark["last_id"]).values_list("hash", flat=True).first()
        if h is None:
            if not problems:
                problems.append(f"newest events deleted: the {label}'s head id={mark['last_id']} is missing")
        elif h != mark["head_hash"]:
            problems.append(
                f"chain rewritten: event id={mark['last_id']} no longer has the hash the {label} recorded "
                "(re-hashed after a change)"
            )
        else:
            upto = (
                AuditEvent.objects.using(using).filter(id__gt=head["archive_last_id"], id__lte=mark["last_id"]).count()
                + head["archived_count"]
            )
            if mark["last_id"] > head["archive_last_id"] and upto != mark["count"]:
                problems.append(
                    f"events deleted: {upto} events up to id={mark['last_id']}, the {label} recorded {mark['count']}"
                )
    return problems


def _archived_hash(event_id: int):
    for entry in _archive_index():
        if entry["first_id"] <= event_id <= entry["last_id"]:
            for row in _archived_rows(entry):
                if row.id == event_id:
                    return row.hash
    return None


def verify_chain(batch_size: int = 5000, using="default"):
    """Walk the chain (archive, then hot table) in id order.
    Returns (count_checked, first_broken_event_id or None, reason)."""
    rep = verify(using, checkpoints=False, batch_size=batch_size)
    return rep.checked, rep.broken_id, rep.reason


# --- retention -----------------------------------------------------------------------------------


def archive_old(now=None, using="default", *, days: int | None = None) -> dict | None:
    """Move events older than the retention (RMDESK_AUDIT_RETENTION_DAYS, at least 183) out of the
    hot table into a signed, gzip-compressed JSON-lines file under the archive directory; never
    deletes an event. Archives the longest prefix of the chain whose events are all older than the
    cut-off, so the chain stays one sequence: archive, then hot table. Returns the index entry."""
    days = days or settings.RMDESK_AUDIT_RETENTION_DAYS
    if days < 183:
        raise ImproperlyConfigured("audit retention must be at least 183 days (网络安全法)")
    cutoff = (now or timezone.now()) - timedelta(days=days)
    index = _archive_index()
    after = index[-1]["last_id"] if index else 0
    table = AuditEvent._meta.db_table
    with transaction.atomic(using=using):
        _lock(using)
        if after:  # a run that died after writing its file: those rows are in the archive already
            with connections[using].cursor() as cur:
                cur.execute(f"DELETE FROM {table} WHERE id <= %s", [after])  # noqa: S608
        hot = AuditEvent.objects.using(using).filter(id__gt=after)
        first_young = hot.filter(at__gte=cutoff).order_by("id").values_list("id", flat=True).first()
        old = hot if first_young is None else hot.filter(id__lt=first_young)
        if first_young is None:
            # keep the newest event in the hot table so the chain's head stays in the database
            newest = hot.order_by("-id").values_list("id", flat=True).first()
            old = hot.filter(id__lt=newest) if newest else hot.none()
        rows = list(old.order_by("id"))
        if not rows:
            return None
        lines = []
        for r in rows:
            d = {
                "id": r.id,
                "at": r.at.isoformat(),
                "actor_id": r.actor_id,
                "actor_name": r.actor_name,
                "action": r.action,
                "object_type": r.object_type,
                "object_id": r.object_id,
                "summary": r.summary,
                "ip": r.ip,
                "prev_hash": r.prev_hash,
                "hash": r.hash,
                "alg": r.alg,
            }
            lines.append(json.dumps(d, ensure_ascii=False, sort_keys=True))
        data = gzip.compress(("\n".join(lines) + "\n").encode(), mtime=0)
        folder = archive_dir()
        folder.mkdir(parents=True, exist_ok=True)
        name = f"events-{rows[0].id:012d}-{rows[-1].id:012d}.jsonl.gz"
        tmp = folder / (name + ".tmp")
        with open(tmp, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, folder / name)
        entry = {
            "file": name,
            "first_id": rows[0].id,
            "last_id": rows[-1].id,
            "count": len(rows),
            "first_prev": rows[0].prev_hash,
            "last_hash": rows[-1].hash,
            "sha256": hashlib.sha256(data).hexdigest(),
            "archived_at": timezone.now().isoformat(),
            "cutoff": cutoff.isoformat(),
        }
        entry["mac"] = _sign(entry)
        with open(folder / "index.jsonl", "a") as fh:
            fh.write(json.dumps(entry, sort_keys=True) + "\n")
            fh.flush()
            os.fsync(fh.fileno())
        # Only now, with the file and its index on disk, leave the hot table (the ORM refuses deletes).
        with connections[using].cursor() as cur:
            cur.execute(f"DELETE FROM {table} WHERE id > %s AND id <= %s", [after, rows[-1].id])  # noqa: S608
    if getattr(settings, "RMDESK_AUDIT_CHECKPOINTS", True):
        write_checkpoint(using)
    return entry
