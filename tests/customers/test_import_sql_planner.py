"""The planner settings of the customers import's SQL screen and write (issue 18, decision 95): on
PostgreSQL the screen's UPDATE runs with JIT off and work_mem at 4 MB, the write's statements with JIT
off, each set for its block only — what the rest of the transaction runs with is left as it was, also
when the block fails."""

import pytest
from django.db import connection, transaction

from rmdesk.customers.services import import_sql

pytestmark = pytest.mark.django_db


def _settings(cur):
    cur.execute("SELECT current_setting('jit'), current_setting('work_mem')")
    return cur.fetchone()


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL planner settings")
def test_the_screen_settings_hold_inside_the_block_only():
    with transaction.atomic(), connection.cursor() as cur:
        cur.execute("SET LOCAL work_mem = '8MB'")
        cur.execute("SET LOCAL jit = on")
        before = _settings(cur)
        assert before == ("on", "8MB")
        with import_sql.planner_settings(connection, import_sql._SCREEN) as inner:
            assert _settings(inner) == ("off", "4MB")
        assert _settings(cur) == before
        with import_sql.planner_settings(connection, import_sql.NO_JIT) as inner:
            assert _settings(inner) == ("off", "8MB")
        assert _settings(cur) == before
        with pytest.raises(ZeroDivisionError), import_sql.planner_settings(connection, import_sql._SCREEN) as inner:
            inner.execute("SELECT 1")
            raise ZeroDivisionError
        assert _settings(cur) == before  # rolled back with the block's savepoint; the transaction goes on


def test_the_block_gives_a_working_cursor_on_every_database():
    with import_sql.planner_settings(connection, import_sql._SCREEN) as cur:
        cur.execute("SELECT 1 + 1")
        assert cur.fetchone()[0] == 2
