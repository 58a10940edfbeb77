"""Administration of the compliance configuration (SPEC §8: rule sets, thresholds and templates are data
administrators edit). Records about people (violations, signatures, findings) are not here: they are
read and decided on the compliance pages, in scope."""

from django.contrib import admin

from .models import ConductRule, ConductRuleSet, FeeEntitlement, PledgeTemplate, Threshold


class RuleInline(admin.TabularInline):
    model = ConductRule
    extra = 0


@admin.register(ConductRuleSet)
class RuleSetAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "is_active")
    inlines = [RuleInline]


@admin.register(Threshold)
class ThresholdAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "value")


@admin.register(PledgeTemplate)
class PledgeTemplateAdmin(admin.ModelAdmin):
    """Read-only: a change is a new version, published on the templates page (signatures point to it)."""

    list_display = ("title", "kind", "version", "is_public", "created_at")

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(FeeEntitlement)
class FeeEntitlementAdmin(admin.ModelAdmin):
    """The entitlement rules the daily fee check compares grants with (SPEC §8)."""

    list_display = ("tier", "fee_kind", "max_discount_percent")
    list_filter = ("fee_kind",)
