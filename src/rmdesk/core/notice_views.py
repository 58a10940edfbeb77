"""Pages of the notice channels (SPEC §3; docs/decisions.md 41): the administrator's settings, channels and
delivery log, everyone's own notice preferences and iCal address, and the iCal feed itself."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from . import channels, ical, notices
from .forms import errors_by_field
from .models import DeliveryStatus, NoticeChannel, NoticeDelivery, NoticePreference
from .notice_forms import ChannelForm, FeedForm, NoticeSettingsForm, PreferenceForm, TestMailForm
from .roles import is_admin


def _admin_only(request):
    if not is_admin(request.user):
        raise Http404  # like out-of-scope data: the pages do not exist for others


def _show_errors(form, exc: ValidationError) -> None:
    for field, errors in errors_by_field(exc).items():
        for error in errors:
            form.add_error(field if field in form.fields else None, error)


@login_required
def notice_settings(request):
    """Mail server, the test mail, the channels with their health, and the delivery log."""
    _admin_only(request)
    cfg = channels.site_settings()
    form = NoticeSettingsForm(instance=cfg, initial={"version": cfg.version})
    mail_form = TestMailForm(initial={"address": request.user.email})
    if request.method == "POST" and "test_mail" in request.POST:
        mail_form = TestMailForm(request.POST)
        if mail_form.is_valid():
            try:
                notices.send_test_mail(request.user, mail_form.cleaned_data["address"])
            except ValidationError as exc:
                _show_errors(mail_form, exc)
            else:
                messages.success(request, _("测试邮件已发出。"))
                return redirect("core:notices")
    elif request.method == "POST":
        form = NoticeSettingsForm(request.POST, instance=channels.site_settings())
        if form.is_valid():
            data = {f: form.cleaned_data[f] for f in form.Meta.fields}
            try:
                notices.save_notice_settings(request.user, data, version=form.cleaned_data["version"])
            except ValidationError as exc:
                _show_errors(form, exc)
            else:
                messages.success(request, _("消息发送设置已保存。"))
                return redirect("core:notices")
    status = request.GET.get("status", "")
    deliveries = NoticeDelivery.objects.select_related("channel", "notification__recipient").order_by("-created_at")
    if status in DeliveryStatus.values:
        deliveries = deliveries.filter(status=status)
    return render(
        request,
        "core/notices.html",
        {
            "form": form,
            "mail_form": mail_form,
            "channels": NoticeChannel.objects.all(),
            "deliveries": deliveries[:100],
            "statuses": DeliveryStatus.choices,
            "status": status,
            "failing_after": channels.FAILING_AFTER,
        },
    )


def _channel_data(form) -> dict:
    data = {f: form.cleaned_data[f] for f in ("name", "kind", "enabled", "webhook_url", "secret", "include_title")}
    data["unit_path"] = form.cleaned_data["unit_path"]
    data["unit_name"] = dict(form.fields["unit_path"].choices).get(data["unit_path"], "").strip("　")
    data["kinds"] = form.cleaned_data["kinds"]
    return data


@login_required
def channel_edit(request, pk=None):
    _admin_only(request)
    channel = get_object_or_404(NoticeChannel, pk=pk) if pk else None
    if request.method == "POST":
        form = ChannelForm(request.POST)
        if form.is_valid():
            try:
                channel = notices.save_notice_channel(
                    request.user, channel, _channel_data(form), version=form.cleaned_data["version"]
                )
            except ValidationError as exc:
                _show_errors(form, exc)
            else:
                messages.success(request, _("消息渠道“%(name)s”已保存。") % {"name": channel.name})
                return redirect("core:notices")
    elif channel:
        initial = {f: getattr(channel, f) for f in ("name", "kind", "enabled", "webhook_url", "unit_path", "kinds")}
        form = ChannelForm(initial={**initial, "include_title": channel.include_title, "version": channel.version})
    else:
        form = ChannelForm()
    return render(request, "core/notice_channel.html", {"form": form, "channel": channel})


@login_required
@require_POST
def channel_test(request, pk):
    _admin_only(request)
    channel = get_object_or_404(NoticeChannel, pk=pk)
    try:
        answer = notices.test_notice_channel(request.user, channel)
    except ValidationError as exc:
        messages.error(request, " ".join(m for ms in errors_by_field(exc).values() for m in ms))
    else:
        messages.success(request, _("测试消息已发出，渠道应答：%(answer)s") % {"answer": answer})
    return redirect("core:notice_channel_edit", pk=channel.pk)


@login_required
@require_POST
def delivery_resend(request, pk):
    _admin_only(request)
    delivery = get_object_or_404(NoticeDelivery, pk=pk)
    try:
        notices.resend_notice(request.user, delivery)
    except ValidationError as exc:
        messages.error(request, " ".join(m for ms in errors_by_field(exc).values() for m in ms))
    else:
        channels.deliver(delivery.pk)
        messages.success(request, _("已重新发送。"))
    return redirect(reverse("core:notices"))


@login_required
def my_notices(request):
    """One's own opt-outs, quiet hours and private iCal address."""
    pref = NoticePreference.objects.filter(user=request.user).first()
    token = None
    if request.method == "POST" and request.POST.get("feed") == "issue":
        feed_form = FeedForm(request.POST)
        if feed_form.is_valid():
            _feed, token = notices.issue_calendar_feed(
                request.user, show_customer_names=feed_form.cleaned_data["show_customer_names"]
            )
            messages.success(request, _("新的日历订阅地址已生成，旧地址即刻失效。请现在复制，离开本页后不再显示。"))
    elif request.method == "POST" and request.POST.get("feed") == "revoke":
        notices.revoke_calendar_feed(request.user)
        messages.success(request, _("日历订阅地址已作废。"))
        return redirect("core:my_notices")
    form = PreferenceForm(
        initial={
            "opted_out": pref.opted_out if pref else [],
            "quiet_from": pref.quiet_from if pref else None,
            "quiet_until": pref.quiet_until if pref else None,
            "version": pref.version if pref else None,
        }
    )
    if request.method == "POST" and "feed" not in request.POST:
        form = PreferenceForm(request.POST)
        if form.is_valid():
            try:
                notices.save_notice_preference(
                    request.user,
                    opted_out=form.cleaned_data["opted_out"],
                    quiet_from=form.cleaned_data["quiet_from"],
                    quiet_until=form.cleaned_data["quiet_until"],
                    version=form.cleaned_data["version"] if pref else None,
                )
            except ValidationError as exc:
                _show_errors(form, exc)
            else:
                messages.success(request, _("消息偏好已保存。"))
                return redirect("core:my_notices")
    live = request.user.calendar_feeds.filter(revoked_at__isnull=True).first()
    feed_url = request.build_absolute_uri(reverse("core:ical_feed", args=[token])) if token else ""
    return render(
        request,
        "core/my_notices.html",
        {"form": form, "feed_form": FeedForm(), "live_feed": live, "feed_url": feed_url},
    )


def ical_feed(request, token):
    """The private iCal document (no sign-in: the token is the key); unknown or revoked answers 404."""
    feed = ical.feed_for_token(token)
    if feed is None:
        raise Http404
    body = ical.build(feed, site_url=channels.site_settings().site_url or request.build_absolute_uri("/")[:-1])
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Cache-Control"] = "private, no-store"
    return response
