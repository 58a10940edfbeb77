"""The benchmark database: separate from the dev database (own SQLite file under var/bench/, or its
own PostgreSQL database), configured through DATABASE_URL before Django starts, migrated with
Django's migrate."""

import os
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PG_ADMIN_URL = os.environ.get("BENCH_PG_URL", "postgres://rmdesk:rmdesk@127.0.0.1:5432/postgres")


def dataset_key(size_name: str, scale: float) -> str:
    key = size_name if scale == 1.0 else f"{size_name}_x{scale:g}"
    return re.sub(r"[^a-z0-9_]", "_", key.lower())


def database_url(db: str, key: str) -> str:
    """DATABASE_URL of the bench database (override with BENCH_DATABASE_URL)."""
    if os.environ.get("BENCH_DATABASE_URL"):
        return os.environ["BENCH_DATABASE_URL"]
    if db == "sqlite":
        path = ROOT / "var" / "bench" / f"bench_{key}.sqlite3"
        path.parent.mkdir(parents=True, exist_ok=True)
        return f"sqlite:///{path}"
    if db == "postgres":
        base = PG_ADMIN_URL.rsplit("/", 1)[0]
        return f"{base}/rmdesk_bench_{key}"
    raise SystemExit(f"unknown --db {db!r}: sqlite or postgres")


def drop_database(url: str):
    if url.startswith("sqlite:///"):
        path = Path(url[len("sqlite:///") :])
        for suffix in ("", "-wal", "-shm"):
            p = Path(str(path) + suffix)
            if p.exists():
                p.unlink()
        return
    import psycopg

    name = url.rsplit("/", 1)[1]
    with psycopg.connect(_admin_dsn(), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def ensure_database(url: str):
    """Create the PostgreSQL bench database if needed (the rmdesk role is a superuser)."""
    if not url.startswith("postgres"):
        return
    import psycopg

    name = url.rsplit("/", 1)[1]
    with psycopg.connect(_admin_dsn(), autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')


def _admin_dsn() -> str:
    return PG_ADMIN_URL.replace("postgres://", "postgresql://", 1)


def setup_django(url: str):
    """Point Django at the bench database and start it (must run before any model import)."""
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "rmdesk.settings")
    # production-like: no query log in memory, no debug pages
    os.environ.setdefault("RMDESK_DEBUG", "0")
    os.environ.setdefault("RMDESK_TASKS_BACKEND", "django_tasks.backends.immediate.ImmediateBackend")
    import sys

    src = str(ROOT / "src")
    if src not in sys.path:
        sys.path.insert(0, src)
    import django

    django.setup()


def migrate(verbosity: int = 0):
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=verbosity)


def server_versions() -> dict:
    """Database engine and version, for the report."""
    from django.db import connection

    with connection.cursor() as cur:
        if connection.vendor == "postgresql":
            cur.execute("SHOW server_version")
            version = cur.fetchone()[0]
            settings = []
            for name in ("shared_buffers", "work_mem", "effective_cache_size", "jit"):
                cur.execute(f"SHOW {name}")
                settings.append(f"{name} {cur.fetchone()[0]}")
            return {"engine": "PostgreSQL", "version": version, "settings": ", ".join(settings)}
        cur.execute("SELECT sqlite_version()")
        return {"engine": "SQLite", "version": cur.fetchone()[0]}
