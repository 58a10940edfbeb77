"""The periodic jobs of the embedded default and when each is due (SPEC §12 "runs on one machine").

`manage.py serve_embedded` (what `make run` starts) runs them as `manage.py <command>` subprocesses on
this schedule, so a single-machine installation needs no cron. At scale, cron or systemd timers run
the same commands (README "Production"). Pure logic here: which job is due at a given instant, given
when it last started; the last starts are kept in a small JSON file so a restart does not rerun a
daily job that already ran today.
"""

import json
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from pathlib import Path


@dataclass(frozen=True)
class Job:
    name: str
    command: tuple[str, ...]  # the manage.py command and its arguments
    every: timedelta | None = None  # an interval job: due this long after its last start
    at: time | None = None  # a daily job: due once a day, from this local time on

    def __post_init__(self):
        if (self.every is None) == (self.at is None):
            raise ValueError("a job runs either every <interval> or daily at <time>")


# The README's cron table, as the embedded default runs it. Daily jobs run at night, before the
# working day; a daily job that missed its time (the machine was off) runs at the next start.
JOBS = (
    Job("run_sla", ("run_sla",), every=timedelta(minutes=5)),
    Job("sweep_imports", ("sweep_imports",), every=timedelta(minutes=5)),  # imports whose worker died
    Job("run_notices", ("run_notices",), every=timedelta(minutes=1)),  # channel retries, quiet hours ending
    Job("evaluate_tiers", ("evaluate_tiers",), at=time(1, 30)),  # month-end tiers on the daily average, once
    Job("recompute_tiers", ("recompute_tiers",), at=time(2, 0)),
    Job("run_analytics", ("run_analytics",), at=time(2, 30)),  # daily snapshots for trends, after re-tiering
    Job("verify_audit", ("verify_audit",), at=time(3, 0)),
    Job("audit_checkpoint", ("audit_checkpoint",), every=timedelta(hours=1)),  # signed audit head, outside the db
    Job("archive_audit", ("archive_audit",), at=time(3, 30)),  # events past retention to signed files, never deleted
    Job("run_compliance", ("run_compliance",), at=time(4, 0)),  # yesterday's anomaly report, pledge/gift reminders
    Job("run_periodic", ("run_periodic",), at=time(6, 30)),
    Job("scan_churn", ("scan_churn",), at=time(6, 10)),  # churn watch and the pack's retention triggers
    Job("run_contracts", ("run_contracts",), at=time(6, 20)),  # overdue borrowings, expiry, overdue receivables
    Job("run_credit", ("run_credit",), at=time(6, 40)),  # credit warnings, escalation, overdue checks, submission SLA
    Job("run_sales", ("run_sales",), at=time(6, 50)),  # task and campaign deadlines, campaigns that ended
    Job("run_people", ("run_people",), at=time(7, 0)),  # certificate expiry, training points, inspections due
    Job("snapshot_balances", ("snapshot_balances",), at=time(23, 30)),  # the day's balances into the month's sum
)


def last_slot(job: Job, now: datetime) -> datetime:
    """The latest instant ≤ now at which a daily job became due."""
    today_at = datetime.combine(now.date(), job.at, now.tzinfo)
    return today_at if now >= today_at else today_at - timedelta(days=1)


def is_due(job: Job, last_start: datetime | None, now: datetime) -> bool:
    """An interval job is due when `every` has passed since its last start (or it never ran); a
    daily job when it has not started since its latest due time (so a missed night runs once)."""
    if last_start is None:
        return True
    if job.every is not None:
        return now - last_start >= job.every
    return last_start < last_slot(job, now)


def due_jobs(jobs, last_starts: dict, now: datetime, running=()) -> list[Job]:
    """The jobs to start now: due, and not still running from their previous start."""
    return [j for j in jobs if j.name not in running and is_due(j, last_starts.get(j.name), now)]


def load_state(path: Path) -> dict:
    """Last starts by job name; an unreadable or missing file means nothing ran yet."""
    try:
        raw = json.loads(Path(path).read_text())
        return {name: datetime.fromisoformat(value) for name, value in raw.items()}
    except (OSError, ValueError, TypeError, AttributeError):
        return {}


def save_state(path: Path, last_starts: dict) -> None:
    path = Path(path)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps({name: dt.isoformat() for name, dt in last_starts.items()}, indent=1))
    tmp.replace(path)
