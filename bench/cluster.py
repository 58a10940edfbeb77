"""Item 12 (issue 17): the customer-list API through nginx in front of two gunicorn nodes, and through
the same nginx in front of one node, driven by wrk (a C load generator, so the generator does not eat
the server's cores); requests/s and p95 side by side. Also the helpers the multi-node test
(scripts/cluster_test.py) uses: a generated non-root nginx configuration, gunicorn nodes, wrk.

Loopback only; nginx, gunicorn and wrk are started in a temporary directory and stopped at the end.
"""

import http.client
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlencode

from bench.items import Budget, Figure, NotBuilt

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def nginx_conf(tmp: Path, port: int, upstreams: list[int], static_root: Path | None = None) -> Path:
    """An nginx configuration a non-root user can run (`nginx -p tmp -c nginx.conf`), in the shape of
    deploy/nginx.conf: upstream of gunicorn nodes with passive health checks (max_fails), retries of
    a request that never reached a node, /static/ from disk, large uploads for imports."""
    servers = "\n".join(f"    server 127.0.0.1:{p} max_fails=1 fail_timeout=3s;" for p in upstreams)
    user = "user root;\n" if os.geteuid() == 0 else ""
    static = f"    location /static/ {{ alias {static_root}/; expires 7d; }}\n" if static_root else ""
    text = f"""{user}worker_processes 1;
daemon off;
pid {tmp}/nginx.pid;
error_log {tmp}/nginx-error.log warn;
events {{ worker_connections 4096; }}
http {{
  access_log off;
  client_body_temp_path {tmp}/body;
  proxy_temp_path {tmp}/proxy;
  fastcgi_temp_path {tmp}/fastcgi;
  uwsgi_temp_path {tmp}/uwsgi;
  scgi_temp_path {tmp}/scgi;
  upstream rmdesk {{
{servers}
    keepalive 32;
  }}
  server {{
    listen 127.0.0.1:{port};
    client_max_body_size 60m;
{static}    location / {{
      proxy_pass http://rmdesk;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header Host $host;
      proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
      proxy_set_header X-Forwarded-Proto $scheme;
      proxy_connect_timeout 2s;
      proxy_read_timeout 120s;
      proxy_next_upstream error timeout http_502 http_503;
      proxy_next_upstream_tries 2;
    }}
  }}
}}
"""
    path = tmp / "nginx.conf"
    path.write_text(text)
    return path


def wait_http(port: int, path: str = "/healthz", seconds: float = 60, proc=None) -> None:
    deadline = time.time() + seconds
    while time.time() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"process exited {proc.returncode} before answering {path}")
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", path)
            if conn.getresponse().status == 200:
                return
        except OSError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"127.0.0.1:{port}{path} did not answer 200 within {seconds:g} s")


def start_nginx(tmp: Path, port: int, upstreams: list[int], static_root: Path | None = None):
    conf = nginx_conf(tmp, port, upstreams, static_root)
    proc = subprocess.Popen(
        ["nginx", "-p", str(tmp), "-c", str(conf)],
        start_new_session=True,
        stderr=open(tmp / "nginx-stderr.log", "ab"),
    )
    return proc


def start_gunicorn(env: dict, port: int, workers: int, log: Path | None = None):
    cmd = [sys.executable, "-m", "gunicorn", "rmdesk.wsgi:application", "--workers", str(workers)]
    cmd += ["--bind", f"127.0.0.1:{port}", "--log-level", "warning", "--timeout", "120"]
    out = open(log, "ab") if log else subprocess.DEVNULL
    return subprocess.Popen(cmd, cwd=ROOT, env=env, start_new_session=True, stdout=out, stderr=out)


def stop(proc, sig=signal.SIGTERM, wait=20):
    if proc is None or proc.poll() is not None:
        return
    try:
        os.killpg(proc.pid, sig)
    except ProcessLookupError:
        return
    try:
        proc.wait(wait)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()


WRK_LUA = """
local reqs = {}
local i = 0
init = function(args)
  for n = 1, #args, 2 do
    reqs[#reqs + 1] = wrk.format("GET", args[n], {["Authorization"] = "Bearer " .. args[n + 1]})
  end
end
request = function()
  i = i + 1
  return reqs[(i % #reqs) + 1]
end
done = function(summary, latency, requests)
  io.write(string.format("RMDESK requests=%d non2xx=%d errors=%d p50_us=%d p95_us=%d max_us=%d\\n",
    summary.requests, summary.errors.status, summary.errors.connect + summary.errors.read +
    summary.errors.write + summary.errors.timeout, latency:percentile(50), latency:percentile(95), latency.max))
end
"""


def run_wrk(tmp: Path, port: int, pairs: list[tuple[str, str]], duration: float, connections: int, threads=2):
    """wrk against 127.0.0.1:port rotating (path, token) pairs; returns requests, req/s, errors, p50/p95."""
    script = tmp / "rmdesk.lua"
    script.write_text(WRK_LUA)
    args = [a for pair in pairs for a in pair]
    cmd = ["wrk", "-t", str(threads), "-c", str(connections), "-d", f"{max(1, round(duration))}s", "--timeout", "10s"]
    cmd += ["-s", str(script), f"http://127.0.0.1:{port}", "--", *args]
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=duration + 60).stdout
    m = re.search(r"RMDESK requests=(\d+) non2xx=(\d+) errors=(\d+) p50_us=(\d+) p95_us=(\d+) max_us=(\d+)", out)
    rps = re.search(r"Requests/sec:\s+([\d.]+)", out)
    if not m or not rps:
        raise RuntimeError(f"unexpected wrk output: {out[-500:]}")
    n, non2xx, errs, p50, p95, mx = (int(x) for x in m.groups())
    return {
        "requests": n,
        "rps": float(rps.group(1)),
        "non2xx": non2xx,
        "errors": errs,
        "p50_ms": p50 / 1000,
        "p95_ms": p95 / 1000,
        "max_ms": mx / 1000,
    }


def _pairs(ctx):
    from bench import endpoints

    pairs = []
    for u in ctx.rms:
        ctx.api(u)  # issues the token
        url, params = endpoints.customer_list_api(page_size=20)
        pairs.append((f"{url}?{urlencode(params)}", ctx.tokens[u.pk]))
    return pairs


def item_12(ctx) -> list[Figure]:
    args = getattr(ctx, "args", None)
    duration = args.duration if args and getattr(args, "duration", None) else (2.0 if ctx.smoke else 20.0)
    workers = int(os.environ.get("BENCH_NODE_WORKERS", 1 if ctx.smoke else (os.cpu_count() or 2)))
    conns = int(os.environ.get("BENCH_CONCURRENCY", 16))
    budget = Budget("value", ">=", 300, "req/s")
    figs = {
        n: Figure(
            "12",
            f"customer-list API through nginx, {n} gunicorn node{'s' if n > 1 else ''} × {workers} workers, "
            f"wrk {conns} connections for {duration:g} s",
            "HTTP",
            unit="req/s",
            budget=budget if n == 2 else None,
        )
        for n in (1, 2)
    }
    missing = [b for b in ("nginx", "wrk") if not shutil.which(b)]
    if missing:
        for f in figs.values():
            f.na = f"not installed: {', '.join(missing)} (apt-get install nginx wrk)"
        return list(figs.values())
    try:
        pairs = _pairs(ctx)
    except NotBuilt as exc:
        for f in figs.values():
            f.na = f"not built yet: {exc}"
        return list(figs.values())
    from django.db import connections

    connections.close_all()
    env = {**os.environ, "DATABASE_URL": ctx.db_url, "RMDESK_DEBUG": "0", "PYTHONPATH": str(ROOT / "src")}
    ports = [free_port(), free_port()]
    with tempfile.TemporaryDirectory(prefix="rmdesk-bench12-") as td:
        tmp = Path(td)
        nodes = [start_gunicorn(env, p, workers, tmp / f"node{i}.log") for i, p in enumerate(ports)]
        try:
            for i, (p, proc) in enumerate(zip(ports, nodes, strict=True)):
                try:
                    wait_http(p, proc=proc, seconds=180)
                except RuntimeError as exc:
                    log = (tmp / f"node{i}.log").read_text(errors="replace")[-1500:]
                    raise RuntimeError(f"{exc}; node log: {log}") from exc
            for n in (1, 2):
                run_dir = tmp / f"nginx{n}"
                run_dir.mkdir()
                port = free_port()
                nginx = start_nginx(run_dir, port, ports[:n])
                try:
                    wait_http(port, proc=nginx, seconds=20)
                    run_wrk(run_dir, port, pairs, 1, 4)  # warm
                    r = run_wrk(run_dir, port, pairs, duration, conns)
                finally:
                    stop(nginx, signal.SIGQUIT)
                f = figs[n]
                bad = r["non2xx"] + r["errors"]
                f.value = round(r["rps"], 1)
                f.extra = {
                    "requests": r["requests"],
                    "errors": bad,
                    "p50 ms": round(r["p50_ms"], 1),
                    "p95 ms": round(r["p95_ms"], 1),
                    "max ms": round(r["max_ms"], 1),
                }
                if bad and f.budget:
                    f.budget = Budget("value", ">=", float("inf"), "req/s (with zero errors)")
        finally:
            for proc in nodes:
                stop(proc)
    one, two = figs[1], figs[2]
    if one.value and two.value:
        two.extra["× one node"] = round(two.value / one.value, 2)
    return [one, two]
