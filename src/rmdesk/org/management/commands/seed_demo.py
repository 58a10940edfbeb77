"""Create the demo bank (SPEC: ARCHITECTURE "Demo data"): each app's `demo.build(ctx)` in app order.

Idempotent: every builder checks what it already made, so a second run adds nothing.
"""

import importlib
import random

from django.apps import apps
from django.core.management.base import BaseCommand
from django.db import transaction


class DemoContext:
    def __init__(self, stdout, seed: int, scale: float):
        self.rng = random.Random(seed)
        self.stdout = stdout
        self.scale = scale
        self.lines = []  # what the builders reported, in order

    def log(self, msg):
        self.lines.append(msg)
        self.stdout.write(msg)


class Command(BaseCommand):
    help = "Load the demo bank (idempotent)"

    def add_arguments(self, parser):
        parser.add_argument("--seed", type=int, default=20261122)
        parser.add_argument("--scale", type=float, default=1.0, help="multiplier for customer counts")

    def handle(self, *args, **options):
        ctx = DemoContext(self.stdout, options["seed"], options["scale"])
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
        self.stdout.write(self.style.SUCCESS("demo data ready"))
