"""Demo organisations of the industry packs: `manage.py seed_demo --pack NAME` (SPEC §12; issue 19).

The bank demo is the apps' own `<app>/demo.py` modules (`seed_demo` with no `--pack`, or `--pack bank`). Every
other pack has a module in this package, `rmdesk.packs.demos.<name>`, named like the pack's TOML file in
`packs/data/<name>.toml`. `build_demo(name, ctx)` loads the pack (`packs.services.apply_pack`, idempotent) and
then calls the module's `build(ctx)`.

The contract of a demo module `rmdesk.packs.demos.<name>`:

- `build(ctx) -> None` builds one demo organisation of that industry on top of the loaded pack: its org units,
  demo users (the bank demo's convention, org/demo.py: one shared password `DEMO_PASSWORD` below, addresses on
  the reserved domain `demo.rmdesk.invalid`; usernames prefixed per pack so demos never clash; the logins
  reported with `ctx.log`), their customers, and enough activity that each role's home page shows something.
- `ctx` is seed_demo's DemoContext: `ctx.rng` (random.Random, seeded: the same seed gives the same demo),
  `ctx.scale` (a multiplier for customer counts), `ctx.log(msg)` (report a line, e.g. the logins).
- Idempotent: a second run adds nothing (look up what you made by natural keys: org unit codes, usernames,
  customer numbers; use get_or_create-style lookups). Build through the apps' public models/services only
  (`.venv/bin/lint-imports`), never through their views, forms or private modules; the bank's demo modules
  (`<app>/demo.py`) are private to their apps, so do not import them.
- It runs inside one transaction (the dispatcher wraps it), so a failure leaves nothing half-built.
- A module may define `TITLE` (a short Chinese name of the demo organisation) and `LOGIN` (the username of the
  account manager whose home page scripts/pack_screenshots.py shows; else the RM with the most customers).

`demo_modules()` lists the pack names with a demo module; `available()` is the packs `--pack` accepts (bank
included). `build_tree()` and `make_staff()` below are helpers a demo module may use for its org tree and staff.
"""

import importlib
import pkgutil
from datetime import date, timedelta

from django.db import transaction
from django.utils import timezone

from rmdesk.org.models import OrgUnit, Qualification, Role, RoleCode, StaffStatus, User

BANK = "bank"  # the default demo: the apps' own demo.py modules, built by seed_demo itself
DEMO_PASSWORD = "rmdesk-demo-2026"  # the same as the bank demo's (org/demo.py, a private module of org)
DEMO_MAIL_DOMAIN = "demo.rmdesk.invalid"  # RFC 2606: no real mailbox is ever reached


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


def build_organisation(ctx, *, pack: str, tree, logins, employee_prefix: str):
    """The demo organisation's tree and its documented logins `(username, name, unit, team, roles, level)`:
    answers `(units by code, staff by username)`, or None (and says so) when the root is there already."""
    root = tree[0]
    if OrgUnit.objects.filter(code=root).exists():
        ctx.log(f"{pack}: demo organisation already present, skipped")
        return None
    build_tree(tree)
    units = {u.code: u for u in OrgUnit.objects.filter(code__startswith=root)}
    staff = {
        username: make_staff(
            username,
            name,
            employee_no=f"{employee_prefix}{n:04d}",
            unit=units[unit],
            team=units.get(team),
            roles=roles,
            level=level,
        )
        for n, (username, name, unit, team, roles, level) in enumerate(logins, 1)
    }
    return units, staff


def report_to(boss, people) -> None:
    """Make `boss` the supervisor of each of `people`."""
    for person in people:
        person.supervisor = boss
        person.save(update_fields=["supervisor"])


def build_tree(node, parent=None) -> OrgUnit:
    """Create an org subtree from `(code, name, kind, [children...])`; answers its root. The caller checks
    first that the root's code is not there yet (idempotence)."""
    code, name, kind, children = node
    unit = (parent.add_child if parent else OrgUnit.add_root)(code=code, name=name, kind=kind)
    for child in children:
        build_tree(child, unit)
    return unit


def make_staff(
    username, full_name, *, employee_no, unit, team=None, roles=(RoleCode.RM,), level="", position="", supervisor=None
) -> User:
    """A demo member of staff with the demo password (idempotent: an existing username is answered as is). An
    RM gets a valid qualification (SPEC §1: an RM without one may not be assigned customers)."""
    existing = User.objects.filter(username=username).first()
    if existing is not None:
        return existing
    today = timezone.localdate()
    user = User(
        username=username,
        full_name=full_name,
        email=f"{username}@{DEMO_MAIL_DOMAIN}",
        employee_no=employee_no,
        unit=unit,
        team=team,
        rm_level=level,
        position=position or ", ".join(str(RoleCode(c).label) for c in roles),
        appointed_on=today - timedelta(days=700),
        status=StaffStatus.ACTIVE,
        supervisor=supervisor,
        is_staff=RoleCode.ADMIN in roles,
        is_superuser=RoleCode.ADMIN in roles,
    )
    user.set_password(DEMO_PASSWORD)
    user.save()
    user.roles.set([Role.objects.get_or_create(code=c)[0] for c in roles])
    if RoleCode.RM in roles:
        Qualification.objects.create(
            user=user,
            number=f"QC-{employee_no}",
            issued_on=today - timedelta(days=400),
            expires_on=today + timedelta(days=900),
        )
    return user


def month_start(day: date, back: int) -> date:
    """The first day of the month `back` months before `day`'s (a negative `back` is ahead)."""
    index = day.year * 12 + day.month - 1 - back
    return date(index // 12, index % 12 + 1, 1)


def approve_and_sign(rm, contract, deciders, *, signed_on: date, signatories: str, scan_name: str):
    """Submit a drafted contract, have `deciders` approve its chain's steps in order (stopping when the request
    is decided: a small amount may need fewer steps) and sign it with a demo scan, as people would through the
    contracts services (SPEC §7). Answers the signed contract."""
    from django.core.files.base import ContentFile

    from rmdesk.contracts import services as contracts
    from rmdesk.core import approvals
    from rmdesk.core.models import ApprovalStatus

    contract = contracts.submit_contract(rm, contract.pk, version=contract.version)
    for decider in deciders:
        req = contract.approval
        req.refresh_from_db()
        if req.status != ApprovalStatus.PENDING:
            break
        approvals.decide(decider, req.pk, "approve", opinion="同意", version=req.version)
    contract.refresh_from_db()
    return contracts.sign_contract(
        rm,
        contract.pk,
        signed_on=signed_on,
        signatories=signatories,
        scan=ContentFile(b"%PDF-1.4 demo signed agreement", name=scan_name),
        version=contract.version,
    )
