"""Item 9 (issue 18): pages against the framework floor.

The floor is what any signed-in request costs before a page does its own work: the same middleware
stack (session, locale, CSRF, authentication, axes, audit context), the same Django test Client,
answering only the caller's id — `/org/ping/` for the session-authenticated HTML pages and
`/api/ping` with a bearer token for the API. Each page is then measured warm (p50 / p95 / max) and,
in a separate untimed pass with a `connection.execute_wrapper`, its SQL: the number of queries and
the sum of their times. The figure "(page − floor)" is page p50 − floor p50 of the same channel, and
its budget is 3 × the page's SQL time (p50 of the per-request sums) + 3 ms: what a page may add over
the framework is a small multiple of the SQL it needs.

Absolute budgets (PostgreSQL, branch size): RM list HTML p95 ≤ 15 ms, 360° page p95 ≤ 25 ms, branch
dashboard p95 ≤ 50 ms. They are attached on every run (the harness prints them on small sizes too,
for orientation).
"""

import statistics
import time

from django.db import connection

from bench import endpoints
from bench.items import PAGE, Budget, Figure, need_url, run_figure

FLOOR_HTML = "/org/ping/"
FLOOR_API = "/api/ping"


class SqlMeter:
    """Counts the queries of one request and sums their times (the driver's execute, wall clock)."""

    def __init__(self):
        self.count = 0
        self.seconds = 0.0

    def __call__(self, execute, sql, params, many, context):
        t0 = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            self.seconds += time.perf_counter() - t0
            self.count += 1


def sql_profile(fn, args_list, n: int) -> dict:
    """Call fn(*args) n times cycling through args_list with a query meter on; the p50 of the
    per-request SQL milliseconds and the largest query count seen."""
    ms, counts = [], []
    for i in range(max(1, n)):
        meter = SqlMeter()
        with connection.execute_wrapper(meter):
            fn(*args_list[i % len(args_list)])
        ms.append(meter.seconds * 1000)
        counts.append(meter.count)
    return {"sql_ms": statistics.median(ms), "queries": max(counts), "queries_min": min(counts)}


def _p95(limit):
    return Budget("p95", "<=", limit)


def item_9(ctx) -> list[Figure]:
    figs: list[Figure] = []
    sql_n = max(3, min(ctx.reps, 10))

    def page(name, channel, fn, cases, budget=None):
        fig = run_figure(Figure("9", name, channel, budget=budget), fn, cases, ctx.reps)
        if fig.stats is not None:
            try:
                fig.extra = sql_profile(fn, cases, sql_n)
            except Exception as exc:  # noqa: BLE001 - recorded like any other measurement error
                fig.error = f"{type(exc).__name__}: {exc}"[:300]
                fig.stats = None
        figs.append(fig)
        return fig

    rm = ctx.rms[0]

    # --- the floors -----------------------------------------------------------------------------------
    def floor_html(user):
        need_url(FLOOR_HTML, "the framework floor page /org/ping/ (org app)")
        ctx.get(ctx.html(user), FLOOR_HTML)

    def floor_api(user):
        need_url(FLOOR_API, "the framework floor API /api/ping (org app)")
        ctx.get(ctx.api(user), FLOOR_API, expect_json=True)

    floors = {
        "HTML": page(
            "framework floor: signed-in page answering the user's id", "HTML", floor_html, [(u,) for u in ctx.rms]
        ),
        "API": page("framework floor: API call answering the user's id", "API", floor_api, [(u,) for u in ctx.rms]),
    }

    # --- the pages ------------------------------------------------------------------------------------
    def list_html(user):
        url, params = endpoints.customer_list_html(page_size=PAGE)
        ctx.get(ctx.html(user), url, params)

    def list_api(user):
        url, params = endpoints.customer_list_api(page_size=PAGE)
        ctx.get(ctx.api(user), url, params, expect_json=True)

    rm_cases = [(u,) for u in ctx.rms]
    measured = [
        page("RM customer list, first page", "HTML", list_html, rm_cases, _p95(15)),
        page("RM customer list, first page", "API", list_api, rm_cases),
    ]

    from rmdesk.customers.models import Customer

    top = list(Customer.objects.filter(a_rm=rm).order_by("-aum").values_list("pk", flat=True)[:5])
    low = list(Customer.objects.filter(a_rm=rm).order_by("aum").values_list("pk", flat=True)[:5])
    c360 = [(rm, pk) for pk in top + low]

    def detail_html(user, pk):
        ctx.get(ctx.html(user), endpoints.customer_360_html(pk))

    def detail_api(user, pk):
        ctx.get(ctx.api(user), endpoints.customer_detail_api(pk), expect_json=True)

    if c360:
        measured.append(page("customer 360° page", "HTML", detail_html, c360, _p95(25)))
        measured.append(page("customer detail", "API", detail_api, c360))

    if ctx.manager:

        def dash(user):
            ctx.get(ctx.html(user), endpoints.home_html())

        measured.append(
            page("branch manager's home dashboard (whole subtree)", "HTML", dash, [(ctx.manager,)], _p95(50))
        )

        def dash_drawn(user):
            from django.test import override_settings

            with override_settings(RMDESK_HOME_CACHE_SECONDS=0):
                ctx.get(ctx.html(user), endpoints.home_html())

        # the same page with every panel drawn on each view: the cost after the home cache expires or a write
        measured.append(
            page(
                "branch manager's home dashboard, panels drawn every view (home cache off)",
                "HTML",
                dash_drawn,
                [(ctx.manager,)],
            )
        )

    if ctx.lead:

        def overdue_html(user):
            url, params = endpoints.overdue_html(offset=0)
            ctx.get(ctx.html(user), url, params)

        def overdue_api(user):
            url, params = endpoints.overdue_api(offset=0, page_size=PAGE)
            ctx.get(ctx.api(user), url, params, expect_json=True)

        measured.append(page("team lead's overdue-contact list, first page", "HTML", overdue_html, [(ctx.lead,)]))
        measured.append(page("team lead's overdue-contact list, first page", "API", overdue_api, [(ctx.lead,)]))

    # --- (page − floor) against 3 × SQL + 3 ms ----------------------------------------------------------
    for fig in measured:
        floor = floors[fig.channel]
        over = Figure("9", f"{fig.name} − floor", fig.channel, unit="ms")
        if fig.stats is None or floor.stats is None:
            over.na = fig.na or floor.na or "not measured (page or floor failed)"
            if fig.error or floor.error:
                over.na = "not measured: " + (fig.error or floor.error)[:200]
            figs.append(over)
            continue
        sql = fig.extra["sql_ms"]
        over.value = round(fig.stats.p50 - floor.stats.p50, 2)
        over.budget = Budget("value", "<=", round(3 * sql + 3, 1))
        over.extra = {
            "page p50": round(fig.stats.p50, 1),
            "floor p50": round(floor.stats.p50, 1),
            "SQL ms": round(sql, 2),
            "queries": fig.extra["queries"],
            "p95 − floor p95": round(fig.stats.p95 - floor.stats.p95, 1),
        }
        figs.append(over)
    return figs
