"""`manage.py serve_embedded [addrport]`: what `make run` serves (docs/decisions.md).

The web server, a django-tasks-db worker and the periodic jobs (run_sla every 5 minutes,
recompute_tiers, verify_audit and run_periodic daily) in one process tree: Ctrl-C or SIGTERM stops
them all; if the web server or the worker dies, the rest is stopped too.
"""

import signal
import threading

from django.conf import settings
from django.core.management.base import BaseCommand

from rmdesk.core import embedded, scheduler


class Command(BaseCommand):
    help = "Serve the embedded default: web server, background worker and periodic jobs in one process tree"

    def add_arguments(self, parser):
        parser.add_argument("addrport", nargs="?", default="127.0.0.1:8000")
        parser.add_argument("--no-worker", action="store_true", help="do not start db_worker")
        parser.add_argument("--no-scheduler", action="store_true", help="do not run the periodic jobs")

    def handle(self, *args, **options):
        children = {"web": embedded.manage("runserver", options["addrport"], "--noreload")}
        if not options["no_worker"]:
            children["worker"] = embedded.manage("db_worker", "--queue-name", "*", "--no-reload")
        # Seals read events into the audit chain within seconds, checkpoints it (issue 18).
        children["sealer"] = embedded.manage("seal_audit", "--loop")
        supervisor = embedded.Supervisor(
            children,
            jobs=() if options["no_scheduler"] else scheduler.JOBS,
            state_path=settings.VAR_DIR / "scheduler.json",
            out=self.stdout,
        )
        stop = threading.Event()
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, lambda *_: stop.set())
        code = supervisor.run(stop)
        if code:
            raise SystemExit(code)
