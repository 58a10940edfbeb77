"""Contact cadence (SPEC §3): for every customer the last contact, the next due date and a status
(ok / soon / due / overdue, or none when the customer's tier has no rule).

State lives in `ContactStatus`, one row per customer. `recompute_all()` brings every row up to date
with a handful of set-based SQL statements (no Python loop per customer: the benchmark runs it on
1,000,000 customers); `on_interaction()` updates one row when a contact is recorded.

The next due date is the last contact (or, before any contact, the day the archive was opened) plus
the rule's months (clamped to the month's end, 31 Jan + 1 month = 28/29 Feb) plus its days. The
status is "overdue" after that day, "due" on it, "soon" within `soon_days` before it.
"""

from array import array
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Count, F, Q, Subquery
from django.utils import timezone

from .models import (
    CadenceRule,
    CadenceSetting,
    ChosenInterval,
    ContactCounter,
    ContactStatus,
    ContactStatusCode,
    CustomerIntervalMode,
    DueBasis,
    Interaction,
)

S = ContactStatusCode
M = CustomerIntervalMode
COUNTED = (S.OVERDUE.value, S.DUE.value, S.SOON.value, S.OK.value)  # column names of ContactCounter
#: "soon" before a due date set by the customer's chosen interval when their tier has no rule
DEFAULT_SOON_DAYS = 7


def status_for(due: date | None, today: date, soon_days: int) -> str:
    """The status of a customer whose next contact is due on `due` (None: no rule)."""
    if due is None:
        return S.NONE
    if due < today:
        return S.OVERDUE
    if due == today:
        return S.DUE
    if (due - today).days <= soon_days:
        return S.SOON
    return S.OK


def rule_for(customer) -> CadenceRule | None:
    tier = customer.tier
    if tier is None:
        return None
    return CadenceRule.objects.filter(rule_set_code=tier.rule_set.code, tier_code=tier.code, is_active=True).first()


def _local_day(dt: datetime) -> date:
    return timezone.localdate(dt) if timezone.is_aware(dt) else dt.date()


def chosen_for(customer_id, mode: str) -> ChosenInterval | None:
    """The customer's chosen callback interval when the industry uses it (issue 19), else None. A row
    with no interval that does not decline (never written by the service) counts as no choice."""
    if mode == M.OFF:
        return None
    chosen = ChosenInterval.objects.filter(customer_id=customer_id).first()
    if chosen is not None and not chosen.declined and not (chosen.interval_months or chosen.interval_days):
        return None
    return chosen


def due_for(base: date, rule: CadenceRule | None, chosen: ChosenInterval | None, mode: str, today: date):
    """(next due date, basis, status) from the tier rule and the customer's choice (issue 19), the rule of
    recompute_all()'s SQL in Python:

    - no choice, or the setting off: the tier rule (no rule: no due date, status none);
    - shorter: the earlier of the rule's and the choice's due dates (a tie is the rule's; a refusal is
      recorded but the tier norm still binds);
    - customer: the choice replaces the rule; a refusal takes the customer off the due lists (no due
      date, status ok).
    """
    rule_due = rule.next_due(base) if rule is not None else None
    due, basis = rule_due, DueBasis.RULE
    if chosen is not None and mode != M.OFF:
        if chosen.declined:
            if mode == M.CUSTOMER:
                return None, DueBasis.DECLINED, S.OK
        else:
            chosen_due = chosen.next_due(base)
            if mode == M.CUSTOMER or rule_due is None or chosen_due < rule_due:
                due, basis = chosen_due, DueBasis.CHOSEN
    soon_days = rule.soon_days if rule is not None else DEFAULT_SOON_DAYS
    return due, basis, status_for(due, today, soon_days)


def refresh_one(customer, *, today: date | None = None) -> ContactStatus:
    """Bring one customer's cadence row up to date (owners, rule, due date, status): one row write,
    and the per-RM counters follow (old bucket -1, new bucket +1) in the same transaction."""
    today = today or timezone.localdate()
    with transaction.atomic():
        row = ContactStatus.objects.select_for_update().filter(customer_id=customer.pk).first()
        if row is None:
            before = None
            row = ContactStatus(customer_id=customer.pk)
            last = Interaction.objects.filter(customer_id=customer.pk).order_by("-occurred_at").first()
            if last is not None:
                row.last_contact_at, row.last_contact_on = last.occurred_at, last.occurred_on
        else:
            before = (row.a_rm_id, row.org_path, row.status)
        rule = rule_for(customer)
        row.rule = rule
        row.a_rm_id, row.b_rm_id, row.org_path = customer.a_rm_id, customer.b_rm_id, customer.org_path
        mode = CadenceSetting.mode()
        base = row.last_contact_on or _local_day(customer.created_at)
        row.next_due_on, row.due_basis, row.status = due_for(base, rule, chosen_for(customer.pk, mode), mode, today)
        row.save()
        after = (row.a_rm_id, row.org_path, row.status)
        if before != after:
            if before is not None:
                bump_counter(*before, -1)
            bump_counter(*after, +1)
    return row


def bump_counter(a_rm_id, org_path: str, status: str, delta: int):
    """Add `delta` to one (A-post RM, org path) counter of `status` (statuses without a rule are not
    counted): one UPDATE of one row, or an INSERT when the bucket is new."""
    status = getattr(status, "value", status)
    if status not in COUNTED:
        return
    key = ContactCounter.objects.filter(a_rm_id=a_rm_id, org_path=org_path)
    n = ContactCounter.objects.filter(pk__in=Subquery(key.values("pk")[:1])).update(**{status: F(status) + delta})
    if n == 0:
        ContactCounter.objects.create(a_rm_id=a_rm_id, org_path=org_path, **{status: delta})


def on_interaction(customer, occurred_at: datetime | None = None, *, today: date | None = None) -> ContactStatus:
    """A contact was recorded: move the last contact forward (never back) and recompute the row."""
    with transaction.atomic():
        row = ContactStatus.objects.select_for_update().filter(customer_id=customer.pk).first()
        if row is not None and occurred_at is not None:
            if row.last_contact_at is None or occurred_at > row.last_contact_at:
                ContactStatus.objects.filter(pk=row.pk).update(
                    last_contact_at=occurred_at, last_contact_on=_local_day(occurred_at)
                )
        return refresh_one(customer, today=today)


# --- the set-based recomputation ------------------------------------------------------------------


def _sql_parts(vendor: str) -> dict:
    if vendor == "postgresql":
        tz = settings.TIME_ZONE
        return {
            "local_date": lambda col: f"(({col}) AT TIME ZONE '{tz}')::date",
            "add": lambda base, months, days: f"(({base}) + make_interval(months => {months}, days => {days}))::date",
            "days_until": lambda due: f"(({due}) - %s::date)",
            "distinct": "IS DISTINCT FROM",
        }
    offset = datetime.now(ZoneInfo(settings.TIME_ZONE)).utcoffset() or timedelta(0)
    hours = int(offset.total_seconds() // 3600)

    def add(base, months, days):
        same_day = (
            f"date({base}, 'start of month', '+' || ({months}) || ' months', "
            f"'+' || (CAST(strftime('%%d', {base}) AS INTEGER) - 1) || ' days')"
        )
        month_end = f"date({base}, 'start of month', '+' || ({months} + 1) || ' months', '-1 day')"
        return f"date(min({same_day}, {month_end}), '+' || ({days}) || ' days')"

    return {
        "local_date": lambda col: f"date({col}, '{hours:+d} hours')",
        "add": add,
        "days_until": lambda due: f"CAST(julianday({due}) - julianday(%s) AS INTEGER)",
        "distinct": "IS NOT",
    }


LAST_CONTACTS = "work_last_contact_tmp"
ONLY_IDS = "work_recompute_ids_tmp"


def _computed_rows(p: dict, source: str, last_on: str, extra_cols: str = "", mode: str = M.OFF) -> str:
    """SELECT of the computed state per customer: cid, owners, org path, rule, due date, basis, status
    (and `extra_cols`), from `source` (FROM … clause that names the customer `c` and defines `last_on`;
    with the setting on (`mode`), it also LEFT JOINs the chosen interval as `ci`). The rule is due_for()'s."""
    if mode == M.OFF:
        due = p["add"]("x.base", "x.months", "x.days")
        chosen_cols = ""
        dated = f"CASE WHEN x.rid IS NULL THEN NULL ELSE {due} END AS due, 'rule' AS basis"
    else:
        rule_due = f"CASE WHEN x.rid IS NULL THEN NULL ELSE {p['add']('x.base', 'x.months', 'x.days')} END"
        chosen_due = f"CASE WHEN x.ch IS NULL OR x.ch_no THEN NULL ELSE {p['add']('x.base', 'x.ch_m', 'x.ch_d')} END"
        chosen_cols = (
            "ci.customer_id AS ch, ci.declined AS ch_no, ci.interval_months AS ch_m, ci.interval_days AS ch_d, "
        )
        if mode == M.CUSTOMER:
            pick = "w.ch IS NOT NULL"
            declined = "w.ch IS NOT NULL AND w.ch_no"
        else:
            pick = "w.chosen_due IS NOT NULL AND (w.rule_due IS NULL OR w.chosen_due < w.rule_due)"
            declined = "1 = 0"
        dated = (
            f"CASE WHEN {declined} THEN NULL WHEN {pick} THEN w.chosen_due ELSE w.rule_due END AS due, "
            f"CASE WHEN {declined} THEN 'declined' WHEN {pick} THEN 'chosen' ELSE 'rule' END AS basis"
        )
        dated = f"w.*, {dated} FROM (SELECT x.*, {rule_due} AS rule_due, {chosen_due} AS chosen_due"
    days_until = p["days_until"]("y.due")
    inner = (
        f"(SELECT c.id AS cid, c.a_rm_id, c.b_rm_id, c.org_path, r.id AS rid, "
        f"        r.interval_months AS months, r.interval_days AS days, "
        f"        COALESCE(r.soon_days, {DEFAULT_SOON_DAYS}) AS soon_days, {chosen_cols}{extra_cols}"
        f"        COALESCE({last_on}, {p['local_date']('c.created_at')}) AS base "
        f"  {source}) x"
    )
    middle = f"SELECT x.*, {dated} FROM {inner}" if mode == M.OFF else f"SELECT {dated} FROM {inner}) w"
    return (
        f"SELECT y.*, CASE WHEN y.basis = 'declined' THEN 'ok' WHEN y.due IS NULL THEN 'none' "
        f"        WHEN y.due < %s THEN 'overdue' WHEN y.due = %s THEN 'due' "
        f"        WHEN {days_until} <= y.soon_days THEN 'soon' ELSE 'ok' END AS status "
        f"FROM ({middle}) y"
    )


def _distinct_sorted(values) -> array:
    """The distinct ids of `values`, ascending, as an int64 array: an import of a million archives
    passes a million ids, and a set of Python ints would hold ~70 MB at once (issue 18)."""
    ordered = array("q", sorted(map(int, values)))
    out = array("q")
    last = None
    for v in ordered:
        if v != last:
            out.append(v)
            last = v
    return out


def recompute_all(*, today: date | None = None, from_interactions: bool = False, customer_ids=None) -> dict:
    """Recompute every customer's cadence row with set-based SQL (SPEC §3 at scale).

    1. (from_interactions) last contacts of every customer from the interaction table, aggregated once
    into a temporary table; 2. insert the complete row (owners, last contact, rule, due date, status)
    of customers that have none; 3. (from_interactions) move the last contacts of existing rows;
    4. one UPDATE … FROM that copies owners and org path, resolves the rule by tier, computes the due
    date and status, and writes only the rows that changed (none of those inserted in 2); 5. rebuild
    the per-RM counters. Every row is written at most twice, inserted rows once: a rebuild from
    scratch is one INSERT of a million rows, not an INSERT and two UPDATEs of all of them — and when the
    state table was empty, 3 and 4 are skipped altogether (the inserted rows are complete), and on
    PostgreSQL its indexes and foreign keys are made again after the INSERT (issue 18: ≤ 30 s at 1M).

    `customer_ids` restricts 2–4 to those customers (an import file's archives: the ids go to a
    temporary table); the counters are still rebuilt whole (one GROUP BY).
    """
    from rmdesk.customers.models import Customer, Tier, TierRuleSet

    today = today or timezone.localdate()
    today_param = today if connection.vendor == "postgresql" else today.isoformat()
    cs = ContactStatus._meta.db_table
    cust = Customer._meta.db_table
    tier = Tier._meta.db_table
    rs = TierRuleSet._meta.db_table
    rule = CadenceRule._meta.db_table
    inter = Interaction._meta.db_table
    p = _sql_parts(connection.vendor)
    dist = p["distinct"]
    rule_joins = (
        f"LEFT JOIN {tier} t ON t.id = c.tier_id "
        f"LEFT JOIN {rs} rs ON rs.id = t.rule_set_id "
        f"LEFT JOIN {rule} r ON r.rule_set_code = rs.code AND r.tier_code = t.code AND r.is_active = %s "
    )
    mode = CadenceSetting.mode()
    if mode != M.OFF:  # the customer's chosen interval (issue 19); a row with no interval that does not decline: none
        rule_joins += (
            f"LEFT JOIN {ChosenInterval._meta.db_table} ci ON ci.customer_id = c.id "
            f"AND (ci.declined OR ci.interval_months > 0 OR ci.interval_days > 0) "
        )
    status_params = [today_param, today_param, today_param]
    out = {}
    with transaction.atomic(), connection.cursor() as cur:
        only_new = only_cur = only_lc = ""
        ids = None
        if customer_ids is not None:
            ids = _distinct_sorted(customer_ids)
            cur.execute(f"DROP TABLE IF EXISTS {ONLY_IDS}")
            cur.execute(f"CREATE TEMPORARY TABLE {ONLY_IDS} (id bigint PRIMARY KEY)")
            if connection.vendor == "postgresql":  # one array parameter per 100,000 ids, not 1,000-row VALUES
                for i in range(0, len(ids), 100_000):
                    cur.execute(
                        f"INSERT INTO {ONLY_IDS} (id) SELECT unnest(%s::bigint[])", [ids[i : i + 100_000].tolist()]
                    )
                cur.execute(f"ANALYZE {ONLY_IDS}")
            else:
                for i in range(0, len(ids), 1000):
                    chunk = ids[i : i + 1000].tolist()
                    cur.execute(f"INSERT INTO {ONLY_IDS} (id) VALUES " + ", ".join(["(%s)"] * len(chunk)), chunk)
            only_new = f"AND c.id IN (SELECT id FROM {ONLY_IDS}) "
            if ids:
                # the ids' range, stated for the planner: a file's new archives are the table's last ids, so the
                # customers are read by a range of their primary key, not scanned whole, and the state rows probed
                # by theirs (issue 18: the SELECT of the INSERT below 1.5 → 0.3 s for 100,000 new archives at
                # branch size); the bounds are ints from the array
                only_new += f"AND c.id BETWEEN {int(ids[0])} AND {int(ids[-1])} "
            only_cur = f"WHERE s2.customer_id IN (SELECT id FROM {ONLY_IDS}) "
            only_lc = f"AND lc.cid IN (SELECT id FROM {ONLY_IDS}) "
        if connection.vendor == "postgresql":
            # hash joins of a million customers with their states and last contacts stay in memory (4 MB: 8 batches)
            cur.execute("SET LOCAL work_mem = '256MB'")
            if customer_ids is not None:
                # a file's statements run for seconds at most: compiling them (JIT, on by default) cost more than it
                # saved (issue 18); local to the transaction, as work_mem
                cur.execute("SET LOCAL jit = off")
        # an empty state table (first install, a restore, a rebuild): every row is inserted below, complete
        was_empty = False
        if customer_ids is None:
            cur.execute(f"SELECT EXISTS (SELECT 1 FROM {cs})")
            was_empty = not cur.fetchone()[0]
        if from_interactions:
            cur.execute(f"DROP TABLE IF EXISTS {LAST_CONTACTS}")
            if connection.vendor == "postgresql":
                # the latest contact per customer read from the index on (customer, occurred_at) alone (an
                # index-only scan, no heap); its day is the local day of that time, as Interaction.save() sets it
                cur.execute(
                    f"CREATE TEMPORARY TABLE {LAST_CONTACTS} AS "
                    f"SELECT a.cid, a.m_at, {p['local_date']('a.m_at')} AS m_on "
                    f"FROM (SELECT customer_id AS cid, MAX(occurred_at) AS m_at FROM {inter} GROUP BY customer_id) a"
                )
            else:
                cur.execute(
                    f"CREATE TEMPORARY TABLE {LAST_CONTACTS} AS "
                    f"SELECT customer_id AS cid, MAX(occurred_at) AS m_at, MAX(occurred_on) AS m_on "
                    f"FROM {inter} GROUP BY customer_id"
                )
            cur.execute(f"CREATE UNIQUE INDEX {LAST_CONTACTS}_cid ON {LAST_CONTACTS} (cid)")
            if connection.vendor == "postgresql":
                cur.execute(f"ANALYZE {LAST_CONTACTS}")
            contacts = f"LEFT JOIN {LAST_CONTACTS} lc ON lc.cid = c.id "
            last_cols = "lc.m_at AS l_at, lc.m_on AS l_on, "
            last_on = "lc.m_on"
        else:
            typed = connection.vendor == "postgresql"
            last_cols = "NULL::timestamptz AS l_at, NULL::date AS l_on, " if typed else "NULL AS l_at, NULL AS l_on, "
            contacts, last_on = "", ("NULL::date" if typed else "NULL")
        # from scratch on PostgreSQL: the secondary indexes and the foreign keys are dropped and made again after
        # the one INSERT — a sorted build of each index is several times cheaper than a million random index
        # insertions, and a foreign key added to a full table is checked by one join instead of a million
        # deferred per-row triggers (the table is locked for the rebuild either way)
        rebuilt_indexes = _drop_secondary_indexes(cur, cs) if was_empty else []
        new_rows = _computed_rows(
            p,
            f"FROM {cust} c {rule_joins}{contacts}"
            f"WHERE NOT EXISTS (SELECT 1 FROM {cs} s WHERE s.customer_id = c.id) {only_new}",
            last_on,
            last_cols,
            mode,
        )
        cur.execute(
            f"INSERT INTO {cs} (customer_id, org_path, a_rm_id, b_rm_id, rule_id, last_contact_at, last_contact_on, "
            f"                  next_due_on, due_basis, status) "
            f"SELECT z.cid, z.org_path, z.a_rm_id, z.b_rm_id, z.rid, z.l_at, z.l_on, z.due, z.basis, z.status "
            f"FROM ({new_rows}) z",
            [*status_params, True],
        )
        out["inserted"] = cur.rowcount
        # every id of the file got its row just now (a file of new archives): those rows were computed by the
        # same SELECT the UPDATE below compares them with, so it could change none of them — it and the ANALYZE
        # that plans it are skipped (issue 18: 1.4 + 0.3 s of a 100,000-row import at branch size)
        all_new = ids is not None and out["inserted"] == len(ids) and not from_interactions
        if rebuilt_indexes:
            # a table cannot be altered while deferred checks of this transaction are pending on it or on the
            # tables its foreign keys name: run them now (they would run at commit), then defer again
            cur.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cur.execute("SET LOCAL maintenance_work_mem = '256MB'")
            for ddl in rebuilt_indexes:
                cur.execute(ddl)
            cur.execute("SET CONSTRAINTS ALL DEFERRED")
        if connection.vendor == "postgresql" and out["inserted"] > 1000 and not all_new:
            # fresh rows have no statistics yet: without them the planner picks nested loops below
            cur.execute(f"ANALYZE {cs}")
        if from_interactions and not was_empty:
            cur.execute(
                f"UPDATE {cs} AS s SET last_contact_at = lc.m_at, last_contact_on = lc.m_on "
                f"FROM {LAST_CONTACTS} lc "
                f"WHERE s.customer_id = lc.cid AND (s.last_contact_at {dist} lc.m_at) {only_lc}"
            )
            out["contacts"] = cur.rowcount
        elif from_interactions:
            out["contacts"] = 0  # the inserted rows carry their last contacts already
        if from_interactions:
            cur.execute(f"DROP TABLE {LAST_CONTACTS}")
        current = _computed_rows(
            p,
            f"FROM {cs} s2 JOIN {cust} c ON c.id = s2.customer_id {rule_joins}{only_cur}",
            "s2.last_contact_on",
            mode=mode,
        )
        if was_empty or all_new:  # every row was just computed from the same customers, rules and contacts
            out["updated"] = 0
            if all_new:
                cur.execute(f"DROP TABLE {ONLY_IDS}")
            rebuild_counters(cur)
            return out
        cur.execute(
            f"UPDATE {cs} AS s SET rule_id = z.rid, a_rm_id = z.a_rm_id, b_rm_id = z.b_rm_id, "
            f"org_path = z.org_path, next_due_on = z.due, due_basis = z.basis, status = z.status "
            f"FROM ({current}) z "
            f"WHERE s.customer_id = z.cid AND (s.status {dist} z.status OR s.next_due_on {dist} z.due "
            f"  OR s.rule_id {dist} z.rid OR s.a_rm_id {dist} z.a_rm_id OR s.b_rm_id {dist} z.b_rm_id "
            f"  OR s.org_path {dist} z.org_path OR s.due_basis {dist} z.basis)",
            [*status_params, True],
        )
        out["updated"] = cur.rowcount
        if customer_ids is not None:
            cur.execute(f"DROP TABLE {ONLY_IDS}")
        rebuild_counters(cur)
    return out


def _drop_secondary_indexes(cur, table: str) -> list[str]:
    """On PostgreSQL (the caller knows `table` is empty): drop its indexes that back no constraint and its
    foreign keys, and return the statements that make them again (exactly as the migrations made them:
    the indexes first, then the foreign keys, each checked by one join when added). Otherwise nothing."""
    if connection.vendor != "postgresql":
        return []
    # dropping a foreign key alters the tables it names too: no deferred check of this transaction may be
    # pending on any of them
    cur.execute("SET CONSTRAINTS ALL IMMEDIATE")
    cur.execute("SET CONSTRAINTS ALL DEFERRED")
    cur.execute(
        "SELECT k.conname, pg_get_constraintdef(k.oid) FROM pg_constraint k "
        "WHERE k.conrelid = %s::regclass AND k.contype = 'f' ORDER BY k.conname",
        [table],
    )
    foreign_keys = cur.fetchall()
    for name, _ddl in foreign_keys:
        cur.execute(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
    cur.execute(
        "SELECT i.indexname, i.indexdef FROM pg_indexes i WHERE i.schemaname = current_schema() "
        "AND i.tablename = %s AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conname = i.indexname "
        "AND k.conrelid = %s::regclass)",
        [table, table],
    )
    saved = cur.fetchall()
    for name, _ddl in saved:
        cur.execute(f'DROP INDEX "{name}"')
    return [ddl for _name, ddl in saved] + [
        f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {ddl}' for name, ddl in foreign_keys
    ]


def rebuild_counters(cur=None):
    """Rewrite the per-(A-post RM, org path) counters from the state table: one GROUP BY."""
    cs = ContactStatus._meta.db_table
    cc = ContactCounter._meta.db_table
    sums = ", ".join(f"SUM(CASE WHEN status = '{code}' THEN 1 ELSE 0 END)" for code in COUNTED)
    with transaction.atomic():
        own = cur is None
        cur = cur or connection.cursor()
        try:
            if connection.vendor == "postgresql":
                # on_interaction() adjusts single rows: let it wait for the rebuild, not interleave
                cur.execute(f"LOCK TABLE {cc} IN EXCLUSIVE MODE")
            cur.execute(f"DELETE FROM {cc}")
            cur.execute(
                f"INSERT INTO {cc} (a_rm_id, org_path, {', '.join(COUNTED)}) "
                f"SELECT a_rm_id, org_path, {sums} FROM {cs} WHERE status <> 'none' GROUP BY a_rm_id, org_path"
            )
        finally:
            if own:
                cur.close()


# --- reading ------------------------------------------------------------------------------------------


def summary_by_rm(qs):
    """Counts per A-post RM: [{a_rm, overdue, due, soon, ok, total}], most overdue first."""
    rows = (
        qs.exclude(status=S.NONE)
        .values("a_rm", "a_rm__full_name", "a_rm__username")
        .annotate(
            overdue=Count("pk", filter=Q(status=S.OVERDUE)),
            due=Count("pk", filter=Q(status=S.DUE)),
            soon=Count("pk", filter=Q(status=S.SOON)),
            ok=Count("pk", filter=Q(status=S.OK)),
            total=Count("pk"),
        )
        .order_by("-overdue", "a_rm__full_name")
    )
    return list(rows)


def summary_by_team(qs):
    """Counts per owning unit path (team), most overdue first."""
    rows = (
        qs.exclude(status=S.NONE)
        .values("org_path")
        .annotate(
            overdue=Count("pk", filter=Q(status=S.OVERDUE)),
            due=Count("pk", filter=Q(status=S.DUE)),
            soon=Count("pk", filter=Q(status=S.SOON)),
            total=Count("pk"),
        )
        .order_by("-overdue")
    )
    from rmdesk.org.models import OrgUnit

    rows = list(rows)
    names = dict(OrgUnit.objects.filter(path__in=[r["org_path"] for r in rows]).values_list("path", "name"))
    for r in rows:
        r["unit_name"] = names.get(r["org_path"], r["org_path"])
    return rows


def _label_rows(rows: list[dict], by: str) -> list[dict]:
    """Name each row's RM (by="a_rm"; customers without an A-post are 未分配) or unit (by="org_path")."""
    from django.utils.translation import gettext as _

    from rmdesk.org.models import OrgUnit, User

    keys = [r[by] for r in rows]
    if by == "a_rm":
        names = {u.pk: u.display_name for u in User.objects.filter(pk__in=[k for k in keys if k])}
    else:
        names = dict(OrgUnit.objects.filter(path__in=keys).values_list("path", "name"))
    for r in rows:
        r["name"] = names.get(r[by]) or (_("未分配") if by == "a_rm" and not r[by] else "—")
    return rows


def overdue_counts(qs, by: str) -> list[dict]:
    """Overdue customers counted per A-post RM (by="a_rm") or per owning unit (by="org_path"), most
    first: reads only the overdue rows (home panels of leads and managers over large subtrees)."""
    rows = list(qs.filter(status=S.OVERDUE).values(by).annotate(overdue=Count("pk")).order_by("-overdue")[:20])
    return _label_rows(rows, by)


# --- reading the counters (dashboards, summary tables) -------------------------------------------------


def _split_scope(user):
    """The user's read scope on cadence rows as (path Q, owner Q), or None when it is not a plain OR of
    org-path and owner conditions (then callers group the state rows directly)."""
    from rmdesk.core.scope import scope_q

    q = scope_q(user, ContactStatus.SCOPE)
    if q is None:
        return Q(pk__in=[]), Q()
    if q.negated or (len(q.children) > 1 and q.connector != Q.OR):
        return None
    path_q, owner_q = Q(), Q()
    for child in q.children:
        if isinstance(child, Q):
            return None
        field, value = child
        if field in ("org_path", "org_path__startswith"):
            path_q |= Q(**{field: value})
        elif field in ("a_rm", "b_rm", "a_rm_id", "b_rm_id"):
            owner_q |= Q(**{field: value})
        else:
            return None
    return path_q, owner_q


def _group_states(qs) -> list[dict]:
    sums = {code: Count("pk", filter=Q(status=code)) for code in COUNTED}
    return list(qs.exclude(status=S.NONE).values("a_rm", "org_path").annotate(**sums))


def scope_buckets(user) -> list[dict]:
    """Counts per (A-post RM, org path) over everything `user` sees: [{a_rm, org_path, overdue, due,
    soon, ok}]. The subtree part comes from the counters (a few rows per RM); what the user sees only
    as an owner outside that subtree (A/B-post customers elsewhere) is grouped from the state rows,
    through the owner indexes. The result equals grouping visible_statuses(user) directly."""
    parts = _split_scope(user)
    if parts is None:
        from .scope import visible_statuses

        return _group_states(visible_statuses(user))
    path_q, owner_q = parts
    rows = []
    if path_q:
        rows += list(ContactCounter.objects.filter(path_q).values("a_rm", "org_path", *COUNTED))
    if owner_q:
        extra = ContactStatus.objects.filter(owner_q)
        if path_q:
            extra = extra.exclude(path_q)
        rows += _group_states(extra)
    return rows


def _fold(rows: list[dict], key: str) -> dict:
    out = {}
    for r in rows:
        acc = out.setdefault(r[key], dict.fromkeys(COUNTED, 0))
        for code in COUNTED:
            acc[code] += r[code]
    return out


def rm_summary(user, buckets: list[dict] | None = None) -> list[dict]:
    """summary_by_rm(visible_statuses(user)) from the counters: same keys, same numbers. `buckets`: the
    user's `scope_buckets` when the caller has read them already (the cadence list draws both tables)."""
    from rmdesk.org.models import User

    buckets = scope_buckets(user) if buckets is None else buckets
    folded = {k: v for k, v in _fold(buckets, "a_rm").items() if sum(v.values())}
    names = {
        pk: (full, uname)
        for pk, full, uname in User.objects.filter(pk__in=[k for k in folded if k is not None]).values_list(
            "pk", "full_name", "username"
        )
    }
    rows = []
    for pk, c in folded.items():
        full, uname = names.get(pk, (None, None))
        rows.append({"a_rm": pk, "a_rm__full_name": full, "a_rm__username": uname, **c, "total": sum(c.values())})
    rows.sort(key=lambda r: (-r["overdue"], r["a_rm__full_name"] is None, r["a_rm__full_name"] or ""))
    return rows


def team_summary(user, buckets: list[dict] | None = None) -> list[dict]:
    """summary_by_team(visible_statuses(user)) from the counters: same keys, same numbers (`buckets`: as
    rm_summary's)."""
    from rmdesk.org.models import OrgUnit

    buckets = scope_buckets(user) if buckets is None else buckets
    folded = {k: v for k, v in _fold(buckets, "org_path").items() if sum(v.values())}
    names = dict(OrgUnit.objects.filter(path__in=list(folded)).values_list("path", "name"))
    rows = [
        {
            "org_path": path,
            "overdue": c["overdue"],
            "due": c["due"],
            "soon": c["soon"],
            "total": sum(c.values()),
            "unit_name": names.get(path, path),
        }
        for path, c in folded.items()
    ]
    rows.sort(key=lambda r: (-r["overdue"], r["org_path"]))
    return rows


def overdue_counts_for(user, by: str) -> list[dict]:
    """overdue_counts(visible_statuses(user), by) from the counters (top 20, most overdue first). Only the
    overdue column is read, summed per `by` in SQL (issue 18: the lead's and manager's home panel draws this on
    every view, and a branch has a counter row per RM and team); the parts are scope_buckets' parts."""
    from django.db.models import Sum

    parts = _split_scope(user)
    if parts is None:
        counts = {k: c["overdue"] for k, c in _fold(scope_buckets(user), by).items()}
    else:
        path_q, owner_q = parts
        counts = {}
        if path_q:
            counters = ContactCounter.objects.filter(path_q, overdue__gt=0).values_list(by).annotate(n=Sum("overdue"))
            for key, n in counters.order_by():
                counts[key] = counts.get(key, 0) + n
        if owner_q:
            extra = ContactStatus.objects.filter(owner_q, status=S.OVERDUE)
            if path_q:
                extra = extra.exclude(path_q)
            for key, n in extra.values_list(by).annotate(n=Count("pk")).order_by():
                counts[key] = counts.get(key, 0) + n
    rows = sorted(
        ({by: k, "overdue": n} for k, n in counts.items() if n > 0),
        key=lambda r: (-r["overdue"], str(r[by])),
    )[:20]
    return _label_rows(rows, by)
