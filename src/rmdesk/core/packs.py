"""What an industry pack may configure (SPEC: the other industries are reached by configuration, not code;
docs/decisions.md 51).

A pack (bank, telecom VIP, tobacco retail, insurance channel, key-account B2B) is data versioned in the
repository. The kernel does not know the apps' configuration models: each app that has configuration a pack
may set declares it in a module `<app>/packs.py` holding a list `PACK_MODELS` of `PackModel`. The pack
loader (the `packs` app) reads `registry()` in INSTALLED_APPS order, so a model's references (a tier's rule
set, a cadence rule's tier) are loaded before it.

A record is found by its natural key (`key`, e.g. a rule set's code, a tier's rule set and code), never by
database id, so a pack loads the same on every installation. A foreign key is written in the pack as the
natural key of the row it points to (`refs`): a value, or a list for a composite key (a tier is
`["telecom", "diamond"]`: its rule set's code, then its own). `after_load` runs once per model after its records were
written, with the objects the load created or changed (e.g. making a loaded tier rule set the one in use for
its customer kind).
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache

from .discovery import declared


@dataclass(frozen=True)
class PackModel:
    section: str  # the pack file's table name, e.g. "tier_rule_sets"; unique across apps
    model: type  # the app's model class
    key: tuple[str, ...]  # natural key fields (a ref field counts by its natural key)
    refs: dict[str, str] = field(default_factory=dict)  # fk field -> the section of the row it points to
    after_load: Callable | None = None  # after_load(changed_objects) once the section is written
    # fields added after the data migrations seeded the bank defaults: a seeded row still holding the model's
    # default there was never set by anyone, so the bank pack may set it (e.g. a tier rule set's measure)
    unseeded: tuple[str, ...] = ()

    @property
    def label(self) -> str:
        return self.model._meta.label

    @property
    def verbose_name(self):
        return self.model._meta.verbose_name_plural


@cache
def registry() -> dict[str, PackModel]:
    """Every app's pack models by section, in INSTALLED_APPS order (references load first)."""
    found: dict[str, PackModel] = {}
    for pack_model in declared("packs", "PACK_MODELS"):
        if pack_model.section in found:
            raise ValueError(f"pack section {pack_model.section!r} declared twice")
        found[pack_model.section] = pack_model
    return found


def __getattr__(name: str):
    """`PACK_MODELS` of the kernel itself (groups, approval chains and steps), imported on first use: this
    module is the registry every app imports, so it must not import the kernel's models when it loads."""
    if name == "PACK_MODELS":
        from .pack_sections import PACK_MODELS

        return PACK_MODELS
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
