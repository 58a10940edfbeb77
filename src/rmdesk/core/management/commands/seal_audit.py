"""`manage.py seal_audit [--loop]`: move pending read events into the audit chain (issue 18).

Once: seals the whole backlog and exits. `--loop`: every RMDESK_AUDIT_SEAL_INTERVAL seconds, and
appends a signed checkpoint every RMDESK_AUDIT_CHECKPOINT_INTERVAL seconds; run by the embedded
default and, at scale, by the scheduler node (one sealer suffices; two are safe, the chain's lock
serialises them).
"""

import signal
import threading
import time

from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import close_old_connections, connection

from rmdesk.core import audit


class Command(BaseCommand):
    help = "Seal pending read events into the audit chain (once, or --loop)"

    def add_arguments(self, parser):
        parser.add_argument("--loop", action="store_true")
        parser.add_argument("--interval", type=float, default=None)

    def handle(self, *args, **options):
        if not options["loop"]:
            n = audit.seal_all()
            self.stdout.write(f"sealed {n} events")
            return
        interval = options["interval"] or settings.RMDESK_AUDIT_SEAL_INTERVAL
        stop = threading.Event()
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, lambda *_: stop.set())
        next_checkpoint = time.monotonic() + settings.RMDESK_AUDIT_CHECKPOINT_INTERVAL
        while not stop.is_set():
            try:
                if not connection.in_atomic_block:  # a long-lived process: drop a broken connection
                    close_old_connections()
                audit.seal_all()
                if settings.RMDESK_AUDIT_CHECKPOINTS and time.monotonic() >= next_checkpoint:
                    audit.write_checkpoint()
                    next_checkpoint = time.monotonic() + settings.RMDESK_AUDIT_CHECKPOINT_INTERVAL
            except Exception as exc:  # keep sealing after a transient database error
                self.stderr.write(f"seal_audit: {type(exc).__name__}: {exc}")
            stop.wait(interval)
