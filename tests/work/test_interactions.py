"""Interaction records (服务日志/拜访记录): rules, follow-ups, archive feed, cadence reset (SPEC §3)."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.http import Http404
from django.utils import timezone

from rmdesk.core.models import AuditEvent
from rmdesk.work import services
from rmdesk.work.models import Appointment, ContactStatus, Interaction, Task

pytestmark = pytest.mark.django_db


def _now():
    return timezone.localtime().replace(second=0, microsecond=0) - timedelta(minutes=5)


def test_door_to_door_needs_two_staff(world, make_customer, approved_visit):
    c = make_customer(world.rm)
    approved_visit(c)  # the branch manager's advance approval (SPEC §8; tested in tests/compliance)
    with pytest.raises(ValidationError) as exc:
        services.record_interaction(world.rm, c.pk, kind="visit", occurred_at=_now(), purpose="上门拜访")
    assert "companions" in exc.value.message_dict
    assert not Interaction.objects.exists()
    # a special visit on site is door-to-door too when marked so
    with pytest.raises(ValidationError):
        services.record_interaction(
            world.rm, c.pk, kind="special", door_to_door=True, occurred_at=_now(), purpose="客户家中突发情况"
        )
    # the RM himself does not count twice
    with pytest.raises(ValidationError):
        services.record_interaction(
            world.rm, c.pk, kind="visit", occurred_at=_now(), purpose="上门", companions=[world.rm]
        )
    inter = services.record_interaction(
        world.rm, c.pk, kind="visit", occurred_at=_now(), purpose="上门拜访", companions=[world.rm_b]
    )
    assert inter.door_to_door and list(inter.companions.all()) == [world.rm_b]
    # a phone call needs no companion
    services.record_interaction(world.rm, c.pk, kind="phone", occurred_at=_now(), purpose="电话回访")


def test_companion_outside_scope_is_refused(world, make_customer):
    c = make_customer(world.rm)
    with pytest.raises(ValidationError) as exc:
        services.record_interaction(
            world.rm, c.pk, kind="visit", occurred_at=_now(), purpose="上门", companions=[world.rm2]
        )
    assert "companions" in exc.value.message_dict


def test_field_rules(world, make_customer):
    c = make_customer(world.rm)
    with pytest.raises(ValidationError) as exc:
        services.record_interaction(
            world.rm,
            c.pk,
            kind="phone",
            occurred_at=timezone.now() + timedelta(hours=2),
            purpose="",
            confirmed_by_name="张三",
            minutes_spent=5000,
        )
    assert {"occurred_at", "purpose", "confirmed_at", "minutes_spent"} <= set(exc.value.message_dict)


def test_out_of_scope_customer_is_404(world, make_customer):
    other = make_customer(world.rm2)
    with pytest.raises(Http404):
        services.record_interaction(world.rm, other.pk, kind="phone", occurred_at=_now(), purpose="x")
    # read-only roles may not record either
    mine = make_customer(world.rm)
    with pytest.raises(Http404):
        services.record_interaction(world.risk, mine.pk, kind="phone", occurred_at=_now(), purpose="x")


def test_next_step_creates_follow_up_and_needs_feed_archive(world, make_customer):
    from rmdesk.customers.models import Need

    c = make_customer(world.rm)
    when = timezone.localtime() + timedelta(days=3)
    inter = services.record_interaction(
        world.rm,
        c.pk,
        kind="phone",
        occurred_at=_now(),
        purpose="理财到期沟通",
        needs_found="子女教育金规划\n养老储备",
        products_recommended="年金保险",
        next_step="面谈教育金方案",
        next_step_kind="appointment",
        next_step_at=when,
        confirmed_by_name="客户本人",
        confirmed_at=timezone.now(),
        minutes_spent=20,
        attachments=[SimpleUploadedFile("签到照片.jpg", b"\xff\xd8data", content_type="image/jpeg")],
    )
    appt = Appointment.objects.get(source_interaction=inter)
    assert appt.owner == world.rm and appt.customer == c and appt.subject == "面谈教育金方案"
    assert sorted(Need.objects.filter(customer=c).values_list("text", flat=True)) == ["养老储备", "子女教育金规划"]
    assert inter.attachments.get().name == "签到照片.jpg"
    inter2 = services.record_interaction(
        world.rm,
        c.pk,
        kind="wechat",
        occurred_at=_now(),
        purpose="跟进",
        next_step="寄送产品资料",
        next_step_kind="task",
    )
    task = Task.objects.get(source_interaction=inter2)
    assert task.owner == world.rm and task.due_on > timezone.localdate() - timedelta(days=1)
    assert AuditEvent.objects.filter(action="work.interaction_recorded").count() == 2


def test_recording_against_an_appointment_completes_it(world, make_customer, approved_visit):
    c = make_customer(world.rm)
    approved_visit(c)
    appt = services.create_appointment(world.rm, c.pk, subject="上门签约", start_at=timezone.now() + timedelta(hours=2))
    services.record_interaction(
        world.rm,
        c.pk,
        kind="visit",
        occurred_at=_now(),
        purpose="签约",
        companions=[world.rm_b],
        appointment_id=appt.pk,
    )
    appt.refresh_from_db()
    assert appt.status == "done"
    assert ContactStatus.objects.filter(customer=c).exists()


def test_interaction_pages(client, world, make_customer, approved_visit):
    c = make_customer(world.rm)
    approved_visit(c)
    client.force_login(world.rm)
    assert client.get(f"/work/interactions/new/?customer={c.pk}").status_code == 200
    resp = client.post(
        "/work/interactions/new/",
        {
            "customer": c.pk,
            "kind": "visit",
            "occurred_at": _now().strftime("%Y-%m-%dT%H:%M"),
            "purpose": "上门拜访",
            "next_step_kind": "none",
        },
    )
    assert resp.status_code == 200
    assert "上门服务须有两名员工在场" in resp.content.decode()
    resp = client.post(
        "/work/interactions/new/",
        {
            "customer": c.pk,
            "kind": "visit",
            "occurred_at": _now().strftime("%Y-%m-%dT%H:%M"),
            "purpose": "上门拜访",
            "companions": [world.rm_b.pk],
            "next_step_kind": "none",
        },
    )
    assert resp.status_code == 302
    Interaction.objects.get()  # exactly one was recorded
    page = client.get(resp["Location"]).content.decode()
    assert "上门拜访" in page and "rm_b" in page
    assert client.get(f"/work/interactions/?customer={c.pk}").status_code == 200
