"""Item 11 (issue 18): N concurrent archive views through gunicorn, with the read audit on and off in
the same run. Each request is the customer detail API (`/api/customers/<pk>`), which records a
"customers.view" event; with the audit on, the event goes to the unchained pending table in the
request's transaction and `seal_audit --loop` (run beside gunicorn, as the scheduler node does at
scale) seals it into the chain. Budget: p95 with the audit ≤ 1.2 × p95 without.

The API is used rather than the HTML page because it is the cheaper request: the audit's share of
it is larger, so the ratio is the stricter test. After the run every view is accounted for: the
events recorded (sealed + still pending) equal the requests answered 200.
"""

import contextlib
import http.client
import os
import signal
import statistics
import subprocess
import sys
import time

from bench.items import Budget, Figure, NotBuilt
from bench.load import ROOT, free_port, load, stop
from bench.timing import Stats

_TICK = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def _cpu(pid: int) -> float:
    """CPU seconds (user + system) a process has used, 0 when it is gone."""
    try:
        with open(f"/proc/{pid}/stat") as fh:
            fields = fh.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / _TICK
    except (OSError, IndexError, ValueError):
        return 0.0


def _group(pgid: int) -> list[int]:
    """The processes of a process group (gunicorn's master and workers; the sealer)."""
    pids = []
    for name in os.listdir("/proc"):
        if name.isdigit():
            try:
                with open(f"/proc/{name}/stat") as fh:
                    if int(fh.read().rsplit(")", 1)[1].split()[2]) == pgid:
                        pids.append(int(name))
            except (OSError, IndexError, ValueError):
                continue
    return pids


def _db_backends(pids: list[int]) -> list[int]:
    """The PostgreSQL backends serving `pids`: their sockets' local ports, matched against the client
    port in each backend's process title ("postgres: ... 127.0.0.1(port) ...")."""
    inodes = set()
    for pid in pids:
        try:
            for fd in os.listdir(f"/proc/{pid}/fd"):
                link = os.readlink(f"/proc/{pid}/fd/{fd}")
                if link.startswith("socket:["):
                    inodes.add(link[8:-1])
        except OSError:
            continue
    ports = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = open(table).read().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            cols = line.split()
            if cols[9] in inodes and cols[2].endswith(":1538"):  # remote port 5432
                ports.add(int(cols[1].rsplit(":", 1)[1], 16))
    backends = []
    for name in os.listdir("/proc"):
        if name.isdigit():
            try:
                title = open(f"/proc/{name}/cmdline").read()
            except OSError:
                continue
            if title.startswith("postgres:") and any(f"({p})" in title for p in ports):
                backends.append(int(name))
    return backends


class _CpuMeter:
    """CPU seconds used between `start()` and `stop()` by gunicorn (master and workers), their
    PostgreSQL backends, and the sealer with its backend: what a view costs, whatever else the
    machine runs (a loaded machine stretches latencies, not these)."""

    def __init__(self, gunicorn_pid: int, sealer_pid: int | None):
        self.groups = {"app": gunicorn_pid, "sealer": sealer_pid}

    def _snapshot(self) -> dict:
        snap = {}
        for label, pgid in self.groups.items():
            if pgid is None:
                continue
            pids = _group(pgid)
            snap[label] = {pid: _cpu(pid) for pid in pids}
            snap[label + " db"] = {pid: _cpu(pid) for pid in _db_backends(pids)}
        return snap

    def start(self):
        self.before = self._snapshot()

    def stop(self) -> dict:
        after = self._snapshot()
        used = {}
        for label, procs in after.items():
            start = self.before.get(label, {})
            used[label] = sum(t - start.get(pid, 0.0) for pid, t in procs.items())
        return used


def _wait_started(proc, *, postgres: bool, limit: float = 90.0) -> None:
    """Until `proc` is up: connected to PostgreSQL (a backend serves it), or on SQLite idle (its CPU time
    still for half a second after having grown)."""
    deadline = time.time() + limit
    last = _cpu(proc.pid)
    while time.time() < deadline and proc.poll() is None:
        time.sleep(0.5)
        if postgres:
            if _db_backends(_group(proc.pid)):
                return
            continue
        now = _cpu(proc.pid)
        if now > 0.2 and now - last < 0.02:
            return
        last = now


def _views_recorded() -> tuple[int, int]:
    """(views in the chain or pending, of which still pending)."""
    from rmdesk.core.models import AuditEvent, AuditPending

    pending = AuditPending.objects.filter(action="customers.view").count()
    return AuditEvent.objects.filter(action="customers.view").count() + pending, pending


def _start_sides(ctx, workers: int) -> dict:
    """Two gunicorns serving the API, the read audit off and on (the setting is read at start-up),
    started together (their start-ups overlap: the smoke run stays short) and ready when each answers
    /healthz. Returns {"off": (proc, port), "on": (proc, port)}."""
    procs = {}
    try:
        for side in ("off", "on"):
            port = free_port()
            env = {
                **os.environ,
                "DATABASE_URL": ctx.db_url,
                "RMDESK_DEBUG": "0",
                "PYTHONPATH": str(ROOT / "src"),
                "RMDESK_AUDIT_READS": "1" if side == "on" else "0",
                "RMDESK_AUDIT_SEAL_SYNC": "0",
            }
            cmd = [sys.executable, "-m", "gunicorn", "rmdesk.wsgi:application", "--workers", str(workers)]
            cmd += ["--bind", f"127.0.0.1:{port}", "--log-level", "warning", "--timeout", "60"]
            procs[side] = (subprocess.Popen(cmd, cwd=ROOT, env=env, start_new_session=True), port)
        deadline = time.time() + 120
        waiting = set(procs)
        while waiting and time.time() < deadline:
            for side in sorted(waiting):
                proc, port = procs[side]
                if proc.poll() is not None:
                    raise RuntimeError(f"gunicorn ({side}) exited {proc.returncode}")
                try:
                    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
                    conn.request("GET", "/healthz")
                    if conn.getresponse().status == 200:
                        waiting.discard(side)
                except OSError:
                    pass
            time.sleep(0.3)
        if waiting:
            raise RuntimeError(f"gunicorn ({', '.join(sorted(waiting))}) did not answer /healthz within 120 s")
    except BaseException:
        for proc, _port in procs.values():
            stop(proc)
        raise
    return procs


def _start_sealer(ctx):
    """The sealer is a long-running process (the scheduler node's): started with gunicorn and let up
    (Django imported, connected) before any timed load, so its start-up is not measured as the audit's
    cost."""
    env = {**os.environ, "DATABASE_URL": ctx.db_url, "PYTHONPATH": str(ROOT / "src")}
    env.setdefault("DJANGO_SETTINGS_MODULE", "rmdesk.settings")
    return subprocess.Popen(
        [sys.executable, "-m", "django", "seal_audit", "--loop", "--interval", "1"],
        cwd=ROOT,
        env=env,
        start_new_session=True,
    )


def _slice(port, reqs, duration, concurrency, max_requests, meter, *, drain: bool):
    """One timed slice of load on one server. With the audit on, the slice ends when the sealer has
    sealed what it recorded (at most 5 s after the load), so its sealing is charged to this slice
    and does not run during the next one."""
    before = _views_recorded()[0]
    meter.start()
    lat, errors, elapsed = load(port, reqs, duration, concurrency, max_requests)
    deadline = time.time() + 5.0
    while drain and time.time() < deadline:
        time.sleep(0.25)
        if _views_recorded()[1] == 0:
            break
    cpu = meter.stop()
    return lat, errors, elapsed, _views_recorded()[0] - before, cpu


def item_11(ctx) -> list[Figure]:
    from django.db import connections

    from bench import endpoints
    from rmdesk.customers.models import Customer

    args = getattr(ctx, "args", None)
    duration = args.duration if args and getattr(args, "duration", None) else (2.0 if ctx.smoke else 30.0)
    concurrency = int(os.environ.get("BENCH_AUDIT_CONCURRENCY", 4 if ctx.smoke else 100))
    workers = int(os.environ.get("BENCH_WORKERS", (os.cpu_count() or 2) * 2))
    max_requests = 200 if ctx.smoke else 200_000
    fig = Figure(
        "11",
        f"archive views (customer detail API) under gunicorn ({workers} sync workers), {concurrency} concurrent "
        f"clients, {duration:g} s each: p95 with the read audit / p95 without",
        "HTTP",
        unit="x",
        budget=Budget("value", "<=", 1.2, "x"),
    )
    try:
        reqs = []
        for u in ctx.rms:
            ctx.api(u)  # issues the token
            for pk in Customer.objects.filter(a_rm=u).order_by("pk").values_list("pk", flat=True)[:25]:
                reqs.append((endpoints.customer_detail_api(pk), {"Authorization": f"Bearer {ctx.tokens[u.pk]}"}))
    except NotBuilt as exc:
        fig.na = f"not built yet: {exc}"
        return [fig]
    if not reqs:
        fig.error = "no customer in the RMs' books"
        return [fig]
    # interleave RMs so concurrent requests view different customers of different people
    reqs = [reqs[i] for i in sorted(range(len(reqs)), key=lambda i: (i % 25, i))]
    connections.close_all()
    # Both servers run side by side for the whole measurement (one idles while the other is loaded)
    # and the load alternates between them: `rounds` slices each, every round's order flipped
    # (off on | on off | off on | on off), so both sides see the same moments of whatever else the
    # machine runs, and a drift over the run cancels out instead of landing on one side.
    rounds = 2 if ctx.smoke else int(os.environ.get("BENCH_AUDIT_ROUNDS", 8))
    slice_s = duration / rounds
    procs = {}
    sealer = None
    try:
        sealer = _start_sealer(ctx)
        procs = _start_sides(ctx, workers)
        _wait_started(sealer, postgres=ctx.db_url.startswith("postgres"))
        for _proc, port in procs.values():
            load(port, reqs, 1.0, 2, 40)  # warm the workers
        time.sleep(1.5)  # the warm-up's events sealed
        meters = {
            "off": _CpuMeter(procs["off"][0].pid, None),
            "on": _CpuMeter(procs["on"][0].pid, sealer.pid),
        }
        result = {side: {"lat": [], "err": [], "elapsed": 0.0, "rec": 0, "cpu": {}, "p95s": []} for side in procs}
        for r in range(rounds):
            for side in ("off", "on") if r % 2 == 0 else ("on", "off"):
                lat, err, el, rec, cpu = _slice(
                    procs[side][1],
                    reqs,
                    slice_s,
                    concurrency,
                    max(1, max_requests // rounds),
                    meters[side],
                    drain=side == "on",
                )
                acc = result[side]
                acc["lat"] += lat
                acc["err"] += err
                acc["elapsed"] += el
                acc["rec"] += rec
                acc["p95s"].append(Stats.of(lat).p95 if lat else float("nan"))
                for k, v in cpu.items():
                    acc["cpu"][k] = acc["cpu"].get(k, 0.0) + v
    finally:
        running = [proc for proc, _port in procs.values()] + ([sealer] if sealer is not None else [])
        for proc in running:  # all told to stop first: their shutdowns overlap
            if proc.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGTERM)
        for proc in running:
            stop(proc)
    lat_on, err_on, el_on, rec_on, cpu_on = (result["on"][k] for k in ("lat", "err", "elapsed", "rec", "cpu"))
    lat_off, err_off, el_off, rec_off, cpu_off = (result["off"][k] for k in ("lat", "err", "elapsed", "rec", "cpu"))
    if not lat_off or not lat_on:
        fig.error = "no request completed"
        return [fig]
    s_off, s_on = Stats.of(lat_off), Stats.of(lat_on)
    fig.value = s_on.p95 / s_off.p95
    fig.extra = {
        "p95 on ms": round(s_on.p95, 1),
        "p95 off ms": round(s_off.p95, 1),
        "p50 on ms": round(s_on.p50, 1),
        "p50 off ms": round(s_off.p50, 1),
        "req/s on": round((len(lat_on) - len(err_on)) / el_on, 1),
        "req/s off": round((len(lat_off) - len(err_off)) / el_off, 1),
        "views answered on": len(lat_on) - len(err_on),
        "views recorded on": rec_on,
        "views recorded off": rec_off,
        "errors": len(err_on) + len(err_off),
        "method": f"{rounds} alternated rounds of {slice_s:g} s a side (off on | on off | ...), both servers up",
        "p95 per round on / off ms": " · ".join(
            f"{a:.0f}/{b:.0f}" for a, b in zip(result["on"]["p95s"], result["off"]["p95s"], strict=True)
        ),
        "median of per-round p95 ratios": round(
            statistics.median(a / b for a, b in zip(result["on"]["p95s"], result["off"]["p95s"], strict=True)), 3
        ),
    }
    # phases: CPU ms per answered view (app = gunicorn, db = its PostgreSQL backends), load-independent
    n_on, n_off = max(1, len(lat_on) - len(err_on)), max(1, len(lat_off) - len(err_off))
    per_on = {k: 1000 * v / n_on for k, v in cpu_on.items()}
    per_off = {k: 1000 * v / n_off for k, v in cpu_off.items()}
    fig.extra["CPU ms/view off (app+db)"] = round(per_off.get("app", 0) + per_off.get("app db", 0), 2)
    fig.extra["CPU ms/view on (app+db)"] = round(per_on.get("app", 0) + per_on.get("app db", 0), 2)
    for side, per in (("off", per_off), ("on", per_on)):
        fig.extra[f"CPU ms/view {side}: app / db"] = f"{per.get('app', 0):.2f} / {per.get('app db', 0):.2f}"
    fig.extra["CPU ms/view on: sealer+db"] = round(per_on.get("sealer", 0) + per_on.get("sealer db", 0), 2)
    ok_on = len(lat_on) - len(err_on)
    if err_on or err_off:
        fig.extra["first error"] = (err_on or err_off)[0]
        fig.budget = Budget("value", "<=", float("-inf"), "x (with zero errors)")
    elif rec_on < ok_on or rec_off:
        fig.error = f"audit mismatch: {ok_on} views answered with the audit on, {rec_on} recorded; {rec_off} off"
    return [fig]
