"""Administrator configuration of the customer archive: tier rule sets, products, tags (SPEC §2).

Customer archives themselves are not in the admin: administrators configure, they see no customer
data by default (SPEC §1).
"""

from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _

from . import services
from .models import Product, Tag, Tier, TierRuleSet


class TierInline(admin.TabularInline):
    model = Tier
    extra = 1
    fields = ("code", "name", "rank", "threshold")


@admin.register(TierRuleSet)
class TierRuleSetAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "kind", "industry", "metric", "is_active")
    list_filter = ("kind", "industry", "is_active")
    fields = ("code", "name", "kind", "industry", "metric", "is_active")
    readonly_fields = ("is_active",)
    inlines = [TierInline]
    actions = ["activate_and_recompute", "recompute"]

    def get_readonly_fields(self, request, obj=None):
        # a set in use keeps its kind (each kind has exactly one set in use)
        return ("is_active", "kind") if obj is not None and obj.is_active else ("is_active",)

    def save_related(self, request, form, formsets, change):
        """A set in use whose tiers or thresholds were edited re-tiers the archives of its kind only."""
        super().save_related(request, form, formsets, change)
        edited = form.has_changed() or any(fs.has_changed() for fs in formsets)
        if change and edited and form.instance.is_active:
            n = services.retier_after_edit(request.user, form.instance)
            self.message_user(
                request,
                _("已按调整后的规则重算%(kind)s层级，变动 %(n)d 户。")
                % {"kind": form.instance.get_kind_display(), "n": n},
            )

    @admin.action(description=_("设为当前使用并重算全部客户层级"))
    def activate_and_recompute(self, request, queryset):
        if queryset.count() != 1:
            self.message_user(request, _("请只选择一个规则。"), messages.ERROR)
            return
        changes = services.activate_rule_set(request.user, queryset.get().pk)
        self.message_user(request, _("已切换，层级变动 %(n)d 户。") % {"n": changes})

    @admin.action(description=_("按各客户类型当前规则重算全部客户层级"))
    def recompute(self, request, queryset):
        changes = services.recompute_all_tiers()
        self.message_user(request, _("层级变动 %(n)d 户。") % {"n": changes})


@admin.register(Product)
class ProductAdmin(admin.ModelAdmin):
    list_display = (
        "code",
        "name",
        "category",
        "risk_level",
        "sale_starts_on",
        "sale_ends_on",
        "price_per_sale",
        "is_active",
    )
    list_filter = ("category", "risk_level", "is_active")
    search_fields = ("code", "name")


@admin.register(Tag)
class TagAdmin(admin.ModelAdmin):
    search_fields = ("name",)
