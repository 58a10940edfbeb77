"""The physical floor: the same queries as the app's, hand-written SQL run through the driver
(sqlite3 / psycopg) on Django's underlying connection, no ORM, no serialisation."""

from functools import cache

from django.db import connection

PAGE = 20


@cache
def _tables():
    from django.apps import apps

    def t(label, name):
        try:
            return apps.get_model(label, name)._meta.db_table
        except LookupError:
            return None

    return {
        "customer": t("customers", "Customer"),
        "tier": t("customers", "Tier"),
        "user": t("org", "User"),
        "status": t("work", "ContactStatus"),
    }


def run(sql: str, params: list):
    """Execute on the raw driver connection and fetch everything."""
    connection.ensure_connection()
    conn = connection.connection
    if connection.vendor == "sqlite":
        cur = conn.execute(sql.replace("%s", "?"), params)
        rows = cur.fetchall()
        cur.close()
        return rows
    with conn.cursor() as cur:
        cur.execute(sql, params)
        return cur.fetchall()


@cache
def _live_filter() -> str:
    """Merged-away archives are hidden from lists (when the customers app has that column)."""
    from django.apps import apps

    names = {f.name for f in apps.get_model("customers", "Customer")._meta.concrete_fields}
    return " AND c.merged_into_id IS NULL" if "merged_into" in names else ""


def _list(where: str, params: list, tier_id, cursor):
    """One page sorted by AUM descending then id, keyset-paginated after `cursor` (aum, id)."""
    t = _tables()
    where += _live_filter()
    if tier_id:
        where += " AND c.tier_id = %s"
        params = [*params, tier_id]
    if cursor:
        # the sargable form of "after (aum, id)": the bound on aum is an index condition
        where += " AND c.aum <= %s AND NOT (c.aum = %s AND c.id <= %s)"
        aum = cursor[0] if connection.vendor == "postgresql" else str(cursor[0])
        params = [*params, aum, aum, cursor[1]]
    return run(
        f"SELECT c.id, c.customer_no, c.name, c.kind, c.stage, c.aum, c.mobile_tail, t.name, u.full_name "
        f"FROM {t['customer']} c LEFT JOIN {t['tier']} t ON t.id = c.tier_id "
        f"LEFT JOIN {t['user']} u ON u.id = c.a_rm_id "
        f"WHERE {where} ORDER BY c.aum DESC, c.id LIMIT {PAGE + 1}",
        params,
    )


def rm_customer_list(rm_id, tier_id, cursor):
    """An RM's book (A-post or B-post), optional tier filter, sorted by AUM, one page.

    The floor is the best shape: one ordered scan per owner index, (a_rm, -aum, id) and
    (b_rm, -aum, id), each stopping after a page, merged. The `a_rm = x OR b_rm = x` form lets
    PostgreSQL walk the AUM index of the whole table instead (see the closing note)."""
    t = _tables()
    where, params = _live_filter(), []
    if tier_id:
        where += " AND c.tier_id = %s"
        params.append(tier_id)
    if cursor:
        where += " AND c.aum <= %s AND NOT (c.aum = %s AND c.id <= %s)"
        aum = cursor[0] if connection.vendor == "postgresql" else str(cursor[0])
        params += [aum, aum, cursor[1]]
    part = (
        f"SELECT * FROM (SELECT c.id, c.aum FROM {t['customer']} c WHERE c.{{owner}} = %s{where} "
        f"ORDER BY c.aum DESC, c.id LIMIT {PAGE + 1}) AS {{alias}}"
    )
    ids = f"{part.format(owner='a_rm_id', alias='pa')} UNION {part.format(owner='b_rm_id', alias='pb')}"
    return run(
        f"SELECT c.id, c.customer_no, c.name, c.kind, c.stage, c.aum, c.mobile_tail, t.name, u.full_name "
        f"FROM ({ids}) AS k JOIN {t['customer']} c ON c.id = k.id "
        f"LEFT JOIN {t['tier']} t ON t.id = c.tier_id LEFT JOIN {t['user']} u ON u.id = c.a_rm_id "
        f"ORDER BY c.aum DESC, c.id LIMIT {PAGE + 1}",
        [rm_id, *params, rm_id, *params],
    )


def subtree_customer_list(path, tier_id, cursor):
    return _list("c.org_path LIKE %s", [path + "%"], tier_id, cursor)


def _search(where, params, kind, q):
    t = _tables()
    cond = {
        "name": "c.name LIKE %s",
        "initials": "c.name_initials LIKE %s",
        "tail": "(c.mobile_tail = %s OR c.id_tail = %s)",
    }[kind]
    args = [q, q] if kind == "tail" else [q + "%"]
    return run(
        f"SELECT c.id, c.customer_no, c.name, c.kind, c.aum, c.mobile_tail FROM {t['customer']} c "
        f"WHERE {where}{_live_filter()} AND {cond} ORDER BY c.aum DESC, c.id LIMIT {PAGE + 1}",
        [*params, *args],
    )


def rm_search(rm_id, kind, q):
    return _search("(c.a_rm_id = %s OR c.b_rm_id = %s)", [rm_id, rm_id], kind, q)


def subtree_search(path, kind, q):
    return _search("c.org_path LIKE %s", [path + "%"], kind, q)


def overdue_list(path, offset):
    """A team's overdue customers (cadence state table), most overdue first, one page + the total."""
    from bench.items import NotBuilt

    t = _tables()
    if not t["status"]:
        raise NotBuilt("work.ContactStatus")
    total = run(
        f"SELECT COUNT(*) FROM {t['status']} s WHERE s.org_path LIKE %s AND s.status = 'overdue'", [path + "%"]
    )[0][0]
    rows = run(
        f"SELECT s.customer_id, c.name, c.aum, s.last_contact_on, s.next_due_on, u.full_name "
        f"FROM {t['status']} s JOIN {t['customer']} c ON c.id = s.customer_id "
        f"LEFT JOIN {t['user']} u ON u.id = s.a_rm_id "
        f"WHERE s.org_path LIKE %s AND s.status = 'overdue' "
        f"ORDER BY s.next_due_on, s.customer_id LIMIT {PAGE} OFFSET %s",
        [path + "%", offset],
    )
    return total, rows


def dashboard(path):
    """The heavy query of a manager's home dashboard: contact states over the subtree counted per
    A-post RM (the work app's team panel), most overdue first."""
    t = _tables()
    if not t["status"]:
        return run(
            f"SELECT c.a_rm_id, COUNT(*) FROM {t['customer']} c WHERE c.org_path LIKE %s GROUP BY c.a_rm_id",
            [path + "%"],
        )
    return run(
        f"SELECT s.a_rm_id, u.full_name, u.username, "
        f"SUM(CASE WHEN s.status = 'overdue' THEN 1 ELSE 0 END) AS overdue, "
        f"SUM(CASE WHEN s.status = 'due' THEN 1 ELSE 0 END), SUM(CASE WHEN s.status = 'soon' THEN 1 ELSE 0 END), "
        f"SUM(CASE WHEN s.status = 'ok' THEN 1 ELSE 0 END), COUNT(*) "
        f"FROM {t['status']} s LEFT JOIN {t['user']} u ON u.id = s.a_rm_id "
        f"WHERE s.org_path LIKE %s AND s.status <> 'none' "
        f"GROUP BY s.a_rm_id, u.full_name, u.username ORDER BY overdue DESC, u.full_name",
        [path + "%"],
    )
