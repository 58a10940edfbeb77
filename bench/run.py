"""The benchmark harness: `python -m bench.run --size small|branch [--scale F] --db sqlite|postgres`.

1. create (or reuse) the bench database, separate from the dev database, and migrate it;
2. fill what is empty with the generator (bench/generate.py);
3. measure items 1-7 of issue #4 warm (bench/items.py, bench/heavy.py, bench/load.py) and item 8 of issue 15
   (bench/assessment.py: one month's assessment of every RM);
4. write the figures to docs/benchmarks.md (or --out) and bench/out/<db>-<dataset>.json. The recorded runs'
   .json files are committed with docs/benchmarks.md (decision 99): `--merge` and `--rerender` then work on a
   fresh clone, so re-running some items on a new machine keeps the others' recorded figures.

`--smoke` (CI): few repetitions, a 1,000-row import, export and a 3-second load test; it proves the
harness works, asserts no timing, and writes to bench/out/ unless --out is given. Exit status is
non-zero when a measurement that exists fails (an error), never because a figure misses its budget.
"""

import argparse
import json
import sys
import time
import traceback
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ALL_ITEMS = ["1", "2", "3", "4", "5", "6", "7", "8", "9", "10", "11", "12", "13"]
# Items measured by their own module's `item_<N>(ctx)`; a module not written yet records "n/a".
ITEM_MODULES = {
    "6": "bench.heavy",  # import and export of 100,000 rows
    "7": "bench.load",  # HTTP load through gunicorn
    "8": "bench.assessment",  # an assessment run
    "9": "bench.pages",  # the framework floor, and each page against it (issue 18)
    "10": "bench.imports",  # import against a raw COPY of the same file (issue 18)
    "11": "bench.audit_load",  # concurrent archive views with and without the audit (issue 18)
    "12": "bench.cluster",  # two gunicorn nodes behind nginx, driven by wrk (issue 17)
    "13": "bench.analytics",  # dashboards, tier migration over a year, report export (issue 16)
}


def parse(argv=None):
    p = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__.splitlines()[0])
    p.add_argument("--size", default="small", help="tiny | small | branch")
    p.add_argument("--scale", type=float, default=1.0, help="multiplier of the size (RMs, units, rows)")
    p.add_argument("--db", default="sqlite", choices=["sqlite", "postgres"])
    p.add_argument("--smoke", action="store_true", help="CI: prove the harness works, quickly")
    p.add_argument("--reps", type=int, default=None, help="timed repetitions per figure (default 40, smoke 5)")
    p.add_argument("--items", default=",".join(ALL_ITEMS), help="comma-separated items to run, e.g. 1,2,4")
    p.add_argument("--regenerate", action="store_true", help="drop the bench database and generate it again")
    p.add_argument(
        "--out",
        default=None,
        help="markdown file to write, figures kept beside it as .json (default docs/benchmarks.md; bench/out/)",
    )
    p.add_argument("--duration", type=float, default=None, help="seconds of HTTP load for item 7 (default 20, smoke 3)")
    p.add_argument(
        "--merge",
        action="store_true",
        help="keep the previous run's figures of the items not run now (bench/out/<db>-<dataset>.json)",
    )
    p.add_argument(
        "--rerender",
        action="store_true",
        help="only re-render docs/benchmarks.md from the recorded runs in bench/out/*.json",
    )
    p.add_argument(
        "--rows", type=int, default=None, help="rows for import/export, item 6 (default 100,000, smoke 1,000)"
    )
    p.add_argument(
        "--rss-rows",
        type=int,
        default=None,
        help="item 10 also imports a customers file of this many rows for its peak RSS (the budget's 1,000,000)",
    )
    return p.parse_args(argv)


def main(argv=None) -> int:
    args = parse(argv)
    if args.rerender:
        from bench import report

        for path in sorted((ROOT / "bench" / "out").glob("*.json")):
            if not path.stem.endswith("-smoke"):
                report.write(json.loads(path.read_text()), Path(args.out) if args.out else report.DOC)
        return 0
    from bench import db
    from bench.sizes import get_size

    size = get_size(args.size, args.scale)
    key = db.dataset_key(args.size, args.scale)
    url = db.database_url(args.db, key)
    reps = args.reps or (5 if args.smoke else 40)
    t_start = time.perf_counter()
    log = lambda msg: print(msg, flush=True)  # noqa: E731
    log(f"bench: {size.name} ({size.label}) on {args.db} -> {url.split('@')[-1]}")
    if args.regenerate:
        db.drop_database(url)
    db.ensure_database(url)
    db.setup_django(url)
    t0 = time.perf_counter()
    db.migrate()
    log(f"  migrated in {time.perf_counter() - t0:.1f}s")

    from bench import extra_tables, items, report
    from bench.generate import Dataset

    gen = Dataset(size, log=log).run()
    dataset = {
        "size": args.size,
        "scale": args.scale,
        "key": key,
        "label": size.label,
        "counts": current_counts(),
        "generated": gen["timings"],
    }
    log(f"  dataset: {dataset['counts']}")

    ctx = items.Context(reps=reps, smoke=args.smoke, log=log)
    ctx.args = args
    ctx.db_url = url
    figures = []
    wanted = [i.strip() for i in args.items.split(",") if i.strip()]
    for item in wanted:
        fn = item_function(item)
        t0 = time.perf_counter()
        try:
            figs = fn(ctx)
        except Exception as exc:  # noqa: BLE001 - one broken item must not hide the others
            traceback.print_exc()
            figs = [items.Figure(item, f"item {item}", error=f"{type(exc).__name__}: {exc}"[:300])]
        figures += figs
        for f in figs:
            log("  " + line_for(f))
        log(f"  item {item} took {time.perf_counter() - t0:.1f}s")
    for what, model in extra_tables.MISSING.items():
        log(f"  note: {what} not generated (not built yet: {model})")

    run = {
        "date": report.now_str(),
        "smoke": args.smoke,
        "reps": reps,
        "machine": report.machine_info(db.server_versions()),
        "dataset": dataset,
        "figures": [f.as_dict() for f in figures],
        "seconds": round(time.perf_counter() - t_start, 1),
    }
    out_dir = ROOT / "bench" / "out"
    out_dir.mkdir(parents=True, exist_ok=True)
    json_path = out_dir / f"{args.db}-{key}{'-smoke' if args.smoke else ''}.json"
    if args.out:  # a run written elsewhere keeps its figures beside it, not over the recorded ones
        json_path = Path(args.out).with_suffix(".json")
    run["item_dates"] = dict.fromkeys(wanted, run["date"])
    if args.merge and json_path.exists():
        previous = json.loads(json_path.read_text())
        kept = [f for f in previous["figures"] if f["item"] not in wanted]
        run["figures"] = sorted(kept + run["figures"], key=lambda f: f["item"])
        dates = previous.get("item_dates") or {f["item"]: previous["date"] for f in previous["figures"]}
        run["item_dates"] = {**{k: v for k, v in dates.items() if k not in wanted}, **run["item_dates"]}
    json_path.write_text(json.dumps(run, ensure_ascii=False, indent=1, default=str))
    target = Path(args.out) if args.out else (out_dir / "benchmarks-smoke.md" if args.smoke else report.DOC)
    report.write(run, target)
    errors = [f for f in figures if f.status == "error"]
    measured = [f for f in figures if f.status in ("pass", "miss", "info")]
    log(
        f"bench: {len(measured)} figures, {sum(f.status == 'miss' for f in figures)} over budget, "
        f"{sum(f.status == 'n/a' for f in figures)} n/a, {len(errors)} errors; written to {target} "
        f"in {time.perf_counter() - t_start:.0f}s"
    )
    if not measured:
        log("bench: FAILED, no figure was measured")
        return 1
    return 1 if errors else 0


def item_function(item: str):
    import importlib

    from bench import items

    if item in items.ITEMS:
        return items.ITEMS[item]
    if item not in ITEM_MODULES:
        raise SystemExit(f"unknown item {item!r}")
    try:
        module = importlib.import_module(ITEM_MODULES[item])
    except ModuleNotFoundError as exc:
        if exc.name != ITEM_MODULES[item]:
            raise
        return lambda ctx: [items.Figure(item, f"item {item}", na=f"not built yet: {ITEM_MODULES[item]}")]
    return getattr(module, f"item_{item}")


def current_counts() -> dict:
    from bench.generate import find_model
    from rmdesk.customers.models import Customer
    from rmdesk.org.models import OrgUnit, RoleCode, User

    counts = {
        "org units": OrgUnit.objects.count(),
        "RMs": User.objects.filter(roles__code=RoleCode.RM).count(),
        "customers": Customer.objects.count(),
    }
    for label, app, name in (
        ("holdings", "customers", "Holding"),
        ("interactions", "work", "Interaction"),
        ("cadence states", "work", "ContactStatus"),
    ):
        model = find_model(app, name)
        if model is not None:
            counts[label] = model.objects.count()
    return counts


def line_for(f) -> str:
    if f.status in ("n/a", "error"):
        return f"[{f.item}] {f.name} ({f.channel}): {f.status.upper()} {f.na or f.error}"
    if f.stats:
        s = f"p50 {f.stats.p50:.1f} ms, p95 {f.stats.p95:.1f} ms, max {f.stats.max:.1f} ms"
        if f.raw:
            s += f"; raw p50 {f.raw.p50:.2f} ms, app/raw {f.ratio:.2f}"
    else:
        s = f"{f.value:,.2f} {f.unit}"
    return f"[{f.item}] {f.name} ({f.channel}): {s} [{f.status}]"


if __name__ == "__main__":
    sys.exit(main())
