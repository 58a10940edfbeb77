"""The measured items of issue #4. Each item is a small function `item_N(ctx) -> list[Figure]`.

When the endpoint or function an item needs does not exist yet, the item records
"n/a (not built yet: <what>)" instead of failing; any other exception is recorded as an error
(and makes the harness exit non-zero).

Channels: "raw" = hand-written SQL through the driver (sqlite3 / psycopg) = the physical floor;
"ORM" = the app's scope function and queryset; "API" = Django Ninja through Django's test Client
(full middleware stack, bearer token); "HTML" = the server-rendered page through the test Client
(session login).
"""

import time
from dataclasses import dataclass, field

from django.db import connection
from django.test import Client
from django.urls import Resolver404, resolve

from bench import raw
from bench.timing import Stats, measure

PAGE = 20


def passed_second_factor(client: Client) -> Client:
    """A client signed in by force_login stands for a person who has also passed the second factor: a role
    that must use two-factor login would otherwise be measured as its redirect to the OTP step (the
    security gate reads only the session's flag)."""
    from rmdesk.org import sessions

    session = client.session
    if session.pop(sessions.PENDING, None) is not None:
        session.save()
    return client


class NotBuilt(Exception):
    """The endpoint or function this measurement needs does not exist yet."""


@dataclass
class Budget:
    metric: str  # "p95" | "ratio" | "value"
    op: str  # "<=" | ">="
    limit: float
    unit: str = "ms"

    def check(self, x: float | None):
        if x is None:
            return None
        return x <= self.limit if self.op == "<=" else x >= self.limit

    def __str__(self):
        what = {"p95": "p95", "ratio": "app/raw", "value": ""}[self.metric]
        unit = "" if self.unit == "x" else " " + self.unit
        return f"{what} {'≤' if self.op == '<=' else '≥'} {self.limit:g}{unit}".strip()


@dataclass
class Figure:
    item: str
    name: str
    channel: str = ""
    stats: Stats | None = None
    raw: Stats | None = None
    value: float | None = None
    unit: str = ""
    budget: Budget | None = None
    ratio_budget: Budget | None = None
    na: str = ""
    error: str = ""
    force_miss: bool = False
    extra: dict = field(default_factory=dict)

    @property
    def ratio(self) -> float | None:
        if self.stats and self.raw and self.raw.p50 > 0:
            return self.stats.p50 / self.raw.p50
        return None

    def verdicts(self) -> list[bool]:
        out = []
        if self.budget:
            x = self.stats.p95 if (self.budget.metric == "p95" and self.stats) else self.value
            v = self.budget.check(x)
            if v is not None:
                out.append(v)
        if self.ratio_budget and self.ratio is not None:
            out.append(self.ratio_budget.check(self.ratio))
        if self.force_miss:
            out.append(False)
        return out

    @property
    def status(self) -> str:
        if self.error:
            return "error"
        if self.na:
            return "n/a"
        v = self.verdicts()
        if not v:
            return "info"
        return "pass" if all(v) else "miss"

    def as_dict(self):
        return {
            "item": self.item,
            "name": self.name,
            "channel": self.channel,
            "stats": self.stats.as_dict() if self.stats else None,
            "raw": self.raw.as_dict() if self.raw else None,
            "ratio": round(self.ratio, 2) if self.ratio is not None else None,
            "value": self.value,
            "unit": self.unit,
            "budget": str(self.budget) if self.budget else "",
            "ratio_budget": str(self.ratio_budget) if self.ratio_budget else "",
            "status": self.status,
            "na": self.na,
            "error": self.error,
            "extra": self.extra,
        }


P95_30 = Budget("p95", "<=", 30)
P95_300 = Budget("p95", "<=", 300)
RATIO_2 = Budget("ratio", "<=", 2, "x")


# --- context: who is measured, with which clients --------------------------------------------------


class Context:
    def __init__(self, reps: int, smoke: bool = False, log=print):
        self.reps = reps
        self.smoke = smoke
        self.log = log
        self._api, self._html = {}, {}
        self.tokens = {}
        self.pick_subjects()

    def pick_subjects(self):
        from django.db.models import Count

        from rmdesk.customers.models import Customer
        from rmdesk.org.models import OrgUnit, RoleCode, User

        counts = Customer.objects.values("a_rm").annotate(n=Count("id")).order_by("-n", "a_rm")
        rows = [(r["a_rm"], r["n"]) for r in counts if r["a_rm"]]
        if not rows:
            raise RuntimeError("the bench database has no customers: run the generator")
        ids = [r[0] for r in rows]
        # the biggest book, plus RMs spread over the distribution (rotation)
        sample = [ids[0]] + ids[1 :: max(1, len(ids) // 7)][:7]
        users = {u.pk: u for u in User.objects.filter(pk__in=sample).select_related("team", "unit")}
        self.rms = [users[i] for i in sample]
        self.book = dict(rows)
        team_sizes = Customer.objects.values("org_path").annotate(n=Count("id")).order_by("-n")
        big_path = team_sizes[0]["org_path"]
        team = OrgUnit.objects.get(path=big_path)
        self.team = team
        self.team_size = team_sizes[0]["n"]
        self.lead = (
            User.objects.filter(roles__code=RoleCode.TEAM_LEAD, team=team).first()
            or User.objects.filter(roles__code=RoleCode.TEAM_LEAD).first()
        )
        self.manager = (
            User.objects.filter(roles__code=RoleCode.BRANCH_MANAGER, unit__isnull=False)
            .select_related("unit")
            .order_by("unit__depth", "pk")
            .first()
        )
        self.manager_path = self.manager.unit.path if self.manager else ""
        self.total_customers = Customer.objects.count()
        from rmdesk.customers.models import Tier

        # a mid tier with enough customers for the filter (金卡 / gold in the bank rule set)
        tier_counts = dict(Customer.objects.values_list("tier").annotate(n=Count("id")).values_list("tier", "n"))
        tiers = list(Tier.objects.filter(pk__in=tier_counts).order_by("-rank"))
        self.tier = tiers[len(tiers) // 2 - 1] if len(tiers) >= 2 else (tiers[0] if tiers else None)

    def api(self, user) -> Client:
        c = self._api.get(user.pk)
        if c is None:
            from rmdesk.org.services import issue_api_token

            _token, raw_token = issue_api_token(user)
            self.tokens[user.pk] = raw_token
            c = Client(HTTP_AUTHORIZATION=f"Bearer {raw_token}", raise_request_exception=True)
            self._api[user.pk] = c
        return c

    def html(self, user) -> Client:
        c = self._html.get(user.pk)
        if c is None:
            c = Client(raise_request_exception=True)
            c.force_login(user)
            self._html[user.pk] = passed_second_factor(c)
        return c

    def get(self, client: Client, url: str, params: dict | None = None, *, expect_json=False):
        resp = client.get(url, params or {})
        if resp.status_code != 200:
            raise RuntimeError(f"GET {url} {params or ''} answered {resp.status_code}")
        body = resp.json() if expect_json else resp.content
        return body


def need_url(path: str, what: str):
    """Raise NotBuilt unless `path` resolves to a view."""
    try:
        resolve(path.split("?")[0])
    except Resolver404:
        raise NotBuilt(what) from None


def run_figure(fig: Figure, fn, args_list, reps, raw_fn=None, raw_args=None):
    """Fill fig.stats (and fig.raw) by measuring; record n/a or error instead of raising."""
    try:
        fig.stats = measure(fn, args_list, reps)
        if raw_fn is not None:
            fig.raw = measure(raw_fn, raw_args if raw_args is not None else args_list, reps)
    except NotBuilt as exc:
        fig.na = f"not built yet: {exc}"
        fig.stats = None
    except Exception as exc:  # noqa: BLE001 - recorded, reported, and turned into a non-zero exit
        fig.error = f"{type(exc).__name__}: {exc}"[:300]
        fig.stats = None
    return fig


# --- item 1: an RM's customer list ------------------------------------------------------------------


def _deep_cursor(user, position):
    """The keyset cursor that starts the page at `position` of the user's book sorted by AUM."""
    from rmdesk.customers.scope import visible_customers

    if position <= 0:
        return None
    row = visible_customers(user).order_by("-aum", "id").values_list("aum", "id")[position - 1 : position]
    return (row[0][0], row[0][1]) if row else None


def _list_cases(ctx):
    """(label, [(user, tier_id|None, cursor (aum, id)|None)]) cases rotated over the sampled RMs."""
    first = [(u, None, None) for u in ctx.rms]
    tier = [(u, ctx.tier.pk if ctx.tier else None, None) for u in ctx.rms]
    deep = [(u, None, _deep_cursor(u, int(ctx.book.get(u.pk, 0) * 0.9))) for u in ctx.rms]
    return [
        ("first page, sorted by AUM", first),
        ("tier filter, first page", tier),
        ("deep page (90 % into the book, keyset cursor)", deep),
    ]


def cursor_str(cursor):
    return f"{cursor[0]}_{cursor[1]}" if cursor else None


def orm_customer_list(user, tier_id, cursor):
    """The app's own list query (customers.queries) when built; else the scope function + queryset."""
    try:
        from rmdesk.customers import queries
    except ImportError:
        queries = None
    params = {"tier": str(tier_id)} if tier_id else {}
    if queries is not None and hasattr(queries, "page_of"):
        return queries.page_of(queries.filtered_customers(user, params), cursor_str(cursor), PAGE)
    from django.db.models import Q

    from rmdesk.customers.scope import visible_customers

    qs = visible_customers(user)
    if tier_id:
        qs = qs.filter(tier_id=tier_id)
    if cursor:
        qs = qs.filter(Q(aum__lt=cursor[0]) | Q(aum=cursor[0], id__gt=cursor[1]))
    return list(qs.select_related("tier", "a_rm").order_by("-aum", "id")[: PAGE + 1])


def item_1(ctx) -> list[Figure]:
    from bench import endpoints

    figs = []
    for label, cases in _list_cases(ctx):
        raw_args = [(u.pk, t, c) for u, t, c in cases]
        orm = run_figure(
            Figure("1", f"RM customer list: {label}", "ORM"),
            orm_customer_list,
            cases,
            ctx.reps,
            raw.rm_customer_list,
            raw_args,
        )
        figs.append(orm)

        def api_call(u, t, c):
            url, params = endpoints.customer_list_api(tier_id=t, cursor=cursor_str(c), page_size=PAGE)
            ctx.get(ctx.api(u), url, params, expect_json=True)

        def html_call(u, t, c):
            url, params = endpoints.customer_list_html(tier_id=t, cursor=cursor_str(c), page_size=PAGE)
            ctx.get(ctx.html(u), url, params)

        fig = Figure("1", f"RM customer list: {label}", "API", budget=P95_30, ratio_budget=RATIO_2)
        fig.raw = orm.raw
        figs.append(run_figure(fig, api_call, cases, ctx.reps))
        fig = Figure("1", f"RM customer list: {label}", "HTML")
        fig.raw = orm.raw
        figs.append(run_figure(fig, html_call, cases, ctx.reps))
    # the branch manager's whole subtree (not in the budget: shows the cost of a big scope)
    if ctx.manager:
        cases = [(ctx.manager, None, None)]
        figs.append(
            run_figure(
                Figure("1", "branch manager's customer list (whole subtree), first page", "ORM"),
                orm_customer_list,
                cases,
                max(5, ctx.reps // 3),
                raw.subtree_customer_list,
                [(ctx.manager_path, None, None)],
            )
        )

        def api_mgr(u, t, c):
            url, params = endpoints.customer_list_api(tier_id=t, cursor=cursor_str(c), page_size=PAGE)
            ctx.get(ctx.api(u), url, params, expect_json=True)

        fig = Figure("1", "branch manager's customer list (whole subtree), first page", "API")
        fig.raw = figs[-1].raw
        figs.append(run_figure(fig, api_mgr, cases, max(5, ctx.reps // 3)))
    return figs


# --- item 2: search -------------------------------------------------------------------------------


def _search_terms(ctx):
    """Real terms taken from customers the sampled RMs own: name prefix, initials, mobile tail."""
    from rmdesk.customers.models import Customer

    terms = {"name": [], "initials": [], "tail": []}
    for u in ctx.rms:
        c = (
            Customer.objects.filter(a_rm=u, kind="individual")
            .order_by("id")
            .values("name", "name_initials", "mobile_tail")
            .first()
        )
        if not c:
            continue
        terms["name"].append((u, c["name"][:2]))
        terms["initials"].append((u, (c["name_initials"] or "x")[:2]))
        terms["tail"].append((u, c["mobile_tail"] or "0000"))
    return terms


def orm_search(user, kind, q):
    """The app's search (customers.queries, q= classified as name / initials / tail) when built."""
    try:
        from rmdesk.customers import queries
    except ImportError:
        queries = None
    if queries is not None and hasattr(queries, "page_of"):
        return queries.page_of(queries.filtered_customers(user, {"q": q}), None, PAGE)
    from rmdesk.customers.scope import visible_customers

    qs = visible_customers(user)
    qs = {
        "name": lambda: qs.filter(name__startswith=q),
        "initials": lambda: qs.filter(name_initials__startswith=q),
        "tail": lambda: qs.filter(mobile_tail=q),
    }[kind]()
    return list(qs.order_by("-aum", "id")[:PAGE])


def item_2(ctx) -> list[Figure]:
    from bench import endpoints

    figs = []
    terms = _search_terms(ctx)
    labels = {"name": "Chinese name prefix", "initials": "pinyin initials", "tail": "mobile tail"}
    for kind, pairs in terms.items():
        if not pairs:
            continue
        cases = [(u, kind, q) for u, q in pairs]
        raw_args = [(u.pk, kind, q) for u, q in pairs]
        orm = run_figure(
            Figure("2", f"search by {labels[kind]} (RM scope)", "ORM"),
            orm_search,
            cases,
            ctx.reps,
            raw.rm_search,
            raw_args,
        )
        figs.append(orm)

        def api_call(u, k, q):
            url, params = endpoints.customer_search_api(q, page_size=PAGE)
            ctx.get(ctx.api(u), url, params, expect_json=True)

        fig = Figure("2", f"search by {labels[kind]} (RM scope)", "API", budget=P95_30, ratio_budget=RATIO_2)
        fig.raw = orm.raw
        figs.append(run_figure(fig, api_call, cases, ctx.reps))
        if ctx.manager:
            mcases = [(ctx.manager, kind, q) for _u, q in pairs]
            mraw = [(ctx.manager_path, kind, q) for _u, q in pairs]
            figs.append(
                run_figure(
                    Figure("2", f"search by {labels[kind]} (whole branch)", "ORM"),
                    orm_search,
                    mcases,
                    ctx.reps,
                    raw.subtree_search,
                    mraw,
                )
            )
            fig = Figure("2", f"search by {labels[kind]} (whole branch)", "API", budget=P95_30, ratio_budget=RATIO_2)
            fig.raw = figs[-1].raw
            figs.append(run_figure(fig, api_call, mcases, ctx.reps))
    return figs


# --- item 3: the customer 360° page -------------------------------------------------------------------


def item_3(ctx) -> list[Figure]:
    from bench import endpoints
    from rmdesk.customers.models import Customer

    u = ctx.rms[0]
    ids = list(Customer.objects.filter(a_rm=u).order_by("-aum").values_list("pk", flat=True)[:10])
    ids += list(Customer.objects.filter(a_rm=u).order_by("aum").values_list("pk", flat=True)[:10])
    cases = [(u, pk) for pk in ids]

    def html_call(user, pk):
        ctx.get(ctx.html(user), endpoints.customer_360_html(pk))

    def api_call(user, pk):
        ctx.get(ctx.api(user), endpoints.customer_detail_api(pk), expect_json=True)

    return [
        run_figure(
            Figure("3", "customer 360° page (largest and smallest books' customers)", "HTML", budget=P95_30),
            html_call,
            cases,
            ctx.reps,
        ),
        run_figure(Figure("3", "customer detail", "API"), api_call, cases, ctx.reps),
    ]


# --- item 4: team lead's overdue list, branch manager's dashboard ------------------------------------


def item_4(ctx) -> list[Figure]:
    from bench import endpoints

    figs = []
    lead = ctx.lead
    path = ctx.team.path

    def orm_overdue_safe(user, offset):
        try:
            from rmdesk.work.scope import visible_statuses
        except ImportError:
            raise NotBuilt("rmdesk.work.scope.visible_statuses") from None
        qs = visible_statuses(user).filter(status="overdue")
        total = qs.count()
        return total, list(
            qs.select_related("customer", "a_rm").order_by("next_due_on", "customer_id")[offset : offset + PAGE]
        )

    cases = [(lead, 0)]
    fig = run_figure(
        Figure("4", "team lead's overdue-contact list (largest team), first page", "ORM"),
        orm_overdue_safe,
        cases,
        ctx.reps,
        raw.overdue_list,
        [(path, 0)],
    )
    figs.append(fig)

    def api_call(user, offset):
        url, params = endpoints.overdue_api(offset=offset, page_size=PAGE)
        ctx.get(ctx.api(user), url, params, expect_json=True)

    def html_call(user, offset):
        url, params = endpoints.overdue_html(offset=offset, page_size=PAGE)
        ctx.get(ctx.html(user), url, params)

    f = Figure(
        "4", "team lead's overdue-contact list (largest team), first page", "API", budget=P95_30, ratio_budget=RATIO_2
    )
    f.raw = fig.raw
    figs.append(run_figure(f, api_call, cases, ctx.reps))
    f = Figure("4", "team lead's overdue-contact list (largest team), first page", "HTML")
    f.raw = fig.raw
    figs.append(run_figure(f, html_call, cases, ctx.reps))

    if ctx.manager:

        def dash(user):
            ctx.get(ctx.html(user), endpoints.home_html())

        f = Figure("4", "branch manager's home dashboard (whole subtree)", "HTML", budget=P95_300, ratio_budget=RATIO_2)
        figs.append(run_figure(f, dash, [(ctx.manager,)], max(5, ctx.reps // 2), raw.dashboard, [(ctx.manager_path,)]))
    return figs


# --- item 5: cadence recomputation -------------------------------------------------------------------


def item_5(ctx) -> list[Figure]:
    figs = []
    try:
        from rmdesk.work import cadence
    except ImportError:
        cadence = None
    full = Figure(
        "5",
        "full cadence recomputation, all customers (from scratch)",
        "function",
        unit="s",
        budget=Budget("value", "<=", 30, "s"),  # issue 18 (was 60 s in issue 4)
    )
    inc = Figure(
        "5", "incremental cadence update after one new interaction", "function", budget=Budget("p95", "<=", 50)
    )
    if cadence is None or not hasattr(cadence, "recompute_all"):
        full.na = "not built yet: rmdesk.work.cadence.recompute_all"
        inc.na = "not built yet: rmdesk.work.cadence.on_interaction"
        return [full, inc]
    try:
        from rmdesk.work.models import ContactStatus

        # from scratch: every state row is rebuilt (insert, last contacts from the interactions,
        # owners, rule, due date, status); then the steady state, when nothing changed
        with connection.cursor() as cur:
            cur.execute(f"DELETE FROM {ContactStatus._meta.db_table}")
        t0 = time.perf_counter()
        out = cadence.recompute_all(from_interactions=True)
        full.value = time.perf_counter() - t0
        t0 = time.perf_counter()
        again = cadence.recompute_all(from_interactions=True)
        full.extra = {
            "rebuilt": out,
            "steady-state run s": round(time.perf_counter() - t0, 2),
            "steady-state result": again,
        }
    except Exception as exc:  # noqa: BLE001
        full.error = f"{type(exc).__name__}: {exc}"[:300]
    figs.append(full)

    from django.db import transaction
    from django.utils import timezone

    from rmdesk.customers.models import Customer
    from rmdesk.work.models import Interaction

    customers = list(Customer.objects.filter(a_rm=ctx.rms[0]).select_related("tier__rule_set")[:20])

    def one(customer):
        # the interaction row itself is written by the work app's service; here: the cadence update
        with transaction.atomic():
            now = timezone.now()
            Interaction.objects.create(
                customer=customer, kind="phone", occurred_at=now, recorded_by_id=customer.a_rm_id, purpose="基准测试"
            )
            cadence.on_interaction(customer, now)

    inc.name = "incremental cadence update after one new interaction (insert + on_interaction)"
    figs.append(run_figure(inc, one, [(c,) for c in customers], ctx.reps))
    return figs


ITEMS = {"1": item_1, "2": item_2, "3": item_3, "4": item_4, "5": item_5}


def vendor():
    return connection.vendor
