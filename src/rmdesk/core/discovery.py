"""Declarations the apps make in a module of a known name (`<app>/indicators.py`, `<app>/packs.py`): the kernel
finds them without importing any app by name, so the apps stay above it (ARCHITECTURE.md)."""

from collections.abc import Iterator
from importlib import import_module

from django.apps import apps


def declared(submodule: str, attribute: str) -> Iterator:
    """Every item of `<app>.<submodule>.<attribute>` over the installed RM Desk apps, in INSTALLED_APPS order.
    An app without the module declares nothing; an import error inside the module is raised."""
    for config in apps.get_app_configs():
        if not config.name.startswith("rmdesk."):
            continue
        name = f"{config.name}.{submodule}"
        try:
            module = import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name != name:
                raise
            continue
        yield from getattr(module, attribute, ())
