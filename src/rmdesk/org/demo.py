"""Demo bank: org tree, 50-odd staff in every role and RM level with Chinese names (SPEC §1).

Idempotent: nothing is created when the root unit already exists.
"""

from datetime import timedelta

from django.db.models import Q
from django.utils import timezone

from rmdesk.demo_names import person_name

from .models import OrgUnit, Qualification, RMLevel, Role, RoleCode, StaffStatus, UnitKind, User

DEMO_PASSWORD = "rmdesk-demo-2026"
# Demo staff get an address on a reserved domain (RFC 2606 .invalid): the digest e-mail reaches them
# (files in var/mail/ in the embedded default) and no real mailbox ever can.
DEMO_MAIL_DOMAIN = "demo.rmdesk.invalid"


def demo_email(username: str) -> str:
    return f"{username}@{DEMO_MAIL_DOMAIN}"


def _backfill_emails(ctx):
    """Demo banks built before demo staff had addresses get them (only staff of the demo tree, only
    where the address is empty)."""
    root = OrgUnit.objects.filter(code=TREE[0]).first()
    users = User.objects.filter(email="").filter(
        Q(unit__path__startswith=root.path) | Q(team__path__startswith=root.path)
    )
    n = 0
    for user in users:
        user.email = demo_email(user.username)
        user.save(update_fields=["email"])
        n += 1
    if n:
        ctx.log(f"org: e-mail addresses given to {n} demo staff")


# (code, name, kind, children)
TREE = (
    "100",
    "示范银行总行",
    UnitKind.HEAD_OFFICE,
    [
        (
            "320",
            "南京分行",
            UnitKind.BRANCH,
            [
                (
                    "3201",
                    "鼓楼支行",
                    UnitKind.SUPPORT,
                    [
                        (
                            "320101",
                            "湖南路网点",
                            UnitKind.OUTLET,
                            [
                                ("32010101", "湖南路一队", UnitKind.TEAM, []),
                                ("32010102", "湖南路二队", UnitKind.TEAM, []),
                            ],
                        ),
                        (
                            "320102",
                            "鼓楼理财中心",
                            UnitKind.WEALTH_CENTRE,
                            [("32010201", "鼓楼财富团队", UnitKind.TEAM, [])],
                        ),
                    ],
                ),
                (
                    "3202",
                    "玄武支行",
                    UnitKind.SUPPORT,
                    [
                        ("320201", "新街口网点", UnitKind.OUTLET, [("32020101", "新街口团队", UnitKind.TEAM, [])]),
                        ("320202", "珠江路网点", UnitKind.OUTLET, [("32020201", "珠江路团队", UnitKind.TEAM, [])]),
                        (
                            "320203",
                            "玄武理财中心",
                            UnitKind.WEALTH_CENTRE,
                            [("32020301", "玄武财富团队", UnitKind.TEAM, [])],
                        ),
                    ],
                ),
                (
                    "3203",
                    "江宁支行",
                    UnitKind.SUPPORT,
                    [
                        ("320301", "东山网点", UnitKind.OUTLET, [("32030101", "东山团队", UnitKind.TEAM, [])]),
                        ("320302", "百家湖网点", UnitKind.OUTLET, [("32030201", "百家湖团队", UnitKind.TEAM, [])]),
                    ],
                ),
            ],
        ),
    ],
)

# The documented demo logins, one per role (README). (username, name, unit code, team code, roles, rm level)
NAMED_LOGINS = [
    ("rm_senior", "周建国", "320101", "32010101", [RoleCode.RM], RMLevel.SENIOR),
    ("rm_mid", "吴晓东", "320101", "32010101", [RoleCode.RM], RMLevel.INTERMEDIATE),
    ("rm_junior", "郑雨桐", "320101", "32010101", [RoleCode.RM], RMLevel.JUNIOR),
    ("teamlead", "王立新", "320101", "32010101", [RoleCode.TEAM_LEAD], ""),
    ("branchmgr", "陈卫东", "3201", None, [RoleCode.BRANCH_MANAGER], ""),
    ("risk", "林海燕", "320", None, [RoleCode.RISK], ""),
    ("compliance", "何文博", "320", None, [RoleCode.COMPLIANCE], ""),
    ("assistant", "许佳琪", "320101", None, [RoleCode.ASSISTANT], ""),
    ("referrer", "孙欣怡", "320101", None, [RoleCode.REFERRER], ""),
    ("admin", "系统管理员", "100", None, [RoleCode.ADMIN], ""),
]


def _build_tree(node, parent=None):
    code, name, kind, children = node
    unit = (parent.add_child if parent else OrgUnit.add_root)(code=code, name=name, kind=kind)
    for child in children:
        _build_tree(child, unit)
    return unit


def build(ctx):
    if OrgUnit.objects.filter(code=TREE[0]).exists():
        ctx.log("org: demo bank already present, skipped")
        _backfill_emails(ctx)
        return
    rng = ctx.rng
    _build_tree(TREE)
    roles = {code: Role.objects.get_or_create(code=code)[0] for code in RoleCode.values}
    units = {u.code: u for u in OrgUnit.objects.all()}
    today = timezone.localdate()
    seq = [10000]

    def make(username, name, unit_code, team_code, role_codes, level="", position=""):
        seq[0] += 1
        user = User(
            username=username,
            full_name=name,
            email=demo_email(username),
            employee_no=f"E{seq[0]}",
            unit=units[unit_code],
            team=units.get(team_code) if team_code else None,
            rm_level=level,
            position=position or ", ".join(str(RoleCode(c).label) for c in role_codes),
            appointed_on=today - timedelta(days=rng.randint(200, 3000)),
            status=StaffStatus.ACTIVE,
            is_staff=RoleCode.ADMIN in role_codes,
            is_superuser=RoleCode.ADMIN in role_codes,
        )
        user.set_password(DEMO_PASSWORD)
        user.save()
        user.roles.set([roles[c] for c in role_codes])
        if RoleCode.RM in role_codes:
            Qualification.objects.create(
                user=user,
                number=f"QC{seq[0]}",
                issued_on=today - timedelta(days=400),
                expires_on=today + timedelta(days=rng.randint(200, 1100)),
            )
        return user

    for username, name, unit_code, team_code, role_codes, level in NAMED_LOGINS:
        make(username, name, unit_code, team_code, role_codes, level)

    # every team: one lead (except the one the named lead runs), three or four RMs, one referrer per outlet
    levels = [RMLevel.SENIOR, RMLevel.INTERMEDIATE, RMLevel.JUNIOR, RMLevel.JUNIOR]
    for team in OrgUnit.objects.filter(kind=UnitKind.TEAM).order_by("code"):
        outlet = team.get_parent()
        if team.code != "32010101":
            make(f"e{seq[0] + 1}", person_name(rng), outlet.code, team.code, [RoleCode.TEAM_LEAD])
        for level in levels[: rng.choice((3, 4))]:
            make(f"e{seq[0] + 1}", person_name(rng), outlet.code, team.code, [RoleCode.RM], level)
    for outlet in OrgUnit.objects.filter(kind__in=[UnitKind.OUTLET, UnitKind.WEALTH_CENTRE]).exclude(code="320101"):
        make(f"e{seq[0] + 1}", person_name(rng), outlet.code, None, [RoleCode.REFERRER])
    for sub in ("3202", "3203"):
        make(f"e{seq[0] + 1}", person_name(rng), sub, None, [RoleCode.BRANCH_MANAGER])
    make(f"e{seq[0] + 1}", person_name(rng), "320", None, [RoleCode.BRANCH_MANAGER], position="分管行长")

    # supervision: 一级 supervises 二级, 二级 supervises 三级 within a team; the lead supervises the 一级
    for team in OrgUnit.objects.filter(kind=UnitKind.TEAM):
        members = list(User.objects.filter(team=team).prefetch_related("roles"))
        lead = next((m for m in members if m.has_role(RoleCode.TEAM_LEAD)), None)
        by_level = {lvl: [m for m in members if m.rm_level == lvl] for lvl in RMLevel.values}
        for m in members:
            boss = {
                RMLevel.SENIOR: lead,
                RMLevel.INTERMEDIATE: (by_level["1"] or [lead])[0],
                RMLevel.JUNIOR: (by_level["2"] or by_level["1"] or [lead])[0],
            }.get(m.rm_level)
            if boss and boss != m:
                m.supervisor = boss
                m.save(update_fields=["supervisor"])

    # one RM whose qualification has lapsed, to show the assignment rule
    lapsed = User.objects.filter(roles__code=RoleCode.RM).exclude(username__startswith="rm_").order_by("id").last()
    lapsed.qualifications.update(expires_on=today - timedelta(days=10))
    ctx.log(f"org: {OrgUnit.objects.count()} units, {User.objects.count()} staff (demo password {DEMO_PASSWORD})")
