"""Periodic jobs from one scheduler at a time (issue 17): two `run_scheduler` loops started together run
each job once; when the leader dies the standby leads and does not rerun what the leader started."""

import io
import threading
import time
from datetime import timedelta

import pytest
from django.core.cache import cache

from rmdesk.core import locks
from rmdesk.core.management.commands import run_scheduler
from rmdesk.core.scheduler import Job

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

# `manage.py check` needs no database rows and is quick: it stands for a periodic command.
JOBS = (Job("check", ("check", "--fail-level", "CRITICAL"), every=timedelta(minutes=5)),)


@pytest.fixture(autouse=True)
def _clear_state(tmp_path, settings):
    settings.VAR_DIR = tmp_path
    cache.delete(run_scheduler.CACHE_KEY)
    yield
    cache.delete(run_scheduler.CACHE_KEY)


def _lock():
    # what `manage.py run_scheduler` takes: an advisory lock on PostgreSQL, a file lock on SQLite
    return locks.leader_lock("rmdesk-scheduler-test")


class Node:
    """One `run_scheduler` loop in a thread, with its output."""

    def __init__(self, tmp_path, name):
        self.out = io.StringIO()
        self.stop = threading.Event()
        self.sched = run_scheduler.ClusterScheduler(
            JOBS, _lock(), state_path=tmp_path / "state.json", tick=0.05, standby_poll=0.05, out=self.out
        )
        self.thread = threading.Thread(target=self.sched.run, args=(self.stop,), name=name, daemon=True)

    def started(self) -> int:
        return self.out.getvalue().count("job check started")

    def kill(self):
        self.stop.set()
        self.thread.join(20)


def _wait(cond, seconds=20):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if cond():
            return True
        time.sleep(0.05)
    return False


def test_lock_is_exclusive_and_freed_when_its_holder_goes():
    a, b = _lock(), _lock()
    try:
        assert a.try_acquire() is True
        assert a.still_held() is True
        assert b.try_acquire() is False
        a.release()  # the session (or file) of a dead holder is gone with it
        assert b.try_acquire() is True
        assert b.still_held() is True
    finally:
        a.release()
        b.release()


def test_two_schedulers_started_together_run_each_job_once_and_the_standby_takes_over(tmp_path):
    first, second = Node(tmp_path, "node-1"), Node(tmp_path, "node-2")
    first.thread.start()
    second.thread.start()
    try:
        assert _wait(lambda: first.sched.leading or second.sched.leading)
        leader, standby = (first, second) if first.sched.leading else (second, first)
        assert _wait(lambda: leader.started() == 1)
        time.sleep(0.5)  # several ticks of both: nobody starts it again within its interval
        assert leader.started() == 1
        assert standby.started() == 0
        assert standby.sched.leading is False
        assert "standby" in standby.out.getvalue()

        leader.kill()
        assert _wait(lambda: standby.sched.leading), standby.out.getvalue()
        time.sleep(0.5)
        # the new leader read the last start from the shared state: no second run of "check"
        assert standby.started() == 0
        assert set(run_scheduler.load_shared_state(tmp_path / "state.json")) == {"check"}
    finally:
        first.kill()
        second.kill()


def test_a_due_job_runs_again_after_its_interval_from_the_new_leader(tmp_path):
    # the old leader started "check" 6 minutes ago (interval 5): the new leader runs it once
    from django.utils import timezone

    run_scheduler.save_shared_state(None, {"check": timezone.localtime() - timedelta(minutes=6)})
    node = Node(tmp_path, "node-3")
    node.thread.start()
    try:
        assert _wait(lambda: node.started() == 1)
        time.sleep(0.3)
        assert node.started() == 1
    finally:
        node.kill()


def test_leader_that_lost_its_lock_steps_down(tmp_path):
    node = Node(tmp_path, "node-4")
    node.thread.start()
    try:
        assert _wait(lambda: node.sched.leading)
        node.sched.lock.release()  # its database session dropped
        assert _wait(lambda: "lost the leader lock" in node.out.getvalue())
        node.thread.join(10)
        assert not node.thread.is_alive()
    finally:
        node.kill()


def test_unknown_job_name_is_refused():
    from django.core.management import CommandError, call_command

    with pytest.raises(CommandError, match="unknown jobs"):
        call_command("run_scheduler", "--only", "no_such_job")
