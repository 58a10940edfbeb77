"""The work app's items in a person's private iCal feed (rmdesk.core.ical, SPEC §3): their own planned
appointments, their visit schedule's days and their open tasks with a due date. Without the feed's
"show customer names" choice the items say what they are and link to the product, and carry no customer
name, subject or place (the calendar may be synchronised to a phone vendor's cloud)."""

from datetime import datetime, time

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _, override

from rmdesk.core.ical import FeedItem

from .models import Appointment, AppointmentStatus, ScheduleItem, Task, TaskStatus


def work_items(user, start, end, show_names: bool):
    tz = timezone.get_current_timezone()
    with override("zh-hans"):
        appointments = (
            Appointment.objects.filter(
                owner=user,
                status=AppointmentStatus.PLANNED,
                start_at__gte=datetime.combine(start, time.min, tz),
                start_at__lt=datetime.combine(end, time.max, tz),
            )
            .select_related("customer")
            .order_by("start_at")
        )
        for a in appointments:
            yield FeedItem(
                uid=f"work-appointment-{a.pk}",
                summary=(f"{a.subject}（{a.customer.name}）" if a.customer_id else a.subject)
                if show_names
                else _("客户预约"),
                start=a.start_at,
                end=a.end_at,
                location=a.place if show_names else "",
                url=reverse("work:appointment_detail", args=[a.pk]),
            )
        items = (
            ScheduleItem.objects.filter(schedule__owner=user, day__range=(start, end))
            .select_related("customer", "schedule")
            .order_by("day", "pk")
        )
        for i in items:
            yield FeedItem(
                uid=f"work-schedule-item-{i.pk}",
                summary=_("拜访：%(name)s") % {"name": i.customer.name} if show_names else _("访问日程：客户拜访"),
                start=i.day,
                description=i.note if show_names else "",
                url=reverse("work:schedule_detail", args=[i.schedule_id]),
            )
        tasks = Task.objects.filter(owner=user, status=TaskStatus.OPEN, due_on__range=(start, end)).order_by("due_on")
        for t in tasks:
            yield FeedItem(
                uid=f"work-task-{t.pk}",
                summary=_("待办：%(title)s") % {"title": t.title} if show_names else _("待办事项到期"),
                start=t.due_on,
                url=reverse("work:tasks"),
            )
