"""`manage.py run_scheduler`: the periodic jobs at scale, from one leader at a time (issue 17, SPEC §12).

Start it on two or more nodes. Each tries a leader lock (rmdesk.core.locks: a session-level
PostgreSQL advisory lock, a file lock on SQLite); the one that holds it runs the jobs of
rmdesk.core.scheduler.JOBS when they are due, as `manage.py <command>` subprocesses, exactly as
`serve_embedded` does on one machine. The others wait as standby and try again every
`--standby-poll` seconds; when the leader dies its session ends, the lock is free and a standby
leads. The last start of every job is kept in the shared cache (Redis at scale) and in
RMDESK_SCHEDULER_STATE, so a new leader does not rerun a job the old one started. A leader that
finds it no longer holds the lock (its database session dropped) stops its jobs and exits non-zero
so that systemd restarts it as a standby.
"""

import signal
import threading
from datetime import datetime

from django.conf import settings
from django.core.cache import cache
from django.core.management.base import BaseCommand, CommandError

from rmdesk.core import embedded, scheduler
from rmdesk.core.locks import leader_lock

LOCK_NAME = "rmdesk-scheduler"
CACHE_KEY = "rmdesk:scheduler:last-starts"


def load_shared_state(state_path) -> dict:
    """Last starts from the state file and the shared cache, the later of the two per job."""
    merged = scheduler.load_state(state_path) if state_path else {}
    try:
        cached = cache.get(CACHE_KEY) or {}
    except Exception:  # noqa: BLE001 - an unreachable cache leaves the file's state
        cached = {}
    for name, value in cached.items():
        try:
            when = datetime.fromisoformat(value)
        except (TypeError, ValueError):
            continue
        if name not in merged or when > merged[name]:
            merged[name] = when
    return merged


def save_shared_state(state_path, last_starts: dict) -> None:
    if state_path:
        scheduler.save_state(state_path, last_starts)
    cache.set(CACHE_KEY, {name: dt.isoformat() for name, dt in last_starts.items()}, None)


class ClusterScheduler:
    """Standby until the lock is ours, then the leader: due jobs every tick, lock checked every tick."""

    def __init__(self, jobs, lock, *, state_path=None, tick=1.0, standby_poll=2.0, out=None):
        self.jobs = jobs
        self.lock = lock
        self.state_path = state_path
        self.tick = tick
        self.standby_poll = standby_poll
        self.supervisor = embedded.Supervisor({}, jobs=jobs, state_path=None, out=out)
        self.say = self.supervisor.say
        self.leading = False

    def wait_for_lead(self, stop: threading.Event) -> bool:
        said = False
        while not stop.is_set():
            if self.lock.try_acquire():
                self.leading = True
                self.say("[run_scheduler] leading")
                return True
            if not said:
                self.say("[run_scheduler] standby: another scheduler leads")
                said = True
            stop.wait(self.standby_poll)
        return False

    def lead_step(self) -> list[str]:
        """One tick of the leader: reread the shared state (a job may have been started by an earlier
        leader), start the due jobs, record their starts."""
        shared = load_shared_state(self.state_path)
        for name, when in shared.items():
            if name not in self.supervisor.last_starts or when > self.supervisor.last_starts[name]:
                self.supervisor.last_starts[name] = when
        started = self.supervisor.run_due_jobs()
        if started:
            save_shared_state(self.state_path, self.supervisor.last_starts)
        return started

    def run(self, stop: threading.Event) -> int:
        try:
            if not self.wait_for_lead(stop):
                return 0
            while not stop.is_set():
                if not self.lock.still_held():
                    self.say("[run_scheduler] lost the leader lock; stopping")
                    return 1
                self.lead_step()
                stop.wait(self.tick)
            return 0
        finally:
            self.supervisor.stop_all()
            self.lock.release()


class Command(BaseCommand):
    help = "Run the periodic jobs from one leader among several nodes (advisory lock); the others stand by"

    def add_arguments(self, parser):
        parser.add_argument("--only", default="", help="comma-separated job names (default: all of JOBS)")
        parser.add_argument("--tick", type=float, default=1.0)
        parser.add_argument("--standby-poll", type=float, default=2.0)

    def handle(self, *args, **options):
        jobs = scheduler.JOBS
        if options["only"]:
            wanted = {n.strip() for n in options["only"].split(",") if n.strip()}
            unknown = wanted - {j.name for j in jobs}
            if unknown:
                raise CommandError(f"unknown jobs: {', '.join(sorted(unknown))}")
            jobs = tuple(j for j in jobs if j.name in wanted)
        runner = ClusterScheduler(
            jobs,
            leader_lock(LOCK_NAME),
            state_path=settings.RMDESK_SCHEDULER_STATE,
            tick=options["tick"],
            standby_poll=options["standby_poll"],
            out=self.stdout,
        )
        stop = threading.Event()
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, lambda *_: stop.set())
        code = runner.run(stop)
        if code:
            raise SystemExit(code)
