"""Task workers connect to PostgreSQL itself when a direct URL is given (decision 100): an import keeps its
staging tables in the session across transactions, which pgbouncer's transaction pooling would not."""

import json
import os
import subprocess
import sys

PROBE = (
    "import json, django; from django.conf import settings; django.setup(); "
    "d = settings.DATABASES['default']; "
    "print(json.dumps({'host': d.get('HOST'), 'port': d.get('PORT'), 'name': d.get('NAME'), "
    "'client_cursors': d.get('DISABLE_SERVER_SIDE_CURSORS', False), "
    "'prepare': d.get('OPTIONS', {}).get('prepare_threshold', 'default')}))"
)
POOLED = "postgres://rmdesk:pw@pooler.example:6432/rmdesk"
DIRECT = "postgres://rmdesk:pw@db.example:5432/rmdesk"


def _settings(**env) -> dict:
    base = {k: v for k, v in os.environ.items() if not k.startswith(("RMDESK_DB", "RMDESK_PGBOUNCER", "DATABASE_"))}
    base["DJANGO_SETTINGS_MODULE"] = "rmdesk.settings"
    out = subprocess.run(
        [sys.executable, "-c", PROBE], env={**base, **env}, capture_output=True, text=True, timeout=120, check=True
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_a_worker_with_a_direct_url_bypasses_the_pooler():
    d = _settings(DATABASE_URL=POOLED, RMDESK_PGBOUNCER="1", RMDESK_DB_DIRECT_URL=DIRECT, RMDESK_DB_SESSIONS="1")
    assert (d["host"], d["port"]) == ("db.example", 5432)
    assert d["client_cursors"] is False and d["prepare"] == "default"


def test_web_processes_keep_the_pooler_and_its_caveats():
    d = _settings(DATABASE_URL=POOLED, RMDESK_PGBOUNCER="1", RMDESK_DB_DIRECT_URL=DIRECT)
    assert (d["host"], d["port"]) == ("pooler.example", 6432)
    assert d["client_cursors"] is True and d["prepare"] is None


def test_a_worker_without_a_direct_url_keeps_database_url():
    d = _settings(DATABASE_URL=POOLED, RMDESK_PGBOUNCER="1", RMDESK_DB_SESSIONS="1")
    assert (d["host"], d["port"]) == ("pooler.example", 6432)
    assert d["client_cursors"] is True


def test_the_worker_unit_and_the_compose_workers_set_the_switch():
    from pathlib import Path

    import yaml

    deploy = Path(__file__).resolve().parents[2] / "deploy"
    assert (
        "Environment=RMDESK_DB_SESSIONS=1" in (deploy / "systemd" / "rmdesk-worker@.service").read_text().splitlines()
    )
    services = yaml.safe_load((deploy / "docker-compose.yml").read_text())["services"]
    workers = [name for name, svc in services.items() if "rqworker" in str(svc.get("command", ""))]
    assert workers
    for name in workers:
        env = services[name]["environment"]
        assert env["RMDESK_DB_SESSIONS"] == "1" and env["RMDESK_DB_DIRECT_URL"], name
    assert "RMDESK_DB_SESSIONS" not in services["web1"]["environment"]
