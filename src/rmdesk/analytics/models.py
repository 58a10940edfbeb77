"""Daily snapshots for trends (SPEC §11 "history for trends"): taken once a day by `manage.py run_analytics`,
so a trend over a year reads 365 small rows per unit instead of recomputing the archive's history."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

MONEY = {"max_digits": 20, "decimal_places": 2}


class UnitTierSnapshot(models.Model):
    """One day's customers and AUM of one org unit (the customers' own unit, not its subtree) and one tier."""

    day = models.DateField(_("日期"))
    org_unit = models.ForeignKey("org.OrgUnit", on_delete=models.CASCADE, related_name="+", verbose_name=_("机构"))
    org_path = models.CharField(max_length=255)
    tier_code = models.CharField(_("层级代码"), max_length=30, blank=True)  # "" = no tier
    tier_name = models.CharField(_("层级"), max_length=50, blank=True)
    tier_rank = models.PositiveSmallIntegerField(default=0)
    customers = models.PositiveIntegerField(_("客户数"))
    aum = models.DecimalField(_("金融资产"), **MONEY)

    class Meta:
        verbose_name = _("机构层级日快照")
        verbose_name_plural = _("机构层级日快照")
        constraints = [
            models.UniqueConstraint(fields=["day", "org_unit", "tier_code"], name="analytics_unit_tier_day_once")
        ]
        indexes = [models.Index(fields=["org_path", "day"], name="analytics_uts_path_day")]


class BookSnapshot(models.Model):
    """One day's book of one RM (customers where they are the A-post RM): the size and AUM of 管户."""

    day = models.DateField(_("日期"))
    rm = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", verbose_name=_("客户经理")
    )
    org_path = models.CharField(max_length=255, blank=True)
    customers = models.PositiveIntegerField(_("管户数"))
    aum = models.DecimalField(_("金融资产"), **MONEY)

    class Meta:
        verbose_name = _("管户日快照")
        verbose_name_plural = _("管户日快照")
        constraints = [models.UniqueConstraint(fields=["day", "rm"], name="analytics_book_day_once")]
        indexes = [models.Index(fields=["rm", "day"], name="analytics_book_rm_day")]
