"""Demo organisations of the industry packs: `manage.py seed_demo --pack NAME` (SPEC §12; issue 19).

The bank demo is the apps' own `<app>/demo.py` modules (`seed_demo` with no `--pack`, or `--pack bank`). Every
other pack has a module in this package, `rmdesk.packs.demos.<name>`, named like the pack's TOML file in
`packs/data/<name>.toml`. `build_demo(name, ctx)` loads the pack (`packs.services.apply_pack`, idempotent) and
then calls the module's `build(ctx)`.

The contract of a demo module `rmdesk.packs.demos.<name>`:

- `build(ctx) -> None` builds one demo organisation of that industry on top of the loaded pack: its org units,
  demo users (same password convention as org/demo.py: the username as password, logged with `ctx.log`), their
  customers, and enough activity that each role's home page shows something.
- `ctx` is seed_demo's DemoContext: `ctx.rng` (random.Random, seeded: the same seed gives the same demo),
  `ctx.scale` (a multiplier for customer counts), `ctx.log(msg)` (report a line, e.g. the logins).
- Idempotent: a second run adds nothing (look up what you made by natural keys: org unit codes, usernames,
  customer numbers; use get_or_create-style lookups). Build through the apps' public models/services only
  (`.venv/bin/lint-imports`), never through their views, forms or private modules; the bank's demo modules
  (`<app>/demo.py`) are private to their apps, so do not import them.
- It runs inside one transaction (the dispatcher wraps it), so a failure leaves nothing half-built.
- A module may define `TITLE` (a short Chinese name of the demo organisation) for the listing.

`DEMOS` lists the pack names with a demo module; `available()` is the packs `--pack` accepts (bank included).
"""

import importlib
import pkgutil

from django.db import transaction

BANK = "bank"  # the default demo: the apps' own demo.py modules, built by seed_demo itself


def demo_modules() -> list[str]:
    """The pack names that have a demo module in this package (sorted)."""
    return sorted(m.name for m in pkgutil.iter_modules(__path__) if not m.name.startswith("_"))


def available() -> list[str]:
    """Every name `seed_demo --pack` accepts: the bank plus each pack with a demo module and a pack file."""
    from rmdesk.packs.services import available as pack_files

    files = set(pack_files())
    return sorted({BANK} | {name for name in demo_modules() if name in files})


def build_demo(name: str, ctx) -> None:
    """Load pack `name` and build its demo organisation (see the module docstring). Raises KeyError for a
    name not in `available()` other than the bank (the bank is built by seed_demo from the apps' demo.py)."""
    if name == BANK or name not in available():
        raise KeyError(name)
    from rmdesk.packs.services import apply_pack

    module = importlib.import_module(f"{__name__}.{name}")
    with transaction.atomic():
        result = apply_pack(name)
        ctx.log(
            f"pack {result.pack} {result.version}: {len(result.created)} created, "
            f"{len(result.updated)} updated, {result.unchanged} unchanged"
        )
        module.build(ctx)
