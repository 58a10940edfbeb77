"""Create the demo bank (SPEC: ARCHITECTURE "Demo data"): each app's `demo.build(ctx)` in app order.

`--pack NAME` builds the demo organisation of another industry pack instead (issue 19): the pack is loaded and
`rmdesk.packs.demos.<NAME>.build(ctx)` makes its organisation (see that package's docstring). The packs app sits
above org in the layers, so it is reached by name (importlib), as the apps' demo modules are.

Idempotent: every builder checks what it already made, so a second run adds nothing.
"""

import importlib
import random

from django.apps import apps
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction


class DemoContext:
    def __init__(self, stdout, seed: int, scale: float):
        self.rng = random.Random(seed)
        self.stdout = stdout
        self.scale = scale
        self.lines = []  # what the builders reported, in order

    def log(self, msg):
        self.lines.append(msg)
        self.stdout.write(msg)


def refresh_planner_statistics():
    """After a bulk load, give PostgreSQL's planner statistics that describe the loaded tables (decision 71).

    Autovacuum would get there a minute later, and never inside a transaction that has not committed. Until
    then a table last analysed while empty is planned as empty: a nested loop that scans every customer per
    interaction took minutes on the demo bank's credit print sheet. SQLite plans without statistics here."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")


class Command(BaseCommand):
    help = "Load the demo bank (idempotent)"

    def add_arguments(self, parser):
        parser.add_argument("--seed", type=int, default=20261122)
        parser.add_argument("--scale", type=float, default=1.0, help="multiplier for customer counts")
        parser.add_argument("--pack", default="bank", help="industry pack of the demo (default: bank)")

    def handle(self, *args, **options):
        ctx = DemoContext(self.stdout, options["seed"], options["scale"])
        if options["pack"] != "bank":
            demos = importlib.import_module("rmdesk.packs.demos")
            if options["pack"] not in demos.available():
                raise CommandError(
                    f"unknown pack {options['pack']!r}; packs with a demo: {', '.join(demos.available())}"
                )
            demos.build_demo(options["pack"], ctx)
            refresh_planner_statistics()
            self.stdout.write(self.style.SUCCESS(f"demo data of pack {options['pack']} ready"))
            return
        for config in apps.get_app_configs():
            if not config.name.startswith("rmdesk."):
                continue
            try:
                module = importlib.import_module(f"{config.name}.demo")
            except ModuleNotFoundError as exc:
                if exc.name != f"{config.name}.demo":
                    raise
                continue
            with transaction.atomic():
                module.build(ctx)
        refresh_planner_statistics()
        self.stdout.write(self.style.SUCCESS("demo data ready"))
