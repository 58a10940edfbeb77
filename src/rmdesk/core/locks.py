"""Leader locks: one holder at a time across processes and nodes (issue 17, periodic jobs).

On PostgreSQL a session-level advisory lock (`pg_try_advisory_lock`) on a connection of its own,
held for as long as that session lives: if the holder dies or its node drops off the network, the
server ends the session and the lock is free for a standby. The connection goes to PostgreSQL
itself (RMDESK_DB_DIRECT_URL when the app goes through pgbouncer in transaction mode, which would
hand the session to someone else between transactions). On SQLite (one machine) an exclusive
`flock` on a file next to the database, released by the kernel when the holder dies.
"""

import fcntl
import hashlib
import os
from pathlib import Path

from django.conf import settings
from django.db import connections


def lock_key(name: str) -> int:
    """A stable signed 64-bit key for pg advisory locks from a readable name."""
    return int.from_bytes(hashlib.sha256(name.encode()).digest()[:8], "big", signed=True)


class PostgresLeaderLock:
    def __init__(self, name: str, alias: str = "default"):
        self.name = name
        self.key = lock_key(name)
        self.alias = alias
        self.conn = None

    def _connect(self):
        import psycopg

        direct = getattr(settings, "DB_DIRECT_URL", "")
        if direct:
            return psycopg.connect(direct, autocommit=True, application_name=f"rmdesk-lock-{self.name}")
        params = connections[self.alias].get_connection_params()
        params.pop("cursor_factory", None)
        params.pop("context", None)
        params["prepare_threshold"] = None
        return psycopg.connect(**params, autocommit=True, application_name=f"rmdesk-lock-{self.name}")

    def try_acquire(self) -> bool:
        if self.conn is None or self.conn.closed:
            self.conn = self._connect()
        row = self.conn.execute("SELECT pg_try_advisory_lock(%s)", (self.key,)).fetchone()
        return bool(row[0])

    def still_held(self) -> bool:
        """True while our session is alive and holds the lock (checked every tick by the leader)."""
        if self.conn is None or self.conn.closed:
            return False
        try:
            row = self.conn.execute(
                "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted AND pid = pg_backend_pid()"
                " AND objid = (%s::bigint & 4294967295)::oid AND classid = ((%s::bigint >> 32) & 4294967295)::oid",
                (self.key, self.key),
            ).fetchone()
        except Exception:  # noqa: BLE001 - a dead session holds nothing
            return False
        return bool(row[0])

    def release(self) -> None:
        if self.conn is not None and not self.conn.closed:
            try:
                self.conn.execute("SELECT pg_advisory_unlock(%s)", (self.key,))
            finally:
                self.conn.close()
        self.conn = None


class FileLeaderLock:
    def __init__(self, name: str, directory: Path | None = None):
        self.name = name
        self.path = Path(directory or settings.VAR_DIR) / f"{name}.lock"
        self.fd = None

    def try_acquire(self) -> bool:
        if self.fd is None:
            self.fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(self.fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        os.ftruncate(self.fd, 0)
        os.write(self.fd, f"{os.getpid()}\n".encode())
        return True

    def still_held(self) -> bool:
        return self.fd is not None

    def release(self) -> None:
        if self.fd is not None:
            fcntl.flock(self.fd, fcntl.LOCK_UN)
            os.close(self.fd)
            self.fd = None


def leader_lock(name: str):
    """The lock kind that fits the configured database."""
    if connections["default"].vendor == "postgresql":
        return PostgresLeaderLock(name)
    return FileLeaderLock(name)
