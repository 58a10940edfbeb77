"""Tasks on Redis through django-tasks-rq (issue 17): with RMDESK_REDIS_URL the settings choose the RQ
backend, a task lands on its named queue in Redis, and `manage.py rqworker --job-class
django_tasks_rq.Job <queue> --burst` (the documented worker) runs it; the task's result is read back
through the Django tasks interface. Needs the Debian package redis-server (.ci/run installs it)."""

import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

SCRIPT = r"""
import json, sys
import django
django.setup()
from django.conf import settings
import django_rq
from rmdesk.core.tasks import deliver_notification
from rmdesk.customers.tasks import run_import

step = sys.argv[1]
if step == "enqueue":
    r1 = deliver_notification.enqueue(0)
    r2 = run_import.enqueue(0)
    counts = {q: django_rq.get_queue(q).count for q in settings.TASK_QUEUES}
    print(json.dumps({"backend": settings.TASKS["default"]["BACKEND"], "ids": [r1.id, r2.id], "counts": counts,
                      "session": settings.SESSION_ENGINE, "cache": settings.CACHES["default"]["BACKEND"]}))
else:
    out = {}
    for rid in sys.argv[2:]:
        res = deliver_notification.get_backend().get_result(rid)
        out[rid] = {"status": str(res.status), "workers": res.worker_ids, "queue": res.task.queue_name}
    print(json.dumps(out))
"""


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def redis_url(tmp_path):
    port = _free_port()
    proc = subprocess.Popen(
        ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.time() + 10
        while time.time() < deadline:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.05)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        proc.terminate()
        proc.wait(10)


def test_tasks_go_to_their_named_queues_in_redis_and_an_rq_worker_runs_them(redis_url, tmp_path):
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "rmdesk.settings",
        "RMDESK_REDIS_URL": redis_url,
        "RMDESK_VAR_DIR": str(tmp_path),  # an empty SQLite: the tasks run and fail on their missing rows
        "PYTHONPATH": str(ROOT / "src"),
    }
    env.pop("DATABASE_URL", None)
    env.pop("RMDESK_TASKS_BACKEND", None)

    def run(*args):
        out = subprocess.run([sys.executable, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
        assert out.returncode == 0, out.stderr[-2000:]
        return out.stdout

    first = json.loads(run("-c", SCRIPT, "enqueue").strip().splitlines()[-1])
    assert first["backend"] == "django_tasks_rq.RQBackend"
    assert first["session"] == "django.contrib.sessions.backends.cached_db"
    assert first["cache"] == "django.core.cache.backends.redis.RedisCache"
    assert first["counts"] == {"default": 0, "imports": 1, "notifications": 1, "periodic": 0, "reports": 0}

    run("-m", "django", "rqworker", "--job-class", "django_tasks_rq.Job", "--burst", "imports", "notifications")
    results = json.loads(run("-c", SCRIPT, "results", *first["ids"]).strip().splitlines()[-1])
    by_queue = {r["queue"]: r for r in results.values()}
    assert set(by_queue) == {"imports", "notifications"}
    for r in by_queue.values():
        assert r["status"] in ("TaskResultStatus.FAILED", "TaskResultStatus.SUCCESSFUL", "FAILED", "SUCCESSFUL")
        assert r["workers"], "no worker ran the task"
