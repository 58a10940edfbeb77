"""Models of the work app (SPEC §3). The business calendar is here; the rest of §3 grows around it."""
from django.db import models
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
