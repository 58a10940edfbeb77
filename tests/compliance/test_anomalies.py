"""The anomaly report (SPEC §8) on hand-made audit events: a normal day gives no finding; each rule
gives exactly the finding it should, with thresholds read from the database; findings are cases
compliance closes with a note."""

from datetime import date, datetime, time, timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from rmdesk.compliance import anomalies, services
from rmdesk.compliance.models import Finding, FindingStatus, Threshold
from rmdesk.org.models import RoleCode, StaffStatus
from tests.conftest import make_user

from .conftest import event

pytestmark = pytest.mark.django_db

DAY = date(2026, 11, 18)  # a Wednesday


def at(hour, minute=0, day=DAY):
    return datetime.combine(day, time(hour, minute), timezone.get_current_timezone())


@pytest.fixture
def book(world, make_customer, seeded):
    """rm's own ten customers, forty customers of the team booked to rm_b, and four of a departed RM."""
    gone = make_user("gone", [RoleCode.RM], world.o1, world.t1, status=StaffStatus.LEFT)
    return {
        "own": [make_customer(world.rm, world.t1) for _ in range(10)],
        "team": [make_customer(world.rm_b, world.t1) for _ in range(40)],
        "departed": [make_customer(gone, world.t1) for _ in range(4)],
    }


def normal_day(world, book):
    """What a normal day looks like: many views of one's own book in working hours, one export, a
    reveal followed by a contact, a team lead looking at some of the team's customers."""
    for i, c in enumerate(book["own"] * 4):
        event(world.rm, "customers.view", at(9 + i % 8, i % 60), about=c, channel="ui")
    event(world.rm, "customers.export", at(10), object_type="customers.customer", after={"rows": 10})
    reveal_day = DAY - timedelta(days=3)
    event(world.rm, "customers.reveal", at(11, day=reveal_day), about=book["own"][0], field="mobile", reason="核实")
    event(
        world.rm,
        "work.interaction_recorded",
        at(15, day=reveal_day + timedelta(days=1)),
        object_type="work.interaction",
        object_id="1",
        after={"customer": book["own"][0].pk},
    )
    for c in book["team"][:12]:
        event(world.lead, "customers.view", at(14), about=c, channel="ui")
    event(world.lead, "customers.view", at(15), about=book["departed"][0], channel="ui")


def found(day=DAY):
    return sorted((f.rule, f.person.username, f.count, f.key) for f in anomalies.detect(day))


def test_no_finding_on_a_normal_day(world, book):
    normal_day(world, book)
    assert found() == []
    assert not Finding.objects.exists()


def test_out_of_book_views(world, book):
    normal_day(world, book)
    for c in book["team"][12:30]:  # 12 + 18 = 30 distinct customers outside the lead's own book
        event(world.lead, "customers.view", at(16), about=c, channel="ui")
    event(world.lead, "customers.view", at(16), about=book["team"][0], channel="api")  # repeat: counted once
    assert found() == [("out_of_book", "lead", 31, "")]  # 30 of rm_b's and one of the departed RM's
    Threshold.objects.filter(code="out_of_book_views").update(value=Decimal("40"))
    Finding.objects.all().delete()
    assert found() == []


def test_exports_many_or_bulk(world, book):
    normal_day(world, book)
    event(world.rm, "customers.export", at(11), object_type="customers.customer", after={"rows": 20})
    event(world.rm, "customers.personal_data_export", at(12), about=book["own"][1])
    big = event(world.assistant, "customers.export", at(13), object_type="customers.customer", after={"rows": 1500})
    assert found() == [("exports", "assistant", 1500, f"bulk:{big.pk}"), ("exports", "rm", 3, "count")]


def test_reveal_without_a_following_contact(world, book):
    normal_day(world, book)
    reveal_day = DAY - timedelta(days=3)
    c = book["own"][2]
    event(world.rm, "customers.reveal", at(10, day=reveal_day), about=c, field="id_number", reason="开户核实")
    # a contact by someone else, or before the reveal, does not follow it up
    event(
        world.rm_b,
        "work.interaction_recorded",
        at(16, day=reveal_day),
        object_type="work.interaction",
        object_id="2",
        after={"customer": c.pk},
    )
    event(
        world.rm,
        "work.interaction_recorded",
        at(9, day=reveal_day),
        object_type="work.interaction",
        object_id="3",
        after={"customer": c.pk},
    )
    result = anomalies.detect(DAY)
    assert [(f.rule, f.person.username, f.day, f.key) for f in result] == [
        ("reveal_no_contact", "rm", reveal_day, f"customer:{c.pk}")
    ]
    assert anomalies.detect(DAY) == []  # the same day again adds nothing


def test_activity_outside_working_hours(world, book):
    normal_day(world, book)
    for minute in (0, 10):
        event(world.rm, "customers.view", at(22, minute), about=book["own"][3], channel="ui")
    assert found() == []  # two: below the threshold of three
    event(
        world.rm,
        "customers.document_download",
        at(23, 5),
        object_type="customers.document",
        object_id="7",
        customer=book["own"][3].pk,
    )
    assert found() == [("off_hours", "rm", 3, "")]
    saturday = date(2026, 11, 21)
    for c in book["own"][:3]:
        event(world.rm, "customers.view", at(10, day=saturday), about=c, channel="ui")
    assert found(saturday) == [("off_hours", "rm", 3, "")]


def test_views_of_a_departed_rms_customers(world, book):
    normal_day(world, book)
    for c in book["departed"][1:3]:  # with the normal day's one: three distinct customers
        event(world.lead, "customers.view", at(16), about=c, channel="ui")
    assert found() == [("departed", "lead", 3, "")]


def test_findings_reach_compliance_and_are_closed_with_a_note(world, book, django_capture_on_commit_callbacks):
    from rmdesk.core.models import Notification

    for c in book["departed"][:3]:
        event(world.lead, "customers.view", at(16), about=c, channel="ui")
    with django_capture_on_commit_callbacks(execute=True):
        made = services.detect_anomalies(day=DAY)
    assert len(made) == 1
    assert Notification.objects.get(kind="compliance.anomaly").recipient == world.compliance
    f = made[0]
    with pytest.raises(ValidationError):
        services.close_finding(world.compliance, f.pk, note="", version=f.version)
    f = services.close_finding(world.compliance, f.pk, note="系工作交接所需，已核实", version=f.version)
    assert f.status == FindingStatus.CLOSED and f.closed_by == world.compliance
