"""Which periodic job is due when (rmdesk.core.scheduler), and the embedded supervisor's process tree."""

import io
import re
import sys
import threading
import time as clock
from datetime import datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from rmdesk.core import embedded, scheduler
from rmdesk.core.scheduler import Job

SH = ZoneInfo("Asia/Shanghai")
SLA = Job("run_sla", ("run_sla",), every=timedelta(minutes=5))
NIGHTLY = Job("verify_audit", ("verify_audit",), at=time(3, 0))


def at(day, hh, mm=0):
    return datetime(2026, 12, day, hh, mm, tzinfo=SH)


def test_a_job_is_either_interval_or_daily():
    with pytest.raises(ValueError):
        Job("x", ("x",))
    with pytest.raises(ValueError):
        Job("x", ("x",), every=timedelta(minutes=1), at=time(1, 0))


def test_a_job_that_never_ran_is_due_at_once():
    assert scheduler.is_due(SLA, None, at(2, 12))
    assert scheduler.is_due(NIGHTLY, None, at(2, 12))


def test_interval_job_is_due_when_its_interval_has_passed():
    last = at(2, 12, 0)
    assert not scheduler.is_due(SLA, last, at(2, 12, 4))
    assert scheduler.is_due(SLA, last, at(2, 12, 5))
    assert scheduler.is_due(SLA, last, at(3, 9))


def test_daily_job_runs_once_a_day_from_its_time():
    ran = at(2, 3, 1)  # ran last night
    assert not scheduler.is_due(NIGHTLY, ran, at(2, 23, 59))
    assert not scheduler.is_due(NIGHTLY, ran, at(3, 2, 59))  # before tonight's time
    assert scheduler.is_due(NIGHTLY, ran, at(3, 3, 0))
    assert not scheduler.is_due(NIGHTLY, at(3, 3, 0), at(3, 18))


def test_a_missed_night_runs_once_at_the_next_start():
    assert not scheduler.is_due(NIGHTLY, at(1, 3, 0), at(2, 1, 0))  # ran on the 1st; the 2nd's time is ahead
    assert scheduler.is_due(NIGHTLY, at(1, 2, 0), at(2, 1, 0))  # last start before the 1st's 03:00: missed
    assert not scheduler.is_due(NIGHTLY, at(2, 1, 0), at(2, 2, 0))  # the catch-up run counts


def test_due_jobs_skips_a_job_still_running():
    last = {"run_sla": at(2, 12)}
    now = at(2, 12, 10)
    assert [j.name for j in scheduler.due_jobs([SLA, NIGHTLY], last, now)] == ["run_sla", "verify_audit"]
    assert [j.name for j in scheduler.due_jobs([SLA, NIGHTLY], last, now, running={"run_sla": 1})] == ["verify_audit"]


def test_the_readme_jobs_are_scheduled():
    """The README's "Periodic jobs" paragraph and the embedded scheduler name the same commands."""
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    paragraph = readme[readme.index("Periodic jobs") :].split("\n\n", 1)[0]
    processes = {"db_worker", "serve_embedded", "seal_audit", "run_scheduler"}  # long-running, not periodic jobs
    documented = set(re.findall(r"manage\.py (\w+)", paragraph)) - processes
    names = {j.name: j for j in scheduler.JOBS}
    assert set(names) == documented
    assert all(j.command[0] == j.name for j in scheduler.JOBS)
    assert names["run_notices"].every <= timedelta(minutes=1)  # channel retries back off from one minute
    assert names["run_sla"].every <= timedelta(minutes=10)
    assert names["sweep_imports"].every <= timedelta(minutes=10)
    assert all(names[n].at is not None for n in ("run_periodic", "recompute_tiers", "verify_audit"))


def test_state_survives_a_restart_and_a_broken_file_means_nothing_ran(tmp_path):
    path = tmp_path / "scheduler.json"
    scheduler.save_state(path, {"run_sla": at(2, 12)})
    assert scheduler.load_state(path) == {"run_sla": at(2, 12)}
    path.write_text("{not json")
    assert scheduler.load_state(path) == {}
    assert scheduler.load_state(tmp_path / "missing.json") == {}


SLEEPER = [sys.executable, "-c", "import time; time.sleep(60)"]


def _wait_until(cond, timeout=10.0):
    end = clock.monotonic() + timeout
    while clock.monotonic() < end:
        if cond():
            return True
        clock.sleep(0.05)
    return False


def test_supervisor_starts_its_children_and_stops_them_together():
    sup = embedded.Supervisor({"web": SLEEPER, "worker": SLEEPER}, jobs=(), tick=0.05, grace=5, out=io.StringIO())
    stop = threading.Event()
    thread = threading.Thread(target=sup.run, args=(stop,))
    thread.start()
    try:
        assert _wait_until(lambda: len(sup.children) == 2)
        assert all(p.poll() is None for p in sup.children.values())
    finally:
        stop.set()
        thread.join(15)
    assert not thread.is_alive()
    assert all(p.poll() is not None for p in sup.children.values())
    assert sup.exit_code == 0


def test_when_one_child_dies_the_others_are_stopped():
    quick = [sys.executable, "-c", "raise SystemExit(3)"]
    sup = embedded.Supervisor({"web": SLEEPER, "worker": quick}, jobs=(), tick=0.05, grace=5, out=io.StringIO())
    stop = threading.Event()
    thread = threading.Thread(target=sup.run, args=(stop,))
    thread.start()
    thread.join(20)
    stop.set()
    assert not thread.is_alive()
    assert sup.exit_code == 1
    assert sup.children["web"].poll() is not None


def test_due_jobs_are_started_as_subprocesses_and_recorded(tmp_path, monkeypatch):
    monkeypatch.setattr(embedded, "manage", lambda *args: [sys.executable, "-c", "pass"])
    state = tmp_path / "s.json"
    sup = embedded.Supervisor({}, jobs=(SLA, NIGHTLY), state_path=state, out=io.StringIO())
    now = at(2, 12)
    assert sup.run_due_jobs(now) == ["run_sla", "verify_audit"]
    assert sup.run_due_jobs(now) == []  # still running or not due
    for proc in sup.running_jobs.values():
        proc.wait(10)
    assert sup.run_due_jobs(now + timedelta(minutes=5)) == ["run_sla"]
    assert set(scheduler.load_state(state)) == {"run_sla", "verify_audit"}
    sup.stop_all()
