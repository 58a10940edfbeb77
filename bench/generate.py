"""Fast data generator for the benchmark database (issue #4).

Rows are built in Python and written with the driver directly: PostgreSQL `COPY ... FROM STDIN`
through psycopg's `cursor.copy`, SQLite big `executemany` batches. The ORM is used only for the
handful of configuration rows (roles, tier rule set). Every table is one step; a step runs only
when its table is still empty, so re-running on an existing database fills just what is missing
(e.g. a table another app added since the last run).

Skew: RMs hold 200-3,000 customers (beta-distributed, scaled to the size), a few very large teams,
AUM log-normal (so the tier shares look like a real branch: ~0.5 % private banking, ~12 % at
500k or more), Chinese names with pinyin initials, 85 % individuals.
"""

import math
import random
import time
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from django.apps import apps
from django.db import connection, transaction
from django.db.models import AutoField, BigAutoField, BooleanField, CharField, TextField
from django.utils import timezone

from rmdesk import demo_names

BENCH_PASSWORD = "rmdesk-bench-2026"
ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
STEPLEN = 4
DISTRICTS = [
    "鼓楼",
    "玄武",
    "秦淮",
    "建邺",
    "雨花台",
    "栖霞",
    "江宁",
    "浦口",
    "六合",
    "溧水",
    "高淳",
    "新街口",
    "河西",
    "仙林",
    "江北",
    "龙江",
    "湖南路",
    "中山",
    "汉中",
    "大行宫",
    "珠江路",
    "夫子庙",
    "迈皋桥",
    "燕子矶",
    "东山",
    "百家湖",
    "九龙湖",
    "麒麟",
    "板桥",
    "铁心桥",
]

BANK_TIERS = [  # (code, name, rank, threshold) SPEC §2 bank example
    ("private", "私人银行客户", 5, Decimal("5000000")),
    ("diamond", "钻石客户", 4, Decimal("2000000")),
    ("platinum", "白金客户", 3, Decimal("1000000")),
    ("gold", "金卡客户", 2, Decimal("500000")),
    ("mass", "普通客户", 1, Decimal("0")),
]


class GeneratorError(RuntimeError):
    pass


# --- low-level writing ------------------------------------------------------------------------


def _now_db():
    return _dt_db(timezone.now())


def _dt_db(value: datetime) -> str:
    """A datetime literal both drivers accept (UTC; SQLite stores Django's naive UTC text)."""
    value = value.astimezone(UTC)
    if connection.vendor == "postgresql":
        return value.strftime("%Y-%m-%d %H:%M:%S+00")
    return value.strftime("%Y-%m-%d %H:%M:%S")


def constant_for(field):
    """The value a column gets when the generator does not provide one (its default, NULL, '')."""
    if field.has_default():
        return field.get_db_prep_save(field.get_default(), connection)
    if field.null:
        return None
    if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
        return _now_db()
    if isinstance(field, (CharField, TextField)) and field.blank:
        return ""
    if isinstance(field, BooleanField):
        return False
    raise GeneratorError(f"{field.model.__name__}.{field.name}: the generator has no value for this column")


class Table:
    """Insert plan for one model: the provided columns, in order, plus constants for the rest."""

    def __init__(self, model, provided: list[str]):
        self.model = model
        self.table = model._meta.db_table
        fields = {f.attname: f for f in model._meta.concrete_fields}
        missing = [p for p in provided if p not in fields]
        if missing:
            raise GeneratorError(f"{model.__name__}: unknown columns {missing}")
        self.provided = provided
        self.const_cols, self.const_vals = [], []
        for f in model._meta.concrete_fields:
            if f.attname in provided or (f.primary_key and isinstance(f, (AutoField, BigAutoField))):
                continue
            self.const_cols.append(f.column)
            self.const_vals.append(constant_for(f))
        self.columns = [fields[p].column for p in provided] + self.const_cols
        self.const_tuple = tuple(self.const_vals)

    def is_empty(self) -> bool:
        return not self.model._default_manager.exists()

    def next_id(self) -> int:
        with connection.cursor() as cur:
            cur.execute(f'SELECT COALESCE(MAX(id), 0) FROM "{self.table}"')
            return cur.fetchone()[0] + 1

    def write(self, rows, *, big=False) -> int:
        """Write an iterable of tuples (values of `provided`, in order). Returns the row count."""
        const = self.const_tuple
        cols = ", ".join(f'"{c}"' for c in self.columns)
        n = 0
        connection.ensure_connection()
        raw = connection.connection
        with transaction.atomic():
            if connection.vendor == "postgresql":
                with connection.cursor() as c:
                    # skip FK triggers while loading generated (consistent) data
                    c.execute("SET LOCAL session_replication_role = replica")
                dropped = _drop_secondary_indexes(self.table) if big else []
                with raw.cursor() as cur:
                    with cur.copy(f'COPY "{self.table}" ({cols}) FROM STDIN') as cp:
                        for row in rows:
                            cp.write_row(row + const)
                            n += 1
                    for _name, ddl in dropped:
                        cur.execute(ddl)
                with connection.cursor() as c:
                    c.execute("SET LOCAL session_replication_role = DEFAULT")
            else:
                marks = ", ".join("?" * len(self.columns))
                sql = f'INSERT INTO "{self.table}" ({cols}) VALUES ({marks})'
                batch = []
                for row in rows:
                    batch.append(row + const)
                    if len(batch) >= 20_000:
                        raw.executemany(sql, batch)
                        n += len(batch)
                        batch = []
                if batch:
                    raw.executemany(sql, batch)
                    n += len(batch)
        _reset_sequence(self.model)
        return n


def _drop_secondary_indexes(table):
    """Drop indexes not backing a constraint (recreated after the COPY: much faster at millions)."""
    with connection.cursor() as cur:
        cur.execute(
            """SELECT i.relname, pg_get_indexdef(i.oid) FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid
               WHERE x.indrelid = %s::regclass
                 AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = x.indexrelid)""",
            [f'"{table}"'],
        )
        found = cur.fetchall()
        for name, _ddl in found:
            cur.execute(f'DROP INDEX "{name}"')
    return found


def _reset_sequence(model):
    if connection.vendor != "postgresql":
        return
    from django.core.management.color import no_style

    with connection.cursor() as cur:
        for sql in connection.ops.sequence_reset_sql(no_style(), [model]):
            cur.execute(sql)


def analyze():
    """Refresh planner statistics. Without them SQLite picks the index on merged_into_id (all NULL)
    for `merged_into IS NULL` and scans every customer; PostgreSQL autovacuum would get there later."""
    with connection.cursor() as cur:
        cur.execute("ANALYZE")


# --- value helpers ------------------------------------------------------------------------------

_initials_cache: dict[str, str] = {}


def initials(name: str) -> str:
    """Pinyin initials of a Chinese name, lower case (王建国 -> wjg), cached per character."""
    out = []
    for ch in name:
        v = _initials_cache.get(ch)
        if v is None:
            if ch.isascii():
                v = ch.lower() if ch.isalnum() else ""
            else:
                from pypinyin import Style, lazy_pinyin

                p = lazy_pinyin(ch, style=Style.FIRST_LETTER)
                v = (p[0] if p else "").lower()[:1]
            _initials_cache[ch] = v
        out.append(v)
    return "".join(out)


_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"


def resident_id(rng, birth: date) -> str:
    """An 18-character 居民身份证 number with a valid GB 11643 check character."""
    body = f"3201{rng.randint(0, 99):02d}{birth:%Y%m%d}{rng.randint(0, 999):03d}"
    return body + _ID_CHECK[sum(int(c) * w for c, w in zip(body, _ID_WEIGHTS, strict=True)) % 11]


def money(x: float) -> str:
    return f"{x:.2f}"


def _path(parent: str, pos: int) -> str:
    digits = ""
    n = pos
    while n:
        n, r = divmod(n, 36)
        digits = ALPHABET[r] + digits
    return parent + digits.rjust(STEPLEN, "0")


# --- the dataset ------------------------------------------------------------------------------


class Dataset:
    """Generate the bench dataset of `size` into the current database connection."""

    def __init__(self, size, seed: int = 20261122, log=print):
        self.size = size
        self.rng = random.Random(seed)
        self.log = log
        self.counts: dict[str, int] = {}
        self.big = size.customers >= 50_000  # drop/recreate secondary indexes around COPY
        self.timings: dict[str, float] = {}

    def run(self) -> dict:
        steps = [
            ("org", self.gen_org),
            ("customers", self.gen_customers),
            ("holdings", self.gen_holdings),
            ("interactions", self.gen_interactions),
            ("cadence", self.gen_cadence),
        ]
        for name, fn in steps:
            t0 = time.perf_counter()
            result = fn()
            dt = time.perf_counter() - t0
            if result is not None:
                self.timings[name] = dt
                self.log(f"  generated {name}: {result} in {dt:.1f}s")
        if self.timings:
            analyze()  # planner statistics, as a tuned installation has them (see docs/benchmarks.md)
        return {"counts": self.counts, "timings": self.timings}

    # -- org tree and staff
    def _team_sizes(self) -> list[tuple[int, bool]]:
        rng, rms = self.rng, self.size.rms
        n_large = max(1, round(rms / 330))
        large = max(min(30, rms // 3), round(rms * 0.06))
        sizes = [(large, True) for _ in range(n_large) if large * n_large < rms]
        left = rms - sum(s for s, _ in sizes)
        while left > 0:
            s = min(left, rng.randint(4, 12))
            sizes.append((s, False))
            left -= s
        rng.shuffle(sizes)
        return sizes

    def gen_org(self):
        from rmdesk.org.models import OrgUnit, Qualification, Role, RoleCode, UnitKind, User

        units_t = Table(OrgUnit, ["id", "path", "depth", "numchild", "name", "code", "kind", "is_active"])
        if not units_t.is_empty():
            self.log("  org: units present, kept")
            return None
        rng = self.rng
        uid = units_t.next_id()
        team_sizes = self._team_sizes()
        n_units = self.size.units
        # tree: 总行 -> 分行 -> units (支行) -> teams
        rows, self.teams = [], []
        roots = OrgUnit.objects.filter(depth=1).count()
        hq_path = _path("", roots + 1)
        br_path = _path(hq_path, 1)
        self.hq_id, self.br_id = uid, uid + 1
        rows.append((uid, hq_path, 1, 1, "基准测试银行总行", "BK0", UnitKind.HEAD_OFFICE, True))
        rows.append((uid + 1, br_path, 2, n_units, "江苏省分行", "BK00", UnitKind.BRANCH, True))
        next_id = uid + 2
        teams_per_unit = [[] for _ in range(n_units)]
        for i, ts in enumerate(team_sizes):
            teams_per_unit[i % n_units].append(ts)
        self.units = []
        tno = 0
        for u in range(n_units):
            upath = _path(br_path, u + 1)
            unit_id = next_id
            next_id += 1
            district = DISTRICTS[u % len(DISTRICTS)] + ("" if u < len(DISTRICTS) else str(u // len(DISTRICTS) + 1))
            rows.append(
                (unit_id, upath, 3, len(teams_per_unit[u]), f"{district}支行", f"BK{u + 1:03d}", UnitKind.SUPPORT, True)
            )
            self.units.append((unit_id, upath))
            for k, (tsize, is_large) in enumerate(teams_per_unit[u]):
                tno += 1
                tpath = _path(upath, k + 1)
                rows.append(
                    (
                        next_id,
                        tpath,
                        4,
                        0,
                        f"{district}{'财富' if is_large else ''}{k + 1}队",
                        f"BK{u + 1:03d}{k + 1:02d}",
                        UnitKind.TEAM,
                        True,
                    )
                )
                self.teams.append({"id": next_id, "path": tpath, "unit_id": unit_id, "size": tsize, "large": is_large})
                next_id += 1
        units_t.write(iter(rows))
        self.counts["org units"] = len(rows)

        # staff: one 分行 manager, one manager per 支行, one lead per team, the RMs
        from django.contrib.auth.hashers import make_password

        password = make_password(BENCH_PASSWORD)
        users_t = Table(
            User,
            [
                "id",
                "password",
                "username",
                "full_name",
                "employee_no",
                "unit_id",
                "team_id",
                "rm_level",
                "position",
                "appointed_on",
                "status",
                "is_active",
                "is_staff",
                "is_superuser",
                "date_joined",
                "supervisor_id",
                "mobile",
            ],
        )
        roles = {c: Role.objects.get_or_create(code=c)[0].pk for c in RoleCode.values}
        user_id = users_t.next_id()
        joined = _now_db()
        today = timezone.localdate()
        users, user_roles, quals = [], [], []
        self.rms = []  # (id, team dict)

        def add(username, unit_id, team_id, role, level="", position="", supervisor=None):
            nonlocal user_id
            pk = user_id
            user_id += 1
            users.append(
                (
                    pk,
                    password,
                    username,
                    demo_names.person_name(rng),
                    f"BE{pk:07d}",
                    unit_id,
                    team_id,
                    level,
                    position,
                    (today - timedelta(days=rng.randint(100, 4000))).isoformat(),
                    "active",
                    True,
                    False,
                    False,
                    joined,
                    supervisor,
                    f"139{rng.randint(0, 99_999_999):08d}",
                )
            )
            user_roles.append((pk, roles[role]))
            return pk

        self.branch_manager_id = add("bench_branch_mgr", self.br_id, None, RoleCode.BRANCH_MANAGER, position="分管行长")
        unit_mgr = {}
        for u, (unit_id, _p) in enumerate(self.units):
            unit_mgr[unit_id] = add(
                f"bench_unit{u + 1:03d}_mgr",
                unit_id,
                None,
                RoleCode.BRANCH_MANAGER,
                position="支行行长",
                supervisor=self.branch_manager_id,
            )
        rm_no = 0
        for t, team in enumerate(self.teams):
            team["lead_id"] = add(
                f"bench_lead{t + 1:04d}",
                team["unit_id"],
                team["id"],
                RoleCode.TEAM_LEAD,
                position="团队长",
                supervisor=unit_mgr[team["unit_id"]],
            )
            team["rms"] = []
            for _ in range(team["size"]):
                rm_no += 1
                level = rng.choices(["1", "2", "3"], weights=(2, 3, 5))[0]
                pk = add(
                    f"bench_rm{rm_no:05d}",
                    team["unit_id"],
                    team["id"],
                    RoleCode.RM,
                    level,
                    "客户经理",
                    supervisor=team["lead_id"],
                )
                team["rms"].append(pk)
                self.rms.append((pk, team))
                quals.append(
                    (
                        pk,
                        "客户经理岗位资格证书",
                        f"BQ{pk:07d}",
                        (today - timedelta(days=400)).isoformat(),
                        (today + timedelta(days=rng.randint(100, 1000))).isoformat(),
                        False,
                    )
                )
        users_t.write(iter(users))
        Table(User.roles.through, ["user_id", "role_id"]).write(iter(user_roles))
        Table(Qualification, ["user_id", "name", "number", "issued_on", "expires_on", "revoked"]).write(iter(quals))
        self.counts["staff"] = len(users)
        self.counts["RMs"] = len(self.rms)
        self.counts["teams"] = len(self.teams)
        return f"{len(rows)} units, {len(self.teams)} teams, {len(users)} staff"

    def _load_org(self):
        """Rebuild the in-memory org picture from the database (when the org step was skipped)."""
        if getattr(self, "rms", None):
            return
        from rmdesk.org.models import OrgUnit, RoleCode, UnitKind, User

        teams = {u.pk: {"id": u.pk, "path": u.path, "rms": []} for u in OrgUnit.objects.filter(kind=UnitKind.TEAM)}
        self.rms = []
        for pk, team_id, unit_id in (
            User.objects.filter(roles__code=RoleCode.RM, team__isnull=False)
            .values_list("pk", "team_id", "unit_id")
            .order_by("pk")
        ):
            team = teams[team_id]
            team["unit_id"] = unit_id
            team["rms"].append(pk)
            self.rms.append((pk, team))
        if not self.rms:
            raise GeneratorError("no RMs in the database: the org step did not run")

    # -- tiers and customers
    def tiers(self) -> list[tuple[int, Decimal]]:
        """(tier id, threshold) of the active rule set, highest first; bank defaults created if none."""
        from rmdesk.customers.models import Tier, TierRuleSet

        rule_set = TierRuleSet.objects.filter(is_active=True).first() or TierRuleSet.objects.first()
        if rule_set is None or not rule_set.tiers.exists():
            rule_set, _ = TierRuleSet.objects.get_or_create(
                code="bank_aum", defaults={"name": "银行金融资产分层", "metric": "aum", "is_active": True}
            )
            for code, name, rank, threshold in BANK_TIERS:
                Tier.objects.get_or_create(
                    rule_set=rule_set, code=code, defaults={"name": name, "rank": rank, "threshold": threshold}
                )
        return [(t.pk, t.threshold) for t in rule_set.tiers.order_by("-threshold")]

    def _per_rm_counts(self) -> list[int]:
        rng, total = self.rng, self.size.customers
        weights = [200 + 2800 * rng.betavariate(1.3, 3.2) for _ in self.rms]
        k = total / sum(weights)
        counts = [max(1, int(w * k)) for w in weights]
        i = 0
        while sum(counts) < total:
            counts[i % len(counts)] += 1
            i += 1
        while sum(counts) > total:
            j = counts.index(max(counts))
            counts[j] -= 1
        return counts

    def gen_customers(self):
        from rmdesk.customers.models import Customer

        table = Table(
            Customer,
            [
                "id",
                "kind",
                "customer_no",
                "name",
                "name_initials",
                "gender",
                "birth_date",
                "id_number",
                "mobile",
                "mobile_tail",
                "id_tail",
                "address",
                "credit_code",
                "industry",
                "aum",
                "deposits",
                "loans",
                "contribution",
                "source",
                "stage",
                "tier_id",
                "a_rm_id",
                "b_rm_id",
                "org_unit_id",
                "org_path",
                "completeness",
                "risk_tolerance",
                "created_at",
            ],
        )
        if not table.is_empty():
            self.log("  customers: present, kept")
            return None
        self._load_org()
        tiers = self.tiers()
        rng = self.rng
        start_id = table.next_id()
        counts = self._per_rm_counts()
        now = timezone.now()
        stages = ["potential", "intent", "new", "active", "dormant", "at_risk", "lost"]
        stage_w = (5, 5, 8, 60, 14, 5, 3)
        sources = ["self", "referral", "campaign", "walk_in", "import"]
        source_w = (30, 15, 10, 25, 20)
        risk = ["C1", "C2", "C3", "C4", "C5"]
        streets = ["中山路", "湖南路", "汉中路", "北京东路", "龙蟠路", "珠江路", "太平南路", "江东中路", "应天大街"]
        self.customer_owner = []  # index -> (a_rm, org_path) for later steps, compact

        def rows():
            cid = start_id
            lognorm, rand, randint, choice = rng.lognormvariate, rng.random, rng.randint, rng.choice
            for (rm_id, team), n in zip(self.rms, counts, strict=True):
                mates = [m for m in team["rms"] if m != rm_id]
                path, unit_id = team["path"], team["id"]
                for _ in range(n):
                    r = rand()
                    if r < 0.85:
                        kind = "individual"
                        name = demo_names.person_name(rng)
                        birth = date(randint(1945, 2004), randint(1, 12), randint(1, 28))
                        id_number = resident_id(rng, birth)
                        gender = "M" if int(id_number[16]) % 2 else "F"
                        credit, industry = "", ""
                        aum = lognorm(11.3, 1.6)
                    else:
                        kind = "corporate" if r < 0.97 else "outlet"
                        name = demo_names.company_name(rng) if kind == "corporate" else demo_names.outlet_name(rng)
                        birth, id_number, gender = None, "", ""
                        credit = f"91320{randint(0, 10**13 - 1):013d}"
                        industry = choice(demo_names.COMPANY_CORE)
                        aum = lognorm(12.5, 1.8)
                    mobile = f"1{choice('35789')}{randint(0, 999_999_999):09d}"
                    tier_id = tiers[-1][0]
                    for t_id, threshold in tiers:
                        if aum >= threshold:
                            tier_id = t_id
                            break
                    loans = aum * 0.8 * rand() if rand() < 0.15 else 0.0
                    b_rm = choice(mates) if mates and rand() < 0.3 else None
                    created = now - timedelta(days=randint(0, 5 * 365), seconds=randint(0, 86_399))
                    self.customer_owner.append((rm_id, path, aum, loans, kind))
                    yield (
                        cid,
                        kind,
                        f"BC{cid:010d}",
                        name,
                        initials(name),
                        gender,
                        birth.isoformat() if birth else None,
                        id_number,
                        mobile,
                        mobile[-4:],
                        id_number[-4:] if id_number else "",
                        f"南京市{choice(DISTRICTS)}区{choice(streets)}{randint(1, 300)}号",
                        credit,
                        industry,
                        money(aum),
                        money(aum * (0.4 + 0.5 * rand())),
                        money(loans),
                        money(aum * 0.008 * rand()),
                        rng.choices(sources, source_w)[0],
                        rng.choices(stages, stage_w)[0],
                        tier_id,
                        rm_id,
                        b_rm,
                        unit_id,
                        path,
                        randint(30, 100),
                        choice(risk) if kind == "individual" else "",
                        _dt_db(created),
                    )
                    cid += 1

        n = table.write(rows(), big=self.big)
        self.customer_start_id = start_id
        self.counts["customers"] = n
        return f"{n:,} customers"

    def customers(self):
        """(id, a_rm_id, org_path, aum, loans, kind) of every customer, from memory or the database."""
        if getattr(self, "customer_owner", None):
            start = self.customer_start_id
            for i, (rm, path, aum, loans, kind) in enumerate(self.customer_owner):
                yield start + i, rm, path, aum, loans, kind
            return
        from rmdesk.customers.models import Customer

        for cid, rm, path, aum, loans, kind in (
            Customer.objects.order_by("id")
            .values_list("id", "a_rm_id", "org_path", "aum", "loans", "kind")
            .iterator(chunk_size=20_000)
        ):
            yield cid, rm, path, float(aum), float(loans), kind

    # -- tables of other apps: filled when their models exist (see bench/extra_tables.py)
    def gen_holdings(self):
        from bench import extra_tables

        return extra_tables.holdings(self)

    def gen_interactions(self):
        from bench import extra_tables

        return extra_tables.interactions(self)

    def gen_cadence(self):
        from bench import extra_tables

        return extra_tables.cadence(self)


def find_model(app_label: str, *names):
    for name in names:
        try:
            return apps.get_model(app_label, name)
        except LookupError:
            continue
    return None


def poisson_like(rng, mean: float) -> int:
    """A skewed small count with the given mean (geometric-ish, cheap)."""
    if mean <= 0:
        return 0
    return int(-math.log(1.0 - rng.random()) * mean + 0.5)
