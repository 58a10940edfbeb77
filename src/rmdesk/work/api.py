"""API of the work app (SPEC §3, §12): notifications, cadence, schedules, appointments, interactions,
journals, tasks. Every list and detail goes through the scope functions of rmdesk.work.scope."""
from datetime import datetime

from ninja import Router, Schema

from . import notifications as notif
from .models import Notification

router = Router(tags=["work"])


class NotificationOut(Schema):
    id: int
    kind: str
    title: str
    body: str
    url: str
    object_type: str
    object_id: str
    created_at: datetime
    due_at: datetime | None
    read_at: datetime | None


class ReadIn(Schema):
    ids: list[int] | None = None


class CountOut(Schema):
    count: int


@router.get("/notifications", response=list[NotificationOut], summary="我的消息")
def list_notifications(request, unread: bool = False, limit: int = 100, offset: int = 0):
    qs = Notification.objects.filter(recipient=request.user)
    if unread:
        qs = qs.filter(read_at__isnull=True)
    return list(qs[offset: offset + min(limit, 500)])


@router.get("/notifications/unread-count", response=CountOut, summary="未读消息数")
def notifications_unread_count(request):
    return {"count": notif.unread_count(request.user)}


@router.post("/notifications/read", response=CountOut, summary="标为已读（不传 ids 即全部）")
def notifications_mark_read(request, payload: ReadIn):
    return {"count": notif.mark_read(request.user, payload.ids)}
