"""Render results into docs/benchmarks.md. Each run (database × dataset) owns one section between
markers; a new run replaces its own section and keeps the others, so PostgreSQL and SQLite figures
of different sizes live side by side. Everything here is written by the harness; the hand-written
analysis lives in bench/notes.md and is included verbatim."""

import os
import platform
import re
import subprocess
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "benchmarks.md"
NOTES = Path(__file__).resolve().parent / "notes.md"
SECTION_RE = re.compile(r"<!-- bench:run (?P<key>\S+) -->\n(?P<body>.*?)<!-- /bench:run -->\n", re.S)

INTRO = """# Benchmarks

*This file is written by the benchmark harness (`bench/run.py`), not by hand: every figure below
comes from a run whose machine, dataset and date are stated in its section. Re-running a size on
a database replaces that section only.*

Run it with `make bench` (size `small` on SQLite) or e.g.
`make bench SIZE=branch DB=postgres BENCH_ARGS="--scale 0.1"`. The harness creates its own
database (`var/bench/*.sqlite3`, or PostgreSQL database `rmdesk_bench_<size>`), migrates it, fills
it with the generator (`bench/generate.py`, COPY / executemany, not the ORM), then measures warm:
untimed warm-up calls, then repetitions rotated over several RMs, reporting p50 / p95 / max in
milliseconds. `raw` is the same query hand-written in SQL and run through the driver (sqlite3 /
psycopg) on the same connection: the physical floor. `app/raw` = app p50 / raw p50 = the overhead
the product adds over that floor. Channels: ORM = the app's scope function and queryset; API =
Django Ninja through Django's test client (whole middleware stack, bearer token); HTML = the
server-rendered page (session login); HTTP = gunicorn workers and a load generator on loopback.

Budget (issue #4; it applies to PostgreSQL at the `branch` size on the 2-core reference machine;
other runs show the same columns for orientation): p95 ≤ 30 ms for the customer list, search,
360° page and the overdue list through the API; ≤ 300 ms for the branch dashboard; app/raw ≤ 2 on
items 1, 2 and 4; full cadence recompute ≤ 60 s, incremental ≤ 50 ms; import ≥ 5,000 rows/s; export
of 100,000 rows ≤ 20 s with peak RSS ≤ 500 MB; ≥ 200 requests/s with zero errors on the list API.
"""


def machine_info(db_info: dict) -> dict:
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = ""
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                mem = f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
    except OSError:
        pass
    import django

    try:
        commit = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True, timeout=5
        ).stdout.strip()
    except Exception:  # noqa: BLE001
        commit = ""
    try:
        load = os.getloadavg()[0]
    except OSError:
        load = None
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory": mem,
        "os": platform.platform(),
        "python": platform.python_version(),
        "django": django.get_version(),
        "database": f"{db_info['engine']} {db_info['version']}",
        "database_settings": db_info.get("settings", ""),
        "commit": commit,
        "load_at_start": load,
    }


def _ms(x):
    if x is None:
        return ""
    return f"{x:.1f}" if x < 100 else f"{x:.0f}"


def _status(fig) -> str:
    s = fig["status"]
    return {"pass": "✅ pass", "miss": "❌ miss", "info": "–", "n/a": "n/a", "error": "⚠️ error"}[s]


def render_section(run: dict) -> str:
    m, ds = run["machine"], run["dataset"]
    title = f"{m['database']} · size `{ds['size']}`" + (f" ×{ds['scale']:g}" if ds["scale"] != 1 else "")
    lines = [f"## {title}", ""]
    dates = run.get("item_dates") or {}
    when = run["date"]
    if len(set(dates.values())) > 1:
        by_date = {}
        for item, d in sorted(dates.items()):
            by_date.setdefault(d, []).append(item)
        when = "; ".join(f"items {', '.join(items)}: {d}" for d, items in sorted(by_date.items()))
    lines.append(
        f"- **Date**: {when} · commit `{m['commit']}` · {'smoke run' if run.get('smoke') else 'full run'}"
        f" · {run['reps']} timed repetitions per figure"
    )
    lines.append(
        f"- **Machine**: {m['cpu']}, {m['cores']} cores, {m['memory']} RAM, {m['os']}; Python {m['python']},"
        f" Django {m['django']}, {m['database']}"
        + (f" ({m['database_settings']})" if m.get("database_settings") else "")
        + (
            f"; load average at start {m['load_at_start']:.2f} (shared machine)"
            if m.get("load_at_start") is not None
            else ""
        )
    )
    counts = ", ".join(f"{v:,} {k}" for k, v in ds["counts"].items())
    lines.append(f"- **Dataset**: {ds['label']} → {counts}")
    if ds.get("generated"):
        gen = ", ".join(f"{k} {v:.1f} s" for k, v in ds["generated"].items())
        lines.append(f"- **Generation** (this run): {gen}")
    lines.append("")
    lat = [f for f in run["figures"] if f["stats"] or (f["status"] in ("n/a", "error") and f["unit"] in ("", "ms"))]
    other = [f for f in run["figures"] if f not in lat]
    lines += [
        "| # | measurement | via | p50 ms | p95 ms | max ms | raw p50 | raw p95 | app/raw | budget | result |",
        "|---|---|---|---:|---:|---:|---:|---:|---:|---|---|",
    ]
    for f in lat:
        st, rw = f["stats"] or {}, f["raw"] or {}
        budget = "; ".join(b for b in (f["budget"], f["ratio_budget"]) if b)
        note = f["na"] or f["error"]
        ratio = f"{f['ratio']:.2f}" if f["ratio"] is not None else ""
        lines.append(
            f"| {f['item']} | {f['name']}{' — ' + note if note else ''} | {f['channel']} | {_ms(st.get('p50'))} "
            f"| {_ms(st.get('p95'))} | {_ms(st.get('max'))} | {_ms(rw.get('p50'))} | {_ms(rw.get('p95'))} "
            f"| {ratio} | {budget} | {_status(f)} |"
        )
    if other:
        lines += [
            "",
            "| # | measurement | via | figure | budget | result | details |",
            "|---|---|---|---:|---|---|---|",
        ]
        for f in other:
            val = (
                ""
                if f["value"] is None
                else (f"{f['value']:,.2f} {f['unit']}" if f["value"] < 100 else f"{f['value']:,.0f} {f['unit']}")
            )
            note = f["na"] or f["error"]
            details = ", ".join(f"{k}: {v}" for k, v in (f.get("extra") or {}).items())
            lines.append(
                f"| {f['item']} | {f['name']}{' — ' + note if note else ''} | {f['channel']} | {val} "
                f"| {f['budget']} | {_status(f)} | {details} |"
            )
    misses = [f for f in run["figures"] if f["status"] == "miss"]
    lines += [
        "",
        f"**Misses in this run**: {len(misses)}"
        + ("" if not misses else " — " + "; ".join(f"{f['item']} {f['name']} ({f['channel']})" for f in misses)),
    ]
    nas = [f for f in run["figures"] if f["status"] == "n/a"]
    if nas:
        lines.append(f"**Not measured** (not built yet when this run happened): {len(nas)}")
    return "\n".join(lines) + "\n"


def run_key(run: dict) -> str:
    ds = run["dataset"]
    return f"{run['machine']['database'].split()[0].lower()}/{ds['key']}"


def write(run: dict, path: Path = DOC):
    sections = {}
    if path.exists():
        for m in SECTION_RE.finditer(path.read_text()):
            sections[m["key"]] = m["body"]
    sections[run_key(run)] = render_section(run)
    order = sorted(sections, key=lambda k: (not k.startswith("postgresql"), k))
    parts = [INTRO]
    for k in order:
        parts.append(f"<!-- bench:run {k} -->\n{sections[k]}<!-- /bench:run -->\n")
    if NOTES.exists():
        parts.append(NOTES.read_text())
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(parts))
    return path


def now_str():
    return datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z")
