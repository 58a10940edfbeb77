"""One process tree for the embedded default (`make run`): the web server, a background worker and
the periodic jobs, started together and stopped together (docs/decisions.md).

The supervisor starts its children as subprocesses (`manage.py runserver`, `manage.py db_worker` of
django-tasks-db), starts each periodic job (rmdesk.core.scheduler) as a `manage.py <command>`
subprocess when it is due, and stops everything when it is asked to stop or when a long-running
child dies: a web server without its worker would leave imports 排队中 forever.
"""

import logging
import os
import subprocess
import sys
import threading
from pathlib import Path

from django.utils import timezone

from . import scheduler

log = logging.getLogger("rmdesk.embedded")


def manage(*args: str) -> list[str]:
    """The command line of `manage.py <args>` with this interpreter and these settings."""
    return [sys.executable, "-m", "django", *args]


def child_env() -> dict:
    env = dict(os.environ)
    env.setdefault("DJANGO_SETTINGS_MODULE", "rmdesk.settings")
    return env


class Supervisor:
    """Runs `children` (name -> argv) for as long as `stop` is not set, and the scheduler's jobs."""

    def __init__(
        self, children: dict, *, jobs=scheduler.JOBS, state_path: Path | None = None, tick=1.0, grace=10.0, out=None
    ):
        self.children_argv = children
        self.jobs = jobs
        self.state_path = state_path
        self.tick = tick
        self.grace = grace
        self.out = out or sys.stdout
        self.children: dict[str, subprocess.Popen] = {}
        self.running_jobs: dict[str, subprocess.Popen] = {}
        self.last_starts = scheduler.load_state(state_path) if state_path else {}
        self.exit_code = 0

    def say(self, text: str) -> None:
        self.out.write(text + "\n")
        self.out.flush()

    def start_children(self) -> None:
        for name, argv in self.children_argv.items():
            self.children[name] = subprocess.Popen(argv, env=child_env())
            self.say(f"[serve_embedded] started {name} (pid {self.children[name].pid})")

    def run_due_jobs(self, now=None) -> list[str]:
        now = now or timezone.localtime()
        for name, proc in list(self.running_jobs.items()):
            if proc.poll() is not None:
                del self.running_jobs[name]
                if proc.returncode:
                    self.say(f"[serve_embedded] job {name} exited with {proc.returncode}")
        started = []
        for job in scheduler.due_jobs(self.jobs, self.last_starts, now, running=self.running_jobs):
            self.running_jobs[job.name] = subprocess.Popen(manage(*job.command), env=child_env())
            self.last_starts[job.name] = now
            started.append(job.name)
            self.say(f"[serve_embedded] job {job.name} started")
        if started and self.state_path:
            scheduler.save_state(self.state_path, self.last_starts)
        return started

    def dead_child(self) -> str | None:
        for name, proc in self.children.items():
            if proc.poll() is not None:
                return name
        return None

    def run(self, stop: threading.Event) -> int:
        """Start the children, then watch them and run due jobs until `stop` is set or a child dies."""
        try:
            self.start_children()
            while not stop.is_set():
                dead = self.dead_child()
                if dead:
                    self.say(f"[serve_embedded] {dead} exited ({self.children[dead].returncode}); stopping")
                    self.exit_code = 1
                    break
                if self.jobs:
                    self.run_due_jobs()
                stop.wait(self.tick)
        finally:
            self.stop_all()
        return self.exit_code

    def stop_all(self) -> None:
        """SIGTERM every child and running job, then SIGKILL whatever is still alive after `grace`."""
        procs = [*self.children.values(), *self.running_jobs.values()]
        for proc in procs:
            if proc.poll() is None:
                proc.terminate()
        for proc in procs:
            try:
                proc.wait(self.grace)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
