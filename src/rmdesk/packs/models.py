"""What the industry packs loaded and which configuration rows they own (docs/decisions.md 51).

`PackRecord` remembers, per configuration row a pack created or adopted, the values the pack last wrote.
A later load compares the row with them: equal means nobody changed it since, so a changed pack may update
it; different means a user edited it, so the load leaves it alone and reports it."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class PackLoad(models.Model):
    """One load of a pack that changed something (a load that changes nothing writes no row)."""

    pack = models.CharField(_("方案"), max_length=40, db_index=True)
    version = models.CharField(_("版本"), max_length=20)
    loaded_at = models.DateTimeField(_("装载时间"), default=timezone.now)
    loaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("装载人"), null=True, blank=True, on_delete=models.SET_NULL
    )
    created = models.PositiveIntegerField(_("新建"), default=0)
    updated = models.PositiveIntegerField(_("更新"), default=0)
    adopted = models.PositiveIntegerField(_("接管"), default=0)
    kept = models.PositiveIntegerField(_("保留用户修改"), default=0)
    details = models.JSONField(_("明细"), default=dict, blank=True)

    class Meta:
        verbose_name = _("方案装载记录")
        verbose_name_plural = _("方案装载记录")
        ordering = ["-loaded_at", "-id"]


class PackRecord(models.Model):
    """A configuration row a pack owns, by model and natural key, with the values the pack last wrote."""

    pack = models.CharField(_("方案"), max_length=40, db_index=True)
    model_label = models.CharField(_("数据类型"), max_length=80)
    key = models.CharField(_("自然键"), max_length=200)
    object_id = models.CharField(_("记录"), max_length=40)
    values = models.JSONField(_("方案写入的值"), default=dict)
    version = models.CharField(_("版本"), max_length=20)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("方案所属配置")
        verbose_name_plural = _("方案所属配置")
        constraints = [models.UniqueConstraint(fields=["model_label", "key"], name="packs_record_model_key_uniq")]


class PackInUse(models.Model):
    """The pack the organisation runs (one row, written by the load that chose it or changed its words): the
    words its screens use for the customer and the manager (客户 / 用户 / 零售户 / 大客户)."""

    pack = models.CharField(_("方案"), max_length=40)
    version = models.CharField(_("版本"), max_length=20)
    words = models.JSONField(_("界面用语"), default=dict)
    loaded_at = models.DateTimeField(_("装载时间"), default=timezone.now)

    class Meta:
        verbose_name = _("在用行业方案")
        verbose_name_plural = _("在用行业方案")
