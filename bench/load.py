"""Item 7: HTTP throughput of the customer-list API under gunicorn workers on 127.0.0.1, with a
small pure-Python load generator (threads, one TCP connection per request, as gunicorn's sync
workers close it), bounded in time and in requests. Loopback only."""

import http.client
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from urllib.parse import urlencode

from bench.items import Budget, Figure, NotBuilt
from bench.timing import Stats

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_gunicorn(db_url: str, workers: int, port: int):
    env = {**os.environ, "DATABASE_URL": db_url, "RMDESK_DEBUG": "0", "PYTHONPATH": str(ROOT / "src")}
    cmd = [
        sys.executable,
        "-m",
        "gunicorn",
        "rmdesk.wsgi:application",
        "--workers",
        str(workers),
        "--bind",
        f"127.0.0.1:{port}",
        "--log-level",
        "warning",
        "--timeout",
        "60",
    ]
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, start_new_session=True)
    deadline = time.time() + 60
    while time.time() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"gunicorn exited {proc.returncode}")
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/healthz")
            if conn.getresponse().status == 200:
                return proc
        except OSError:
            time.sleep(0.3)
    stop(proc)
    raise RuntimeError("gunicorn did not answer /healthz within 60 s")


def stop(proc):
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


def load(port: int, requests: list[tuple[str, dict]], duration: float, concurrency: int, max_requests: int):
    """Fire requests (path, headers) round-robin for `duration` s or `max_requests`, whichever first."""
    lat, errors, lock = [], [], threading.Lock()
    counter = [0]
    stop_at = time.perf_counter() + duration

    def worker():
        while True:
            with lock:
                i = counter[0]
                counter[0] += 1
            if i >= max_requests or time.perf_counter() >= stop_at:
                return
            path, headers = requests[i % len(requests)]
            t0 = time.perf_counter()
            try:
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
                conn.request("GET", path, headers=headers)
                resp = conn.getresponse()
                resp.read()
                conn.close()
                ok = resp.status == 200
                why = f"HTTP {resp.status}"
            except OSError as exc:
                ok, why = False, type(exc).__name__
            dt = (time.perf_counter() - t0) * 1000
            with lock:
                lat.append(dt)
                if not ok:
                    errors.append(why)

    t0 = time.perf_counter()
    threads = [threading.Thread(target=worker) for _ in range(concurrency)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return lat, errors, time.perf_counter() - t0


def item_7(ctx) -> list[Figure]:
    from bench import endpoints

    args = getattr(ctx, "args", None)
    duration = args.duration if args and args.duration else (3.0 if ctx.smoke else 20.0)
    workers = int(os.environ.get("BENCH_WORKERS", (os.cpu_count() or 2) * 2))
    concurrency = int(os.environ.get("BENCH_CONCURRENCY", 8))
    fig = Figure(
        "7",
        f"customer-list API under gunicorn ({workers} sync workers), {concurrency} concurrent "
        f"clients for {duration:g} s on loopback",
        "HTTP",
        unit="req/s",
        budget=Budget("value", ">=", 200, "req/s"),
    )
    try:
        reqs = []
        for u in ctx.rms:
            ctx.api(u)  # issues the token
            url, params = endpoints.customer_list_api(page_size=20)
            reqs.append((f"{url}?{urlencode(params)}", {"Authorization": f"Bearer {ctx.tokens[u.pk]}"}))
    except NotBuilt as exc:
        fig.na = f"not built yet: {exc}"
        return [fig]
    port = free_port()
    from django.db import connections

    connections.close_all()
    proc = start_gunicorn(ctx.db_url, workers, port)
    try:
        load(port, reqs, 1.0, 2, 50)  # warm the workers
        lat, errors, elapsed = load(port, reqs, duration, concurrency, max_requests=200_000)
    finally:
        stop(proc)
    if not lat:
        fig.error = "no request completed"
        return [fig]
    ok = len(lat) - len(errors)
    fig.value = ok / elapsed
    st = Stats.of(lat)
    fig.extra = {
        "requests": len(lat),
        "errors": len(errors),
        "p50 ms": round(st.p50, 1),
        "p95 ms": round(st.p95, 1),
        "max ms": round(st.max, 1),
    }
    if errors:
        fig.extra["first error"] = errors[0]
        fig.budget = Budget("value", ">=", float("inf"), "req/s (with zero errors)")
    return [fig]
