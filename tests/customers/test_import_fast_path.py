"""The customers import's SQL screen and fast path (issue 18, fourth round; SPEC §2 bulk import) is
the existing path: generated files — plain rows, awkward-but-valid forms ("+86 139 …", "1,234.50",
a lower-case x, labels and codes), updates of existing archives, duplicates in the file and with
the database, bad rows — are imported once with the fast path and once with it switched off
(settings.RMDESK_IMPORT_FAST_PATH) from the same database state, and every column of the archives
and of the rows written with them (ownership, tier history, birthdays, tags, conflicts), the job's
counts and its error report are compared."""

from datetime import date

import pytest
from django.db import transaction
from django.test import override_settings
from hypothesis import HealthCheck, event, given, settings, strategies as st

from rmdesk.customers import importer
from rmdesk.customers.models import (
    Conflict,
    Customer,
    KeyDate,
    OwnershipChange,
    TierChange,
)
from rmdesk.customers.services import import_sql
from rmdesk.customers.validators import make_credit_code, make_resident_id

from .import_compare import job_outcome, plain_rows, run_file
from .test_import import csv_bytes, row, xlsx

pytestmark = pytest.mark.django_db

IDS = [make_resident_id("320106", date(1980 + i, 3, 14), f"{100 + i:03d}") for i in range(4)]
CODES = [make_credit_code(f"91320100MA1XYW{i:02d}") for i in range(3)]


def _bad(number):
    return number[:-1] + ("1" if number[-1] != "1" else "2")


def _existing(world):
    """Archives already in the database: E01/E02 the file may update, E03 anonymised (its number is
    taken, its keys are free), one live archive holding IDS[3], CODES[2] and 13900000009."""
    base = [
        row("E01", "老客户甲", mobile="13900000008", a_rm_no=world.rm.employee_no),
        row("E02", "老客户乙", id_number=IDS[3], mobile="13900000009", a_rm_no=world.rm.employee_no),
        row("E03", "老公司", kind="对公", credit_code=CODES[2], org_unit_code="T1"),
    ]
    with override_settings(RMDESK_IMPORT_FAST_PATH=False):
        job = _run(world, csv_bytes(base))
    assert job.status == "done", job.errors
    Customer.objects.filter(customer_no="E03").update(is_anonymised=True, credit_code="")


def _run(world, content, name="c.csv"):
    return run_file(world, "customers", content, name)


def _plain(model):
    """Every row of `model` as comparable values, sorted: the two paths may write them in another order."""
    return sorted(plain_rows(model))


def _state(job):
    tags = sorted(Customer.tags.through.objects.values_list("customer__customer_no", "tag__name"))
    return {
        "job": job_outcome(job),
        "customers": _plain(Customer),
        "ownership": _plain(OwnershipChange),
        "tiers": _plain(TierChange),
        "key_dates": _plain(KeyDate),
        "conflicts": _plain(Conflict),
        "tags": tags,
    }


def _both_ways(world, content, name="c.csv"):
    """(state with the fast path off, state with it on, plain rows the fast path wrote), each from
    the same database state."""
    written = []
    real = import_sql.Screen.write

    def spy(self, *args, **kwargs):
        out = real(self, *args, **kwargs)
        written.append(len(out[0]))  # (ids, ids created past 潜在)
        return out

    states = []
    for fast in (False, True):
        sid = transaction.savepoint()
        try:
            with override_settings(RMDESK_IMPORT_FAST_PATH=fast):
                import_sql.Screen.write = spy
                try:
                    job = _run(world, content, name)
                finally:
                    import_sql.Screen.write = real
            states.append(_state(job))
        finally:
            transaction.savepoint_rollback(sid)
    return states[0], states[1], sum(written)


def test_a_file_of_plain_and_awkward_rows_gives_the_same_archives_both_ways(world):
    _existing(world)
    rows = [
        # plain creates: individual, corporate, outlet, labels and codes, owner by RM, unit, importer
        row("N01", "张伟明", id_number=IDS[0], mobile="13900000001", a_rm_no=world.rm.employee_no, stage="活跃"),
        row(
            "N02", "金陵机械有限公司", kind="对公", credit_code=CODES[0], legal_rep="王刚", registered_capital="5000000"
        ),
        row("N03", "鼓楼烟酒店", kind="零售户", mobile="13900000003", org_unit_code="T1", source="import"),
        row("N04", "李小红", kind="individual", mobile="13900000004", gender="女", birth_date="1990-01-05"),
        row(
            "N05",
            "王五",
            id_number=IDS[1],
            annual_income="360000.5",
            risk_tolerance="C3",
            a_rm_no=world.rm_b.employee_no,
        ),
        # awkward but valid: the existing path takes them
        row("N06", "赵六", mobile="+86 139 0000 0006", annual_income="1,234.50"),
        row("N07", "钱七", id_number=IDS[2], birth_date="1982/3/14"),
        row("N08", "孙八", mobile="13900000010", tags="代发、高净值"),
        row("N09", "周九公司", kind="对公", credit_code=CODES[1].lower()),
        # an update, a number of an anonymised archive, a conflict with a live archive
        row("E01", "老客户甲", mobile="13900000008", address="南京市"),
        row("E03", "老公司", kind="对公", credit_code=CODES[2]),
        row("N10", "冲突", mobile="13900000009"),
    ]
    off, on, plain = _both_ways(world, csv_bytes(rows))
    assert off["job"][0] == "done", off["job"]
    assert plain == 5  # N01–N05 went through INSERT … SELECT, the others through the existing path
    assert on == off


def test_a_file_with_errors_gives_the_same_report_and_writes_nothing(world):
    _existing(world)
    rows = [
        row("N01", "张伟明", id_number=IDS[0], a_rm_no=world.rm.employee_no),
        row("N02", "甲", id_number=_bad(IDS[1])),
        row("N03", "乙", mobile="13900000001", a_rm_no=world.lead.employee_no),
        row("N01", "重复", mobile="13900000002"),
        row("N04", "丙", mobile="+86 13900000005"),
        row("N05", "丁", mobile="13900000005"),
    ]
    before = _plain(Customer)
    off, on, plain = _both_ways(world, xlsx(rows), name="c.xlsx")
    assert off["job"][0] == "failed" and off["job"][7] == 4, off["job"]
    assert plain == 0 and on == off
    assert off["customers"] == before


_NO = st.sampled_from(["N01", "N02", "N03", "N04", "N05", "N06", "E01", "E02", "E03", ""])
_KIND = st.sampled_from(["", "个人", "个人", "对公", "零售户", "individual", "corporate", "集团", "alien"])
_NAME = st.sampled_from(["张伟", "欧阳明月", "单田芳", "Tom 李", "", "长" * 121])
_ID = st.sampled_from(["", "", IDS[0], IDS[1], IDS[2].lower(), IDS[3], _bad(IDS[0]), "12345"])
_MOBILE = st.sampled_from(["", "13900000001", "13900000002", "+86 139 0000 0003", "1390000", "13900000009"])
_CODE = st.sampled_from(["", "", CODES[0], CODES[1].lower(), CODES[2], _bad(CODES[0])])
_GENDER = st.sampled_from(["", "男", "女", "M", "X"])
_BIRTH = st.sampled_from(["", "", "1980-03-14", "1990/1/5", "1985-02-30", "2099-01-01"])
_AMOUNT = st.sampled_from(["", "", "360000", "360000.5", "1,234.50", "12.345", "-5"])
_RISK = st.sampled_from(["", "C3", "C9"])
_STAGE = st.sampled_from(["", "潜在", "活跃", "active", "nope"])
_SOURCE = st.sampled_from(["", "系统导入", "import", "bad"])
_OWNER = st.sampled_from(["", "rm", "rm_b", "lead", "NOPE"])
_UNIT = st.sampled_from(["", "T1", "H", "ZZ"])
_TAGS = st.sampled_from(["", "", "代发、高净值"])


@st.composite
def _files(draw):
    n = draw(st.integers(min_value=1, max_value=6))
    rows = []
    for _i in range(n):
        rows.append(
            {
                "customer_no": draw(_NO),
                "kind": draw(_KIND),
                "name": draw(_NAME),
                "id_number": draw(_ID),
                "mobile": draw(_MOBILE),
                "credit_code": draw(_CODE),
                "gender": draw(_GENDER),
                "birth_date": draw(_BIRTH),
                "annual_income": draw(_AMOUNT),
                "registered_capital": draw(_AMOUNT),
                "risk_tolerance": draw(_RISK),
                "stage": draw(_STAGE),
                "source": draw(_SOURCE),
                "a_rm_no": draw(_OWNER),
                "org_unit_code": draw(_UNIT),
                "tags": draw(_TAGS),
            }
        )
    return rows


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(table=_files(), as_xlsx=st.booleans())
def test_generated_files_give_the_same_database_and_report_both_ways(world, table, as_xlsx):
    sid = transaction.savepoint()
    try:
        _existing(world)
        people = {"rm": world.rm, "rm_b": world.rm_b, "lead": world.lead}
        rows = []
        for r in table:
            owner = people.get(r["a_rm_no"])
            r = {**r, "a_rm_no": owner.employee_no if owner else r["a_rm_no"]}
            no, name = r.pop("customer_no"), r.pop("name")
            rows.append(row(no, name, **r))
        content = xlsx(rows) if as_xlsx else csv_bytes(rows)
        off, on, plain = _both_ways(world, content, "c.xlsx" if as_xlsx else "c.csv")
        event(f"status {off['job'][0]}, plain rows: {'some' if plain else 'none'}")
        assert on == off
    finally:
        transaction.savepoint_rollback(sid)


def test_the_switch_off_never_stages(world, monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("staged with the fast path off")

    monkeypatch.setattr(import_sql.Screen, "stage", refuse)
    with override_settings(RMDESK_IMPORT_FAST_PATH=False):
        job = _run(world, csv_bytes([row("N01", "张伟明", mobile="13900000001")]))
    assert job.status == "done" and job.created_count == 1


@st.composite
def _clean_files(draw):
    """Files the existing path accepts (mostly): unique numbers and keys per row, every field in a
    valid form, plain or awkward, some rows updating an existing archive or meeting its keys."""
    n = draw(st.integers(min_value=1, max_value=8))
    rows = []
    for i in range(n):
        kind = draw(st.sampled_from(["", "个人", "individual", "对公", "零售户", "corporate"]))
        corporate = kind in ("对公", "corporate")
        id_number = draw(st.sampled_from(["", IDS[i]] if i < 3 and not corporate else [""]))
        mobiles = [f"1390001{i:04d}", f"+86 139 0001 {i:04d}", "13900000009"] + ([""] if id_number else [])
        rows.append(
            {
                "customer_no": draw(st.sampled_from([f"N{i:02d}", f"N{i:02d}", "E01" if i == 0 else f"N{i:02d}"])),
                "kind": kind,
                "name": draw(st.sampled_from(["张伟", "欧阳明月", "重庆火锅店", "Tom 李"])),
                "id_number": id_number,
                "mobile": draw(st.sampled_from(mobiles)),
                "credit_code": (CODES[i % 2] if i < 2 else draw(st.sampled_from(["", CODES[2]]))) if corporate else "",
                "gender": "" if id_number else draw(st.sampled_from(["", "男", "女"])),
                "birth_date": "" if id_number else draw(st.sampled_from(["", "1980-03-14", "1990/1/5"])),
                "annual_income": draw(st.sampled_from(["", "360000", "1,234.50", "0.5"])),
                "registered_capital": draw(st.sampled_from(["", "5000000"])),
                "risk_tolerance": draw(st.sampled_from(["", "C1", "C5"])),
                "stage": draw(st.sampled_from(["", "潜在", "活跃", "active"])),
                "source": draw(st.sampled_from(["", "系统导入", "referral"])),
                "a_rm_no": draw(st.sampled_from(["", "rm", "rm_b"])),
                "org_unit_code": draw(st.sampled_from(["", "T1"])),
                "tags": draw(st.sampled_from(["", "", "", "代发"])),
            }
        )
    return rows


@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(table=_clean_files())
def test_generated_clean_files_give_the_same_archives_both_ways(world, table):
    sid = transaction.savepoint()
    try:
        _existing(world)
        people = {"rm": world.rm, "rm_b": world.rm_b}
        rows = []
        for r in table:
            owner = people.get(r["a_rm_no"])
            r = {**r, "a_rm_no": owner.employee_no if owner else r["a_rm_no"]}
            no, name = r.pop("customer_no"), r.pop("name")
            rows.append(row(no, name, **r))
        off, on, plain = _both_ways(world, csv_bytes(rows))
        event(f"status {off['job'][0]}, plain rows: {'some' if plain else 'none'}")
        assert on == off
    finally:
        transaction.savepoint_rollback(sid)


def test_a_key_taken_between_the_screen_and_the_write_gives_the_existing_paths_conflict(world, monkeypatch):
    """Another writer creates an archive with a plain row's mobile after the validation: the write
    notices, the file goes through the existing path, and the row opens a conflict as it would."""
    real = importer._write_claimed

    def late_writer(job, actor, plan):
        Customer.objects.create(
            customer_no="LATE1", name="后来者", mobile="13900000002", org_unit=world.t1, org_path=world.t1.path
        )
        return real(job, actor, plan)

    monkeypatch.setattr(importer, "_write_claimed", late_writer)
    rows = [
        row("N01", "张伟明", mobile="13900000001", a_rm_no=world.rm.employee_no),
        row("N02", "李小红", mobile="13900000002", a_rm_no=world.rm.employee_no),
    ]
    off, on, plain = _both_ways(world, csv_bytes(rows))
    assert off["job"][0] == "done" and off["job"][6] == 1, off["job"]  # one conflict
    assert plain == 0 and on == off
