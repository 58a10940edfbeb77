"""Administrator configuration of RM daily work (SPEC §3): cadence rules and journal templates
(the business calendar is the kernel's). Business records are not edited here."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from .models import CadenceRule, JournalTemplate


@admin.register(CadenceRule)
class CadenceRuleAdmin(admin.ModelAdmin):
    list_display = ("name", "rule_set_code", "tier_code", "interval_months", "interval_days", "soon_days", "is_active")
    list_filter = ("rule_set_code", "is_active")
    list_editable = ("interval_months", "interval_days", "soon_days", "is_active")
    search_fields = ("name", "tier_code")

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        from rmdesk.core import audit

        audit.record(
            request.user,
            "work.cadence_rule_saved",
            obj,
            after={
                "tier": f"{obj.rule_set_code}/{obj.tier_code}",
                "months": obj.interval_months,
                "days": obj.interval_days,
                "active": obj.is_active,
            },
        )


@admin.register(JournalTemplate)
class JournalTemplateAdmin(admin.ModelAdmin):
    list_display = (
        "name",
        "code",
        "period",
        "due_anchor",
        "due_offset_days",
        "due_day",
        "move_to_working_day",
        "required",
        "is_active",
    )
    list_filter = ("period", "required", "is_active")
    fieldsets = (
        (None, {"fields": ("code", "name", "period", "sections", "order", "is_active", "required")}),
        (_("到期规则"), {"fields": ("due_anchor", "due_offset_days", "due_day", "move_to_working_day")}),
    )
