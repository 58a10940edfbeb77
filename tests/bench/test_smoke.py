"""Smoke test of the benchmark harness (issue #4): the generator fills a tiny dataset on the test
database with the documented skew, the measured items produce figures next to their raw-SQL floor,
and the report renders. No timing thresholds: figures must exist, not be fast."""

import pytest
from django.db.models import Count

from bench import items, report
from bench.generate import Dataset, initials, resident_id
from bench.sizes import get_size
from bench.timing import Stats, percentile

pytestmark = pytest.mark.django_db


@pytest.fixture
def dataset(db):
    return Dataset(get_size("tiny"), seed=1, log=lambda *_: None).run()


def test_percentiles_are_nearest_rank():
    values = sorted(float(i) for i in range(1, 101))
    assert percentile(values, 50) == 50.0
    assert percentile(values, 95) == 95.0
    s = Stats.of([3.0, 1.0, 2.0])
    assert (s.n, s.p50, s.p95, s.max) == (3, 2.0, 3.0, 3.0)


def test_generated_ids_and_initials_are_valid():
    import random
    from datetime import date

    idn = resident_id(random.Random(3), date(1980, 5, 17))
    weights = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
    assert len(idn) == 18 and idn[6:14] == "19800517"
    assert idn[17] == "10X98765432"[sum(int(c) * w for c, w in zip(idn[:17], weights, strict=True)) % 11]
    assert initials("王建国") == "wjg"


def test_generator_fills_a_consistent_skewed_dataset(dataset):
    from rmdesk.customers.models import Customer, Holding
    from rmdesk.org.models import OrgUnit, RoleCode, UnitKind, User
    from rmdesk.work.models import ContactStatus, Interaction

    size = get_size("tiny")
    assert Customer.objects.count() == size.customers
    assert User.objects.filter(roles__code=RoleCode.RM).count() == size.rms
    # every customer sits in its A-post RM's team and in that team's org path
    for c in Customer.objects.select_related("a_rm__team")[:50]:
        assert c.org_path == c.a_rm.team.path and c.org_unit_id == c.a_rm.team_id
        assert c.name_initials and c.mobile_tail == c.mobile[-4:]
    # the tree is a valid treebeard tree (children found by path) with teams under units
    hq = OrgUnit.get_root_nodes().get()
    assert hq.get_descendants().filter(kind=UnitKind.TEAM).count() >= 1
    assert OrgUnit.find_problems() == ([], [], [], [], [])
    # books differ in size (skew) and tiers come from the active rule set
    books = list(Customer.objects.values("a_rm").annotate(n=Count("id")).values_list("n", flat=True))
    assert max(books) > min(books)
    assert Customer.objects.filter(tier__isnull=True).count() == 0
    assert Holding.objects.count() > size.customers
    assert Interaction.objects.count() > size.customers
    assert ContactStatus.objects.count() == size.customers


def test_items_produce_figures_against_the_raw_floor(dataset):
    ctx = items.Context(reps=2, smoke=True, log=lambda *_: None)
    figs = items.item_1(ctx) + items.item_2(ctx) + items.item_4(ctx) + items.item_5(ctx)
    errors = [(f.name, f.channel, f.error) for f in figs if f.status == "error"]
    assert not errors
    orm = [f for f in figs if f.channel == "ORM" and f.item in ("1", "2")]
    assert len(orm) >= 5
    for f in orm:
        assert f.stats.n >= 2 and f.stats.p50 > 0 and f.raw.p50 > 0 and f.ratio > 0
    cadence = [f for f in figs if f.item == "5"]
    assert cadence[0].value is not None and cadence[1].stats is not None


def test_report_renders_a_section_per_run(dataset, tmp_path):
    ctx = items.Context(reps=2, smoke=True, log=lambda *_: None)
    figs = items.item_2(ctx)
    run = {
        "date": "2026-01-01 00:00 CST",
        "smoke": True,
        "reps": 2,
        "machine": report.machine_info({"engine": "TestDB", "version": "1"}),
        "dataset": {
            "size": "tiny",
            "scale": 1.0,
            "key": "tiny",
            "label": "tiny",
            "counts": {"customers": 400},
            "generated": {},
        },
        "figures": [f.as_dict() for f in figs],
    }
    out = tmp_path / "bench.md"
    report.write(run, out)
    report.write({**run, "dataset": {**run["dataset"], "key": "other"}}, out)
    text = out.read_text()
    assert text.count("<!-- bench:run testdb/tiny -->") == 1 and "<!-- bench:run testdb/other -->" in text
    assert "search by Chinese name prefix" in text and "| 2 |" in text
