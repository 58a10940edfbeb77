"""The business calendar's year status (SPEC §3 "Business calendar"), beside CalendarOverride.

Kept in its own module (loaded by CoreConfig.ready) so the calendar work did not touch the shared
core/models.py; it is an ordinary model of the core app with its migration in core/migrations.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class CalendarYear(models.Model):
    """An administrator's confirmation that a year's holidays and 调休 working days are entered.

    Needed for the years the package chinese-calendar does not cover yet (it knows a year only once
    the State Council publishes it): until a year is covered or confirmed, the calendar falls back to
    Monday–Friday and reports the year as unconfirmed.
    """

    year = models.PositiveSmallIntegerField(_("年份"), unique=True)
    confirmed = models.BooleanField(_("已确认"), default=False)
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("确认人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    confirmed_at = models.DateTimeField(_("确认时间"), null=True, blank=True)

    class Meta:
        app_label = "core"
        verbose_name = _("营业日历年度")
        verbose_name_plural = _("营业日历年度")
        ordering = ["year"]

    def __str__(self):
        return str(self.year)
