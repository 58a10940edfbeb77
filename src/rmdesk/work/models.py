"""Models of the work app (SPEC §3). The business calendar is here; the rest of §3 grows around it."""
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class CalendarOverride(models.Model):
    """An administrator's override of the business calendar for one day (SPEC §3 "Business calendar").

    The built-in calendar is China's public holidays and 调休 working days (package chinese-calendar);
    a row here wins over it: mark a bank-specific holiday, or a Saturday the bank works.
    """

    day = models.DateField(_("日期"), unique=True)
    is_working_day = models.BooleanField(_("是否工作日"))
    name = models.CharField(_("说明"), max_length=60, blank=True)

    class Meta:
        verbose_name = _("营业日历调整")
        verbose_name_plural = _("营业日历调整")
        ordering = ["day"]

    def __str__(self):
        return f"{self.day} {self.name}"


class Notification(models.Model):
    """One message of the notification centre (工作提醒, SPEC §3): reminders, due items, approvals.

    Created through `rmdesk.work.notifications.notify()` (any app may call it). `dedupe_key` keeps a
    recurring reminder from piling up: while one unread notification with the same recipient and key
    exists, no second one is created.
    """

    recipient = models.ForeignKey(
        "org.User", verbose_name=_("接收人"), on_delete=models.CASCADE, related_name="notifications"
    )
    kind = models.CharField(_("类别"), max_length=40, db_index=True)
    title = models.CharField(_("标题"), max_length=200)
    body = models.TextField(_("内容"), blank=True)
    url = models.CharField(_("链接"), max_length=300, blank=True)
    object_type = models.CharField(_("对象类型"), max_length=60, blank=True)
    object_id = models.CharField(_("对象编号"), max_length=64, blank=True)
    dedupe_key = models.CharField(_("去重键"), max_length=120, blank=True)
    created_at = models.DateTimeField(_("创建时间"), default=timezone.now)
    due_at = models.DateTimeField(_("到期时间"), null=True, blank=True)
    read_at = models.DateTimeField(_("已读时间"), null=True, blank=True)
    emailed_at = models.DateTimeField(_("摘要发送时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("消息")
        verbose_name_plural = _("消息")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["recipient", "read_at", "-created_at"], name="notif_inbox_idx"),
            models.Index(fields=["recipient", "dedupe_key"], name="notif_dedupe_idx"),
        ]

    def __str__(self):
        return self.title

    @property
    def is_read(self):
        return self.read_at is not None
