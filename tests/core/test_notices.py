"""Notices where staff already are (SPEC §3, rmdesk.core.channels): exact WeCom and DingTalk payloads posted
to a loopback server standing in for them, DingTalk's signature, retries on 5xx with back-off, no duplicate
delivery when a worker dies mid-send, opt-outs and quiet hours, no customer data by default, and the
administrator told about a failing channel."""

import base64
import hashlib
import hmac
import json
import threading
from datetime import datetime, time, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit
from zoneinfo import ZoneInfo

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.urls import reverse

from rmdesk.core import channels, notices
from rmdesk.core.models import DeliveryStatus, NoticeChannel, NoticeDelivery, Notification
from rmdesk.core.notifications import notify

pytestmark = pytest.mark.django_db
SH = ZoneInfo("Asia/Shanghai")


class Bot:
    """A loopback HTTP server standing in for WeCom / DingTalk: records each request, answers from a script."""

    def __init__(self):
        self.requests: list[dict] = []
        self.answers: list[tuple[int, dict]] = []
        self.pause = threading.Event()
        bot = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                bot.requests.append({"path": self.path, "json": json.loads(body), "type": self.headers["Content-Type"]})
                status, answer = bot.answers.pop(0) if bot.answers else (200, {"errcode": 0, "errmsg": "ok"})
                data = json.dumps(answer).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


@pytest.fixture
def bot():
    b = Bot()
    yield b
    b.server.shutdown()


def _channel(admin, kind, url="", **extra):
    data = {"name": f"{kind} 群", "kind": kind, "enabled": True, "webhook_url": url, "secret": "", "unit_path": ""}
    data.update(extra)
    return notices.save_notice_channel(admin, None, data)


def _notify(user, kind="task_due", title="张三的待办到期", **kw):
    return notify(user, kind, title, url="/work/tasks/", **kw)


@pytest.fixture
def site(world):
    cfg = channels.site_settings()
    notices.save_notice_settings(world.admin, {"site_url": "https://rmdesk.example.cn"}, version=cfg.version)


def test_wecom_gets_the_exact_markdown_without_customer_data(world, site, bot, django_capture_on_commit_callbacks):
    channel = _channel(world.admin, "wecom", f"{bot.url}/cgi-bin/webhook/send?key=K1")
    with django_capture_on_commit_callbacks(execute=True):
        n = _notify(world.rm)
    assert len(bot.requests) == 1
    sent = bot.requests[0]
    assert sent["path"] == "/cgi-bin/webhook/send?key=K1"
    assert sent["type"] == "application/json; charset=utf-8"
    name = world.rm.get_full_name() or world.rm.username
    assert sent["json"] == {
        "msgtype": "markdown",
        "markdown": {
            "content": f"**【客户经理工作台】待办到期**\n\n{name}：您有一条新的“待办到期”，请登录工作台处理。"
            "\n\n链接：https://rmdesk.example.cn/work/tasks/"
        },
    }
    assert "张三" not in json.dumps(sent["json"], ensure_ascii=False)
    delivery = NoticeDelivery.objects.get(notification=n, channel=channel)
    assert delivery.status == DeliveryStatus.SENT and delivery.attempts == 1 and delivery.sent_at


def test_the_title_goes_only_when_the_channel_is_configured_for_it(
    world, site, bot, django_capture_on_commit_callbacks
):
    _channel(world.admin, "wecom", f"{bot.url}/w", include_title=True)
    with django_capture_on_commit_callbacks(execute=True):
        _notify(world.rm)
    assert "张三的待办到期" in bot.requests[0]["json"]["markdown"]["content"]


def test_dingtalk_is_signed_with_the_secret(world, site, bot, django_capture_on_commit_callbacks):
    secret = "SEC0123456789abcdef"
    _channel(world.admin, "dingtalk", f"{bot.url}/robot/send?access_token=T1", secret=secret)
    with django_capture_on_commit_callbacks(execute=True):
        _notify(world.rm)
    assert len(bot.requests) == 1
    sent = bot.requests[0]
    query = parse_qs(urlsplit(sent["path"]).query)
    assert query["access_token"] == ["T1"]
    timestamp = query["timestamp"][0]
    expected = base64.b64encode(
        hmac.new(secret.encode(), f"{timestamp}\n{secret}".encode(), hashlib.sha256).digest()
    ).decode()
    assert query["sign"] == [expected]  # parse_qs undid the URL encoding
    name = world.rm.get_full_name() or world.rm.username
    assert sent["json"] == {
        "msgtype": "markdown",
        "markdown": {
            "title": "【客户经理工作台】待办到期",
            "text": f"#### 【客户经理工作台】待办到期\n\n{name}：您有一条新的“待办到期”，请登录工作台处理。"
            "\n\n链接：https://rmdesk.example.cn/work/tasks/",
        },
    }


def test_a_5xx_is_retried_with_back_off_until_sent(world, site, bot, django_capture_on_commit_callbacks):
    _channel(world.admin, "wecom", f"{bot.url}/w")
    bot.answers = [(502, {}), (500, {})]
    with django_capture_on_commit_callbacks(execute=True):
        n = _notify(world.rm)
    d = NoticeDelivery.objects.get(notification=n)
    assert d.status == DeliveryStatus.PENDING and d.attempts == 1 and d.last_answer == "HTTP 502"
    first_retry = d.next_attempt_at
    assert channels.sweep(first_retry - timedelta(seconds=1))["attempted"] == 0  # not before its time
    channels.sweep(first_retry)
    d.refresh_from_db()
    assert d.status == DeliveryStatus.PENDING and d.attempts == 2
    assert d.next_attempt_at - first_retry == timedelta(minutes=2)  # 1, 2, 4... minutes
    assert channels.sweep(d.next_attempt_at)["sent"] == 1
    d.refresh_from_db()
    assert d.status == DeliveryStatus.SENT and d.attempts == 3 and len(bot.requests) == 3
    assert NoticeChannel.objects.get().consecutive_failures == 0


def test_a_configuration_error_is_not_retried_and_a_failing_channel_is_reported(
    world, site, bot, django_capture_on_commit_callbacks
):
    channel = _channel(world.admin, "wecom", f"{bot.url}/w")
    bot.answers = [(200, {"errcode": 93000, "errmsg": "invalid webhook url"})] * 3
    with django_capture_on_commit_callbacks(execute=True):
        for i in range(3):
            _notify(world.rm, title=f"t{i}", dedupe_key=f"k{i}")
    statuses = list(NoticeDelivery.objects.values_list("status", flat=True))
    assert statuses == [DeliveryStatus.DEAD] * 3 and len(bot.requests) == 3
    channel.refresh_from_db()
    assert channel.consecutive_failures == 3 and channel.failing_since
    told = Notification.objects.filter(recipient=world.admin, kind=channels.CHANNEL_FAILING_KIND)
    assert told.count() == 1 and reverse("core:notice_channel_edit", args=[channel.pk]) == told.get().url
    # the report itself never goes to a bot (it would fail there too)
    assert not NoticeDelivery.objects.filter(notification__in=told).exists()


def test_after_the_last_attempt_a_delivery_is_dead(world, site, bot, django_capture_on_commit_callbacks):
    _channel(world.admin, "wecom", f"{bot.url}/w")
    bot.answers = [(503, {})] * channels.MAX_ATTEMPTS
    with django_capture_on_commit_callbacks(execute=True):
        n = _notify(world.rm)
    d = NoticeDelivery.objects.get(notification=n)
    while d.status == DeliveryStatus.PENDING:
        channels.sweep(d.next_attempt_at)
        d.refresh_from_db()
    assert d.status == DeliveryStatus.DEAD and d.attempts == channels.MAX_ATTEMPTS
    assert len(bot.requests) == channels.MAX_ATTEMPTS


class WorkerKilled(BaseException):
    """What the rest of the worker sees when its process is killed mid-send: nothing runs any more."""


def test_no_duplicate_delivery_when_the_worker_dies_mid_send(world, site, bot, monkeypatch):
    _channel(world.admin, "wecom", f"{bot.url}/w")
    monkeypatch.setattr(channels, "on_notified", lambda n: channels.plan(n))  # planned, not yet sent
    n = _notify(world.rm)
    channels.plan(n)
    d = NoticeDelivery.objects.get(notification=n)
    real_post = channels._post_json

    def post_then_die(url, body):
        real_post(url, body)  # the bot has the message...
        raise WorkerKilled  # ...and the worker is gone before it could record it

    monkeypatch.setattr(channels, "_post_json", post_then_die)
    with pytest.raises(WorkerKilled):
        channels.deliver(d.pk)
    monkeypatch.setattr(channels, "_post_json", real_post)
    d.refresh_from_db()
    assert d.status == DeliveryStatus.SENDING and len(bot.requests) == 1
    # another worker, and the sweep while the send might still be in flight, leave it alone
    assert channels.deliver(d.pk) == DeliveryStatus.SENDING
    assert channels.sweep()["attempted"] == 0
    # once the send cannot be in flight any more, it is marked uncertain, never resent by itself
    later = d.claimed_at + channels.SENDING_TIMEOUT + timedelta(seconds=1)
    assert channels.sweep(later) == {"uncertain": 1, "attempted": 0, "sent": 0}
    assert channels.sweep(later + timedelta(hours=1))["attempted"] == 0
    d.refresh_from_db()
    assert d.status == DeliveryStatus.UNCERTAIN and len(bot.requests) == 1
    # the administrator may decide to resend it
    notices.resend_notice(world.admin, d)
    channels.sweep()
    d.refresh_from_db()
    assert d.status == DeliveryStatus.SENT and len(bot.requests) == 2


def test_two_workers_never_both_send_one_delivery(world, site, bot, monkeypatch):
    _channel(world.admin, "wecom", f"{bot.url}/w")
    monkeypatch.setattr(channels, "on_notified", lambda n: None)
    n = _notify(world.rm)
    channels.plan(n)
    d = NoticeDelivery.objects.get(notification=n)
    assert channels._claim(d.pk, d.next_attempt_at) is True
    assert channels._claim(d.pk, d.next_attempt_at) is False


def test_opt_outs_skip_non_urgent_kinds_only(world, site, bot, django_capture_on_commit_callbacks):
    _channel(world.admin, "wecom", f"{bot.url}/w")
    notices.save_notice_preference(world.rm, opted_out=["task_due", "journal"], quiet_from=None, quiet_until=None)
    with django_capture_on_commit_callbacks(execute=True):
        _notify(world.rm, kind="task_due")
        _notify(world.rm, kind="journal.review", title="x")
        _notify(world.rm, kind="approval.pending", title="待审批")
        _notify(world.rm2, kind="task_due")  # someone else's preference is theirs
    kinds = sorted(NoticeDelivery.objects.values_list("notification__kind", "notification__recipient__username"))
    assert kinds == [("approval.pending", "rm"), ("task_due", "rm2")]
    with pytest.raises(ValidationError) as exc:
        notices.save_notice_preference(world.rm, opted_out=["approval.pending"], quiet_from=None, quiet_until=None)
    assert "opted_out" in exc.value.message_dict
    with pytest.raises(ValidationError) as exc:
        notices.save_notice_preference(world.rm, opted_out=[], quiet_from=time(21), quiet_until=None)
    assert "quiet_until" in exc.value.message_dict


def test_quiet_hours_hold_non_urgent_notices_until_they_end(world, site, bot, monkeypatch):
    _channel(world.admin, "wecom", f"{bot.url}/w")
    notices.save_notice_preference(world.rm, opted_out=[], quiet_from=time(21), quiet_until=time(8))
    monkeypatch.setattr(channels, "on_notified", lambda n: None)
    late = datetime(2026, 12, 7, 23, 30, tzinfo=SH)
    quiet = channels.plan(_notify(world.rm, kind="task_due"), now=late)
    urgent = channels.plan(_notify(world.rm, kind="approval.pending", title="待审批"), now=late)
    assert quiet[0].next_attempt_at == datetime(2026, 12, 8, 8, 0, tzinfo=SH)
    assert urgent[0].next_attempt_at == late
    assert channels.sweep(late)["sent"] == 1  # the urgent one
    assert channels.sweep(datetime(2026, 12, 8, 7, 59, tzinfo=SH))["attempted"] == 0
    assert channels.sweep(datetime(2026, 12, 8, 8, 0, tzinfo=SH))["sent"] == 1
    # outside quiet hours nothing waits; a daytime window works too
    noon = datetime(2026, 12, 8, 12, 0, tzinfo=SH)
    assert (
        channels.plan(_notify(world.rm, kind="task_due", title="y", dedupe_key="y"), now=noon)[0].next_attempt_at
        == noon
    )
    notices.save_notice_preference(world.rm, opted_out=[], quiet_from=time(12), quiet_until=time(13, 30))
    held = channels.plan(_notify(world.rm, kind="task_due", title="z", dedupe_key="z"), now=noon)
    assert held[0].next_attempt_at == datetime(2026, 12, 8, 13, 30, tzinfo=SH)


def test_a_channel_serves_its_unit_subtree_and_its_kinds(world, site, bot, django_capture_on_commit_callbacks):
    _channel(world.admin, "wecom", f"{bot.url}/s2", unit_path=world.s2.path, kinds=["service"])
    with django_capture_on_commit_callbacks(execute=True):
        _notify(world.rm, kind="service.sla", title="a")  # S1: not this channel's unit
        _notify(world.rm2, kind="task_due", title="b")  # S2 but not a service kind
        _notify(world.rm2, kind="service.sla", title="c")
    assert [r["path"] for r in bot.requests] == ["/s2"]
    assert list(NoticeDelivery.objects.values_list("notification__title", flat=True)) == ["c"]


def test_email_channel_mails_the_recipient(world, site, django_capture_on_commit_callbacks):
    world.rm.email = "rm@example.cn"
    world.rm.save()
    _channel(world.admin, "email")
    with django_capture_on_commit_callbacks(execute=True):
        _notify(world.rm)
        _notify(world.rm2, title="no address")  # no e-mail address: no delivery
    assert [m.to for m in mail.outbox] == [["rm@example.cn"]]
    assert mail.outbox[0].subject == "【客户经理工作台】待办到期"
    assert "https://rmdesk.example.cn/work/tasks/" in mail.outbox[0].body
    assert NoticeDelivery.objects.count() == 1


def test_smtp_settings_drive_the_mail_connection(world):
    cfg = channels.site_settings()
    assert channels.mail_connection().__class__.__module__ == "django.core.mail.backends.locmem"
    with pytest.raises(ValidationError) as exc:
        notices.save_notice_settings(world.admin, {"smtp_enabled": True}, version=cfg.version)
    assert set(exc.value.message_dict) == {"smtp_host", "from_address"}
    notices.save_notice_settings(
        world.admin,
        {"smtp_enabled": True, "smtp_host": "smtp.bank.cn", "smtp_port": 465, "smtp_security": "ssl",
         "from_address": "rmdesk@bank.cn", "smtp_password": "pw"},
        version=cfg.version,
    )  # fmt: skip
    conn = channels.mail_connection()
    assert (conn.host, conn.port, conn.use_ssl, conn.use_tls, conn.password) == ("smtp.bank.cn", 465, True, False, "pw")
    assert channels.from_address() == "rmdesk@bank.cn"
    cfg = channels.site_settings()
    notices.save_notice_settings(world.admin, {"smtp_password": ""}, version=cfg.version)  # blank keeps it
    assert channels.site_settings().smtp_password == "pw"
    with pytest.raises(ValidationError):
        notices.save_notice_settings(world.admin, {"site_url": "rmdesk"}, version=channels.site_settings().version)


def test_channel_rules_and_stale_versions(world):
    with pytest.raises(ValidationError) as exc:
        _channel(world.admin, "wecom", "")
    assert "webhook_url" in exc.value.message_dict
    with pytest.raises(ValidationError) as exc:
        _channel(world.admin, "wecom", "ftp://x/y")
    assert "webhook_url" in exc.value.message_dict
    with pytest.raises(ValidationError) as exc:
        _channel(world.admin, "wecom", "https://qyapi.weixin.qq.com/x", kinds=["nonsense"])
    assert "kinds" in exc.value.message_dict
    assert not NoticeChannel.objects.exists()
    channel = _channel(world.admin, "dingtalk", "https://oapi.dingtalk.com/robot/send?access_token=a", secret="S")
    notices.save_notice_channel(world.admin, channel, {"name": "改名", "secret": ""}, version=channel.version)
    channel.refresh_from_db()
    assert channel.name == "改名" and channel.secret == "S"  # a blank secret keeps the old one
    from rmdesk.core.actions import StaleVersion

    with pytest.raises(StaleVersion):
        notices.save_notice_channel(world.admin, channel, {"name": "旧"}, version=channel.version - 1)


@pytest.mark.parametrize("role", ["rm", "lead", "manager", "risk", "compliance", "assistant", "referrer"])
def test_only_administrators_configure_channels(world, client, role):
    from rmdesk.core.actions import RoleRefused

    client.force_login(getattr(world, role))
    assert client.get(reverse("core:notices")).status_code == 404
    assert client.post(reverse("core:notice_channel_new"), {"name": "x", "kind": "wecom"}).status_code == 404
    with pytest.raises(RoleRefused):
        _channel(getattr(world, role), "wecom", "https://x.example/w")
    assert not NoticeChannel.objects.exists()


def test_the_channel_page_shows_errors_next_to_the_field(world, client):
    client.force_login(world.admin)
    page = client.post(reverse("core:notice_channel_new"), {"name": "企微", "kind": "wecom", "webhook_url": ""})
    assert page.status_code == 200
    html = page.content.decode()
    assert "群机器人须填写以 http:// 或 https:// 开头的 Webhook 地址。" in html
    assert not NoticeChannel.objects.exists()
    ok = client.post(
        reverse("core:notice_channel_new"),
        {"name": "企微", "kind": "wecom", "webhook_url": "https://qyapi.weixin.qq.com/x", "kinds": ["service"]},
    )
    assert ok.status_code == 302 and NoticeChannel.objects.get().kinds == ["service"]
    assert "企微" in client.get(reverse("core:notices")).content.decode()


def test_test_button_posts_to_the_bot_and_shows_its_answer(world, bot, client):
    channel = _channel(world.admin, "wecom", f"{bot.url}/w")
    client.force_login(world.admin)
    page = client.post(reverse("core:notice_channel_test", args=[channel.pk]), follow=True)
    assert len(bot.requests) == 1 and "测试消息" in bot.requests[0]["json"]["markdown"]["content"]
    assert "测试消息已发出" in page.content.decode()
    bot.answers = [(200, {"errcode": 93000, "errmsg": "invalid webhook url"})]
    page = client.post(reverse("core:notice_channel_test", args=[channel.pk]), follow=True)
    assert "发送失败" in page.content.decode() and "93000" in page.content.decode()
