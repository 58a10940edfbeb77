"""Item 11 (issue 18): N concurrent archive views through gunicorn, with the read audit on and off in
the same run. Each request is the customer detail API (`/api/customers/<pk>`), which records a
"customers.view" event; with the audit on, the event goes to the unchained pending table in the
request's transaction and `seal_audit --loop` (run beside gunicorn, as the scheduler node does at
scale) seals it into the chain. Budget: p95 with the audit ≤ 1.2 × p95 without.

The API is used rather than the HTML page because it is the cheaper request: the audit's share of
it is larger, so the ratio is the stricter test. After the run every view is accounted for: the
events recorded (sealed + still pending) equal the requests answered 200.
"""

import os
import subprocess
import sys
import time

from bench.items import Budget, Figure, NotBuilt
from bench.load import ROOT, free_port, load, start_gunicorn, stop
from bench.timing import Stats


def _views_recorded() -> int:
    from rmdesk.core.models import AuditEvent, AuditPending

    return (
        AuditEvent.objects.filter(action="customers.view").count()
        + AuditPending.objects.filter(action="customers.view").count()
    )


def _run(ctx, reqs, workers, concurrency, duration, max_requests, audit_on: bool):
    env_before = {k: os.environ.get(k) for k in ("RMDESK_AUDIT_READS", "RMDESK_AUDIT_SEAL_SYNC")}
    os.environ["RMDESK_AUDIT_READS"] = "1" if audit_on else "0"
    os.environ["RMDESK_AUDIT_SEAL_SYNC"] = "0"
    port = free_port()
    sealer = None
    try:
        proc = start_gunicorn(ctx.db_url, workers, port)
        if audit_on:
            env = {**os.environ, "DATABASE_URL": ctx.db_url, "PYTHONPATH": str(ROOT / "src")}
            env.setdefault("DJANGO_SETTINGS_MODULE", "rmdesk.settings")
            sealer = subprocess.Popen(
                [sys.executable, "-m", "django", "seal_audit", "--loop", "--interval", "1"],
                cwd=ROOT,
                env=env,
                start_new_session=True,
            )
        try:
            load(port, reqs, 1.0, 2, 40)  # warm the workers
            before = _views_recorded()
            lat, errors, elapsed = load(port, reqs, duration, concurrency, max_requests)
            time.sleep(0.5)
            recorded = _views_recorded() - before
        finally:
            stop(proc)
            if sealer is not None:
                stop(sealer)
    finally:
        for k, v in env_before.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
    return lat, errors, elapsed, recorded


def item_11(ctx) -> list[Figure]:
    from django.db import connections

    from bench import endpoints
    from rmdesk.customers.models import Customer

    args = getattr(ctx, "args", None)
    duration = args.duration if args and getattr(args, "duration", None) else (2.0 if ctx.smoke else 15.0)
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
    off = _run(ctx, reqs, workers, concurrency, duration, max_requests, audit_on=False)
    on = _run(ctx, reqs, workers, concurrency, duration, max_requests, audit_on=True)
    (lat_off, err_off, el_off, rec_off), (lat_on, err_on, el_on, rec_on) = off, on
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
    }
    ok_on = len(lat_on) - len(err_on)
    if err_on or err_off:
        fig.extra["first error"] = (err_on or err_off)[0]
        fig.budget = Budget("value", "<=", float("-inf"), "x (with zero errors)")
    elif rec_on < ok_on or rec_off:
        fig.error = f"audit mismatch: {ok_on} views answered with the audit on, {rec_on} recorded; {rec_off} off"
    return [fig]
