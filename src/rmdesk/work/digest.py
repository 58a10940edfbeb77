"""Daily digest e-mail (SPEC §3): each user's due items in one message through Django's e-mail
backend (file or console in the embedded default, SMTP when configured)."""

from datetime import date, datetime, time, timedelta

from django.core.mail import send_mail
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext as _

from rmdesk.core.channels import from_address, mail_connection
from rmdesk.core.notifications import unread_for
from rmdesk.org.models import User

from .models import (
    Appointment,
    AppointmentStatus,
    ContactStatus,
    ContactStatusCode,
    Journal,
    JournalStatus,
    Task,
    TaskStatus,
)
from .scope import PENDING_JOURNAL, supervised_journals


def digest_for(user, today: date | None = None) -> dict:
    """The user's due items today: contacts due/overdue (as A-post RM), today's appointments, tasks
    due, own journals due within 3 days or overdue, journals waiting for the user's review, overdue
    submissions of the people they supervise, and unread notifications."""
    today = today or timezone.localdate()
    tz = timezone.get_current_timezone()
    start = datetime.combine(today, time.min, tz)
    contacts = (
        ContactStatus.objects.filter(a_rm=user, status__in=[ContactStatusCode.DUE, ContactStatusCode.OVERDUE])
        .select_related("customer")
        .order_by("next_due_on")
    )
    data = {
        "contacts": list(contacts[:20]),
        "contacts_total": contacts.count(),
        "appointments": list(
            Appointment.objects.filter(
                owner=user,
                status=AppointmentStatus.PLANNED,
                start_at__gte=start,
                start_at__lt=start + timedelta(days=1),
            )
            .select_related("customer")
            .order_by("start_at")
        ),
        "tasks": list(Task.objects.filter(owner=user, status=TaskStatus.OPEN, due_on__lte=today).order_by("due_on")),
        "journals": list(
            Journal.objects.filter(owner=user, status__in=PENDING_JOURNAL, due_on__lte=today + timedelta(days=3))
            .select_related("template")
            .order_by("due_on")
        ),
        "reviews": list(
            supervised_journals(user)
            .filter(status=JournalStatus.SUBMITTED)
            .select_related("owner", "template")
            .order_by("submitted_at")
        ),
        "late_submissions": list(
            supervised_journals(user)
            .filter(status__in=PENDING_JOURNAL, due_on__lt=today)
            .select_related("owner", "template")
            .order_by("due_on")
        ),
        "notifications": list(unread_for(user).order_by("-created_at")[:30]),
    }
    data["empty"] = not any(
        data[k]
        for k in ("contacts", "appointments", "tasks", "journals", "reviews", "late_submissions", "notifications")
    )
    return data


def send_digest(user, today: date | None = None) -> bool:
    """Send one user their digest (SPEC §3 daily digest by e-mail). Every user with an address gets one,
    also on a day with nothing due (it then says so), so a missing mail means a broken job, not a
    quiet day."""
    today = today or timezone.localdate()
    if not user.email:
        return False
    data = digest_for(user, today)
    ctx = {"user": user, "today": today, **data}
    subject = _("【客户经理工作台】%(d)s 工作提醒") % {"d": today.isoformat()}
    body = render_to_string("work/digest.txt", ctx)
    html = render_to_string("work/digest.html", ctx)
    send_mail(subject, body, from_address(), [user.email], html_message=html, connection=mail_connection())
    ids = [n.pk for n in data["notifications"]]
    if ids:
        unread_for(user).filter(pk__in=ids).update(emailed_at=timezone.now())
    return True


def send_digests(today: date | None = None) -> int:
    """Send every active user with an e-mail address their digest (one each); returns how many were sent."""
    sent = 0
    for user in User.objects.filter(is_active=True).exclude(email="").order_by("pk"):
        sent += send_digest(user, today)
    return sent
