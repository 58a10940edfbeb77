"""Notification centre core (工作提醒与消息中心, SPEC §3): every app calls `notify()`.

    from rmdesk.core.notifications import notify
    notify(rm, "service.sla", "工单即将超时", url=..., obj=ticket, due_at=..., dedupe_key=f"sla:{ticket.pk}")

Unread notifications are counted in the header; the centre page (`work:notifications`) lists them
and marks them read; the daily digest e-mail (rmdesk.work.digest) summarises them.
"""

from django.db import connections, router, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from . import hooks
from .models import Notification

# What the centre calls each kind. Kinds are plain strings; each app registers the labels of its own
# kinds (`register_kind`) and of its prefix, so unknown ones fall back to their app ("service.xxx"
# -> 客户服务) and then to 消息.
_KIND_LABELS: dict[str, object] = {
    "approval.pending": _("待审批"),
    "approval.decided": _("审批结果"),
    "approval.returned": _("退回修改"),
}
_PREFIX_LABELS: dict[str, object] = {"approval": _("审批"), "core": _("系统")}
_KIND_LABELS.update({"core.channel_failing": _("消息渠道发送失败"), "core.test": _("测试消息")})


def register_kind(kind: str, label) -> None:
    """Name one notification kind ."""
    _KIND_LABELS[kind] = label


def register_prefix(prefix: str, label) -> None:
    _PREFIX_LABELS[prefix] = label


def known_kinds() -> dict:
    """Every registered kind and app prefix with its label (the choices of channels and opt-outs)."""
    return {**_PREFIX_LABELS, **_KIND_LABELS}


def kind_label(kind: str):
    """The kind as people read it in the centre, e.g. 产品到期 for "maturity"."""
    label = _KIND_LABELS.get(kind)
    if label is None:
        label = _PREFIX_LABELS.get(kind.split(".", 1)[0], _("消息"))
    return label


def notify_after_commit(recipient, kind: str, title: str, **kwargs) -> None:
    """`notify()` once the current transaction commits: a rolled-back action tells nobody."""
    transaction.on_commit(lambda: notify(recipient, kind, title, **kwargs))


def notify(
    recipient, kind: str, title: str, *, body: str = "", url: str = "", obj=None, due_at=None, dedupe_key: str = ""
) -> Notification:
    """Create a notification for `recipient`; with `dedupe_key`, an unread one with the same key is
    returned instead of creating a second one (SPEC §3 reminders must not pile up). Every
    notification links to what it is about: `url` is required (a programming error otherwise)."""
    if not url:
        raise ValueError(f"notify({kind!r}): every notification links to its object; pass url=")
    object_type, object_id = "", ""
    if obj is not None:
        object_type, object_id = obj._meta.label_lower, str(obj.pk)
    with transaction.atomic():
        if dedupe_key:
            existing = (
                Notification.objects.select_for_update()
                .filter(recipient=recipient, dedupe_key=dedupe_key, read_at__isnull=True)
                .first()
            )
            if existing is not None:
                return existing
        notification = Notification.objects.create(
            recipient=recipient,
            kind=kind,
            title=str(title)[:200],
            body=str(body),
            url=url,
            object_type=object_type,
            object_id=object_id,
            due_at=due_at,
            dedupe_key=dedupe_key,
        )
        # channels (WeCom, DingTalk, e-mail) once the creating transaction commits (rmdesk.core.channels)
        transaction.on_commit(lambda: _deliver_to_channels(notification))
        return notification


def _deliver_to_channels(notification) -> None:
    from .channels import on_notified

    try:
        on_notified(notification)
    except Exception:  # a channel problem never fails the business action that notified
        import logging

        logging.getLogger(__name__).exception("planning the channel deliveries of notification %s", notification.pk)


def unread_for(user):
    return Notification.objects.filter(recipient=user, read_at__isnull=True)


_UNREAD_SQL: dict = {}  # database vendor -> the unread notifications' SELECT (the same for everyone)


def unread_fact(user):
    """`unread_for(user)` as a shell fact (hooks.ShellFact), compiled once per process: only the person's id
    changes between people (issue 18)."""
    if getattr(user, "pk", None) is None:
        return None
    vendor = connections[router.db_for_read(Notification) or "default"].vendor
    sql = _UNREAD_SQL.get(vendor)
    if sql is None:
        probe = unread_for(user).order_by().values("pk")
        sql, params = probe.query.get_compiler(using=probe.db).as_sql()
        if list(params) != [user.pk]:  # the filter changed shape: compile per call rather than guess
            return hooks.FactSQL(Notification, sql, tuple(params))
        _UNREAD_SQL[vendor] = sql
    return hooks.FactSQL(Notification, sql, (user.pk,))


def unread_count(user) -> int:
    """The user's unread notifications (the header's badge): from the shell's one query of facts while the shell
    is drawn (rmdesk.core.hooks.fact, issue 18), otherwise counted here."""
    count = hooks.fact(user, "notifications.unread")
    return unread_for(user).count() if count is None else count


def mark_read(user, ids=None) -> int:
    """Mark the user's notifications read (all unread ones when `ids` is None); returns how many."""
    qs = unread_for(user)
    if ids is not None:
        qs = qs.filter(pk__in=list(ids))
    return qs.update(read_at=timezone.now())
