"""Notices where staff already are (SPEC §3; docs/decisions.md 41): e-mail, WeCom group bots and DingTalk
custom robots behind the notification centre.

`notify()` creates the notification; once its transaction commits, `plan()` creates one delivery per
matching channel (its unit's subtree holds the recipient, it takes the kind, the person has not opted out
of a non-urgent kind) and the task `deliver_notification` sends them. A delivery inside the person's quiet
hours waits until they end, unless the kind is urgent. Failures are retried with back-off by the periodic
job (`manage.py run_notices`, every minute); a channel that keeps failing is reported to the administrators.

At most once, never twice: a delivery is claimed (PENDING → SENDING) by a committed conditional update
before anything is sent, so two workers cannot both send it; one whose worker died mid-send stays
unresolved: the sweep marks it UNCERTAIN (the remote may or may not have posted it) and an administrator
may resend it by hand from the delivery log.

No customer data leaves by default: a bot message names the kind and links to the product; the title
(which may name a customer) is sent only when the channel is configured to.
"""

import base64
import hashlib
import hmac
import json
import logging
import time
import urllib.error
import urllib.parse
import urllib.request
from datetime import datetime, timedelta

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _, override

from .models import ChannelKind, DeliveryStatus, NoticeChannel, NoticeDelivery, NoticePreference, NoticeSettings

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 5
BACKOFF_MINUTES = (1, 2, 4, 8, 16)  # after the 1st, 2nd... failed attempt
SENDING_TIMEOUT = timedelta(minutes=5)  # a SENDING delivery older than this lost its worker
FAILING_AFTER = 3  # consecutive failed attempts before the administrators are told
HTTP_TIMEOUT = 10  # seconds
CHANNEL_FAILING_KIND = "core.channel_failing"
TEST_KIND = "core.test"

# Kinds that ignore opt-outs and quiet hours (a decision is waiting, a deadline is breached...).
_URGENT: set[str] = {"approval.pending", CHANNEL_FAILING_KIND}


def register_urgent(kind: str) -> None:
    """Mark a kind urgent: delivered whatever the person's opt-outs and quiet hours."""
    _URGENT.add(kind)


def is_urgent(kind: str) -> bool:
    return kind in _URGENT


def site_settings() -> NoticeSettings:
    return NoticeSettings.objects.get_or_create(pk=1)[0]


def mail_connection(cfg: NoticeSettings | None = None):
    """The organisation's SMTP server when configured on the settings page, else the deployment's backend."""
    cfg = cfg or site_settings()
    if not cfg.smtp_enabled or not cfg.smtp_host:
        return get_connection()
    return get_connection(
        "django.core.mail.backends.smtp.EmailBackend",
        host=cfg.smtp_host,
        port=cfg.smtp_port,
        username=cfg.smtp_username or None,
        password=cfg.smtp_password or None,
        use_tls=cfg.smtp_security == "starttls",
        use_ssl=cfg.smtp_security == "ssl",
        timeout=HTTP_TIMEOUT,
    )


def from_address(cfg: NoticeSettings | None = None) -> str:
    cfg = cfg or site_settings()
    return (cfg.smtp_enabled and cfg.from_address) or settings.DEFAULT_FROM_EMAIL


# --- which channels a notification goes to ---------------------------------------------------------------


def _takes_kind(channel: NoticeChannel, kind: str) -> bool:
    return not channel.kinds or kind in channel.kinds or kind.split(".", 1)[0] in channel.kinds


def _covers(channel: NoticeChannel, recipient) -> bool:
    if not channel.unit_path:
        return True
    unit = getattr(recipient, "unit", None)
    return unit is not None and unit.path.startswith(channel.unit_path)


def _quiet_end(pref: NoticePreference | None, now: datetime) -> datetime | None:
    """When the person's quiet hours containing `now` end, or None when `now` is not in them."""
    if pref is None or pref.quiet_from is None or pref.quiet_until is None or pref.quiet_from == pref.quiet_until:
        return None
    local = timezone.localtime(now)
    t = local.time()
    start, end = pref.quiet_from, pref.quiet_until
    inside = (start <= t < end) if start < end else (t >= start or t < end)
    if not inside:
        return None
    end_at = local.replace(hour=end.hour, minute=end.minute, second=0, microsecond=0)
    return end_at if end_at > local else end_at + timedelta(days=1)


def plan(notification, now: datetime | None = None) -> list[NoticeDelivery]:
    """Create the deliveries of one notification (idempotent: one per channel at most)."""
    now = now or timezone.now()
    channels = [c for c in NoticeChannel.objects.filter(enabled=True) if _takes_kind(c, notification.kind)]
    if not channels:
        return []
    recipient = notification.recipient
    pref = NoticePreference.objects.filter(user=recipient).first()
    urgent = is_urgent(notification.kind)
    if (
        not urgent
        and pref is not None
        and (notification.kind in pref.opted_out or notification.kind.split(".", 1)[0] in pref.opted_out)
    ):
        return []
    due = now if urgent else (_quiet_end(pref, now) or now)
    rows = [
        NoticeDelivery(notification=notification, channel=c, next_attempt_at=due)
        for c in channels
        if _covers(c, recipient)
        and not (c.kind == ChannelKind.EMAIL and not recipient.email)
        and not (c.kind != ChannelKind.EMAIL and notification.kind == CHANNEL_FAILING_KIND)
    ]
    NoticeDelivery.objects.bulk_create(rows, ignore_conflicts=True)
    return list(NoticeDelivery.objects.filter(notification=notification, status=DeliveryStatus.PENDING))


_enabled_seen = {"at": float("-inf"), "any": False}


def any_channel_enabled() -> bool:
    """Whether any channel is on, remembered for RMDESK_CHANNEL_CACHE_SECONDS so that notifying many people
    costs no query per notification when no channel is configured (the embedded default)."""
    ttl = getattr(settings, "RMDESK_CHANNEL_CACHE_SECONDS", 30)
    now = time.monotonic()
    if now - _enabled_seen["at"] >= ttl:
        _enabled_seen.update(at=now, any=NoticeChannel.objects.filter(enabled=True).exists())
    return _enabled_seen["any"]


def forget_enabled() -> None:
    _enabled_seen["at"] = float("-inf")


def on_notified(notification) -> None:
    """Called by notify() on commit: plan the deliveries and hand the sending to a background task."""
    if not any_channel_enabled():
        return
    if plan(notification):
        from .tasks import deliver_notification

        deliver_notification.enqueue(notification.pk)


# --- what is sent ---------------------------------------------------------------------------------------


def message_text(delivery: NoticeDelivery, cfg: NoticeSettings) -> tuple[str, str]:
    """(title, text) of a bot or mail message, in Chinese: what to do and where, no customer data unless the
    channel is configured to send titles."""
    from .notifications import kind_label

    n = delivery.notification
    with override("zh-hans"):
        label = str(kind_label(n.kind))
        name = n.recipient.get_full_name() or n.recipient.get_username()
        link = f"{cfg.site_url.rstrip('/')}{n.url}" if cfg.site_url else n.url
        title = _("【客户经理工作台】%(label)s") % {"label": label}
        lines = [_("%(name)s：您有一条新的“%(label)s”，请登录工作台处理。") % {"name": name, "label": label}]
        if delivery.channel.include_title:
            lines.append(n.title)
        lines.append(_("链接：%(link)s") % {"link": link})
    return title, "\n\n".join(lines)


def payload(delivery: NoticeDelivery, cfg: NoticeSettings) -> dict:
    title, text = message_text(delivery, cfg)
    if delivery.channel.kind == ChannelKind.WECOM:
        return {"msgtype": "markdown", "markdown": {"content": f"**{title}**\n\n{text}"}}
    return {"msgtype": "markdown", "markdown": {"title": title, "text": f"#### {title}\n\n{text}"}}


def dingtalk_signed_url(url: str, secret: str, timestamp_ms: int | None = None) -> str:
    """DingTalk's 加签: timestamp and sign = base64(HMAC-SHA256(secret, "timestamp\\nsecret")) on the URL."""
    if not secret:
        return url
    timestamp_ms = timestamp_ms or int(time.time() * 1000)
    digest = hmac.new(secret.encode(), f"{timestamp_ms}\n{secret}".encode(), hashlib.sha256).digest()
    sign = urllib.parse.quote_plus(base64.b64encode(digest))
    sep = "&" if "?" in url else "?"
    return f"{url}{sep}timestamp={timestamp_ms}&sign={sign}"


class SendFailed(Exception):
    def __init__(self, answer: str, retry: bool):
        super().__init__(answer)
        self.answer, self.retry = answer, retry


def _post_json(url: str, body: dict) -> str:
    data = json.dumps(body, ensure_ascii=False).encode()
    req = urllib.request.Request(url, data=data, headers={"Content-Type": "application/json; charset=utf-8"})
    try:
        with urllib.request.urlopen(req, timeout=HTTP_TIMEOUT) as resp:  # noqa: S310 (configured webhook)
            answer = resp.read(2000).decode("utf-8", "replace")
    except urllib.error.HTTPError as exc:
        raise SendFailed(f"HTTP {exc.code}", retry=exc.code >= 500 or exc.code == 429) from exc
    except (urllib.error.URLError, TimeoutError, OSError) as exc:
        raise SendFailed(str(getattr(exc, "reason", exc))[:400], retry=True) from exc
    try:
        errcode = json.loads(answer).get("errcode", 0)
    except (ValueError, AttributeError):
        errcode = 0
    if errcode:
        # 45009 / 130101: the bots' rate limits, worth another try; any other code is a configuration error
        raise SendFailed(answer[:400], retry=errcode in (45009, 130101))
    return answer[:400] or "OK"


def send_one(delivery: NoticeDelivery, cfg: NoticeSettings) -> str:
    """Send a delivery now; answers the channel's reply or raises SendFailed."""
    channel = delivery.channel
    if channel.kind == ChannelKind.EMAIL:
        title, text = message_text(delivery, cfg)
        try:
            EmailMessage(
                title, text, from_address(cfg), [delivery.notification.recipient.email], connection=mail_connection(cfg)
            ).send()
        except OSError as exc:
            raise SendFailed(str(exc)[:400], retry=True) from exc
        return "OK"
    url = channel.webhook_url
    if channel.kind == ChannelKind.DINGTALK:
        url = dingtalk_signed_url(url, channel.secret)
    return _post_json(url, payload(delivery, cfg))


# --- sending, retries and the sweep ---------------------------------------------------------------------


def _claim(delivery_id: int, now: datetime) -> bool:
    """PENDING and due → SENDING, committed before the send; False when another worker has it."""
    with transaction.atomic():
        return bool(
            NoticeDelivery.objects.filter(
                pk=delivery_id, status=DeliveryStatus.PENDING, next_attempt_at__lte=now
            ).update(status=DeliveryStatus.SENDING, claimed_at=now, attempts=F("attempts") + 1)
        )


def _channel_failed(channel: NoticeChannel, now: datetime) -> None:
    NoticeChannel.objects.filter(pk=channel.pk, failing_since__isnull=True).update(failing_since=now)
    NoticeChannel.objects.filter(pk=channel.pk).update(consecutive_failures=F("consecutive_failures") + 1)
    channel.refresh_from_db(fields=["consecutive_failures", "failing_since"])
    if channel.consecutive_failures >= FAILING_AFTER:
        _report_failing(channel)


def _report_failing(channel: NoticeChannel) -> None:
    from django.contrib.auth import get_user_model
    from django.urls import reverse

    from .notifications import notify

    admins = get_user_model().objects.filter(is_active=True, roles__code="admin").distinct()
    for admin in admins:
        notify(
            admin,
            CHANNEL_FAILING_KIND,
            _("消息渠道“%(name)s”连续 %(n)s 次发送失败") % {"name": channel.name, "n": channel.consecutive_failures},
            url=reverse("core:notice_channel_edit", args=[channel.pk]),
            obj=channel,
            dedupe_key=f"channel-failing:{channel.pk}",
        )


def deliver(delivery_id: int, now: datetime | None = None) -> str:
    """Send one delivery if it is due and unclaimed; answers its status afterwards."""
    now = now or timezone.now()
    if not _claim(delivery_id, now):
        return NoticeDelivery.objects.filter(pk=delivery_id).values_list("status", flat=True).first() or ""
    delivery = NoticeDelivery.objects.select_related("channel", "notification__recipient").get(pk=delivery_id)
    cfg = site_settings()
    try:
        answer = send_one(delivery, cfg)
    except SendFailed as exc:
        dead = not exc.retry or delivery.attempts >= MAX_ATTEMPTS
        wait = BACKOFF_MINUTES[min(delivery.attempts, len(BACKOFF_MINUTES)) - 1]
        NoticeDelivery.objects.filter(pk=delivery_id).update(
            status=DeliveryStatus.DEAD if dead else DeliveryStatus.PENDING,
            last_answer=exc.answer[:500],
            next_attempt_at=now + timedelta(minutes=wait),
        )
        _channel_failed(delivery.channel, now)
        log.warning("notice delivery %s failed: %s", delivery_id, exc.answer)
        return DeliveryStatus.DEAD if dead else DeliveryStatus.PENDING
    NoticeDelivery.objects.filter(pk=delivery_id).update(
        status=DeliveryStatus.SENT, sent_at=timezone.now(), last_answer=answer[:500]
    )
    NoticeChannel.objects.filter(pk=delivery.channel_id).update(consecutive_failures=0, failing_since=None)
    return DeliveryStatus.SENT


def deliver_for(notification_id: int) -> list[str]:
    ids = NoticeDelivery.objects.filter(notification_id=notification_id, status=DeliveryStatus.PENDING).values_list(
        "pk", flat=True
    )
    return [deliver(pk) for pk in list(ids)]


def sweep(now: datetime | None = None) -> dict:
    """The periodic job: deliveries whose worker died mid-send become UNCERTAIN (never resent by
    themselves); due PENDING ones (retries, the end of quiet hours) are sent."""
    now = now or timezone.now()
    lost = NoticeDelivery.objects.filter(status=DeliveryStatus.SENDING, claimed_at__lt=now - SENDING_TIMEOUT).update(
        status=DeliveryStatus.UNCERTAIN, last_answer=_("发送过程中断，无法确认对方是否收到；如需要请人工重发。")
    )
    due = list(
        NoticeDelivery.objects.filter(status=DeliveryStatus.PENDING, next_attempt_at__lte=now)
        .order_by("next_attempt_at", "pk")
        .values_list("pk", flat=True)[:500]
    )
    results = [deliver(pk, now) for pk in due]
    return {"uncertain": lost, "attempted": len(results), "sent": results.count(DeliveryStatus.SENT)}


@transaction.atomic
def resend(delivery: NoticeDelivery) -> None:
    """An administrator's manual resend of a failed or uncertain delivery: pending again, due now."""
    NoticeDelivery.objects.filter(pk=delivery.pk, status__in=[DeliveryStatus.DEAD, DeliveryStatus.UNCERTAIN]).update(
        status=DeliveryStatus.PENDING, next_attempt_at=timezone.now(), attempts=0
    )
