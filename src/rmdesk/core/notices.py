"""Business actions of the notice channels and calendar feeds (SPEC §3; docs/decisions.md 41): an
administrator configures the e-mail server and the WeCom/DingTalk bots, tests them and resends a failed
delivery; everyone sets their own opt-outs and quiet hours and issues or revokes their private iCal address.
The pages (rmdesk.core.notice_views) call these; the sending itself is rmdesk.core.channels."""

import secrets
from urllib.parse import urlsplit

from django.core.exceptions import ValidationError
from django.core.mail import EmailMessage
from django.utils import timezone
from django.utils.translation import gettext as _

from . import audit, channels
from .actions import EVERYONE, business_action, check_version
from .models import (
    CalendarFeed,
    ChannelKind,
    DeliveryStatus,
    NoticeChannel,
    NoticeDelivery,
    NoticePreference,
    NoticeSettings,
    Notification,
)
from .roles import RoleCode

ADMIN = (RoleCode.ADMIN,)
SETTINGS_FIELDS = (
    "site_url",
    "smtp_enabled",
    "smtp_host",
    "smtp_port",
    "smtp_username",
    "smtp_password",
    "smtp_security",
    "from_address",
)
CHANNEL_FIELDS = (
    "name",
    "kind",
    "enabled",
    "webhook_url",
    "secret",
    "unit_path",
    "unit_name",
    "kinds",
    "include_title",
)


def _http_url(value: str) -> bool:
    parts = urlsplit(value)
    return parts.scheme in ("http", "https") and bool(parts.netloc)


@business_action(roles=ADMIN, name="core.save_notice_settings")
def save_notice_settings(actor, data: dict, *, version) -> NoticeSettings:
    """The organisation's SMTP server and site address; a server is required when SMTP is switched on."""
    cfg = NoticeSettings.objects.select_for_update().get_or_create(pk=1)[0]
    check_version(cfg, version)
    errors = {}
    if data.get("site_url") and not _http_url(data["site_url"]):
        errors["site_url"] = [_("请填写以 http:// 或 https:// 开头的完整地址。")]
    if data.get("smtp_enabled"):
        if not data.get("smtp_host"):
            errors["smtp_host"] = [_("启用邮件服务器时须填写 SMTP 服务器。")]
        if not data.get("from_address"):
            errors["from_address"] = [_("启用邮件服务器时须填写发件人地址。")]
    if errors:
        raise ValidationError(errors)
    before = {f: getattr(cfg, f) for f in SETTINGS_FIELDS if f != "smtp_password"}
    for field in SETTINGS_FIELDS:
        if field in data and not (field == "smtp_password" and not data[field]):  # blank keeps the password
            setattr(cfg, field, data[field])
    cfg.version += 1
    cfg.full_clean()
    cfg.save()
    after = {f: getattr(cfg, f) for f in SETTINGS_FIELDS if f != "smtp_password"}
    audit.record(actor, "core.save_notice_settings", cfg, before=before, after=after)
    return cfg


@business_action(roles=ADMIN, name="core.send_test_mail")
def send_test_mail(actor, address: str) -> None:
    """A test message through the configured server; its failure is shown to the administrator."""
    if not address:
        raise ValidationError({"address": [_("请填写收件地址。")]})
    cfg = channels.site_settings()
    try:
        EmailMessage(
            _("【客户经理工作台】测试邮件"),
            _("这是一封测试邮件：邮件服务器设置可用。"),
            channels.from_address(cfg),
            [address],
            connection=channels.mail_connection(cfg),
        ).send()
    except OSError as exc:
        raise ValidationError({"address": [_("发送失败：%(error)s") % {"error": exc}]}) from exc
    audit.record(actor, "core.send_test_mail", cfg, address=address)


@business_action(roles=ADMIN, name="core.save_notice_channel")
def save_notice_channel(actor, channel: NoticeChannel | None, data: dict, *, version=None) -> NoticeChannel:
    """Create or change a channel: a bot needs its webhook address; the kinds must be known ones."""
    from .notifications import known_kinds

    if channel is not None:
        channel = NoticeChannel.objects.select_for_update().get(pk=channel.pk)
        check_version(channel, version)
    else:
        channel = NoticeChannel()
    errors = {}
    kind = data.get("kind", channel.kind)
    if kind != ChannelKind.EMAIL and not _http_url(data.get("webhook_url", channel.webhook_url)):
        errors["webhook_url"] = [_("群机器人须填写以 http:// 或 https:// 开头的 Webhook 地址。")]
    unknown = sorted(set(data.get("kinds") or []) - set(known_kinds()))
    if unknown:
        errors["kinds"] = [_("未知的消息类别：%(kinds)s") % {"kinds": "、".join(unknown)}]
    if errors:
        raise ValidationError(errors)
    before = {f: getattr(channel, f) for f in CHANNEL_FIELDS if f != "secret"} if channel.pk else None
    for field in CHANNEL_FIELDS:
        if field in data and not (field == "secret" and not data[field] and channel.pk):  # blank keeps the secret
            setattr(channel, field, data[field])
    if channel.kind == ChannelKind.EMAIL:
        channel.webhook_url, channel.secret = "", ""
    if channel.pk:
        channel.version += 1
    channel.full_clean()
    channel.save()
    after = {f: getattr(channel, f) for f in CHANNEL_FIELDS if f != "secret"}
    audit.record(actor, "core.save_notice_channel", channel, before=before, after=after)
    channels.forget_enabled()
    return channel


@business_action(roles=ADMIN, name="core.test_notice_channel")
def test_notice_channel(actor, channel: NoticeChannel) -> str:
    """Send a test message to a channel now, to the administrator; answers the channel's reply or raises."""
    note = Notification(recipient=actor, kind=channels.TEST_KIND, title=_("测试消息"), url="/")
    delivery = NoticeDelivery(notification=note, channel=channel)
    if channel.kind == ChannelKind.EMAIL and not actor.email:
        raise ValidationError({"channel": [_("您的账户没有电子邮件地址，无法发送测试邮件。")]})
    try:
        answer = channels.send_one(delivery, channels.site_settings())
    except channels.SendFailed as exc:
        audit.record(actor, "core.test_notice_channel", channel, ok=False, answer=exc.answer)
        raise ValidationError({"channel": [_("发送失败：%(answer)s") % {"answer": exc.answer}]}) from exc
    audit.record(actor, "core.test_notice_channel", channel, ok=True, answer=answer)
    return answer


@business_action(roles=ADMIN, name="core.resend_notice")
def resend_notice(actor, delivery: NoticeDelivery) -> NoticeDelivery:
    """Send a failed or uncertain delivery once more (an administrator's decision: it may arrive twice)."""
    if delivery.status not in (DeliveryStatus.DEAD, DeliveryStatus.UNCERTAIN):
        raise ValidationError({"delivery": [_("只有发送失败或结果不明的投递可以重发。")]})
    channels.resend(delivery)
    audit.record(actor, "core.resend_notice", delivery, before=delivery.status)
    delivery.refresh_from_db()
    return delivery


@business_action(roles=EVERYONE, name="core.save_notice_preference")
def save_notice_preference(actor, *, opted_out: list, quiet_from, quiet_until, version=None) -> NoticePreference:
    """One's own opt-outs (urgent kinds cannot be opted out of) and quiet hours (both ends or neither)."""
    from .notifications import known_kinds

    pref = NoticePreference.objects.select_for_update().get_or_create(user=actor)[0]
    if version is not None:
        check_version(pref, version)
    errors = {}
    urgent = sorted(k for k in opted_out if channels.is_urgent(k))
    unknown = sorted(set(opted_out) - set(known_kinds()))
    if urgent:
        errors["opted_out"] = [_("紧急类别不能退订：%(kinds)s") % {"kinds": "、".join(urgent)}]
    elif unknown:
        errors["opted_out"] = [_("未知的消息类别：%(kinds)s") % {"kinds": "、".join(unknown)}]
    if (quiet_from is None) != (quiet_until is None):
        errors["quiet_until" if quiet_until is None else "quiet_from"] = [_("免打扰时段须同时填写开始和结束时间。")]
    elif quiet_from is not None and quiet_from == quiet_until:
        errors["quiet_until"] = [_("免打扰结束时间不能与开始时间相同。")]
    if errors:
        raise ValidationError(errors)
    before = {"opted_out": pref.opted_out, "quiet": [str(pref.quiet_from or ""), str(pref.quiet_until or "")]}
    pref.opted_out, pref.quiet_from, pref.quiet_until = sorted(set(opted_out)), quiet_from, quiet_until
    pref.version += 1
    pref.save()
    after = {"opted_out": pref.opted_out, "quiet": [str(quiet_from or ""), str(quiet_until or "")]}
    audit.record(actor, "core.save_notice_preference", pref, before=before, after=after)
    return pref


@business_action(roles=EVERYONE, name="core.issue_calendar_feed")
def issue_calendar_feed(actor, *, show_customer_names: bool = False) -> tuple[CalendarFeed, str]:
    """A new private iCal address for oneself; any earlier one stops working (one live address per person).
    Answers the feed and its token, which is shown once and stored only as its hash."""
    now = timezone.now()
    CalendarFeed.objects.filter(user=actor, revoked_at__isnull=True).update(revoked_at=now)
    token = secrets.token_urlsafe(32)
    feed = CalendarFeed.objects.create(
        user=actor, token_hash=CalendarFeed.hash_token(token), show_customer_names=show_customer_names
    )
    audit.record(actor, "core.issue_calendar_feed", feed, show_customer_names=show_customer_names)
    return feed, token


@business_action(roles=EVERYONE, name="core.revoke_calendar_feed")
def revoke_calendar_feed(actor) -> int:
    """Stop one's own iCal address: it answers 404 from now on."""
    count = CalendarFeed.objects.filter(user=actor, revoked_at__isnull=True).update(revoked_at=timezone.now())
    audit.record(actor, "core.revoke_calendar_feed", actor, revoked=count)
    return count
