"""Administration of the credit configuration (SPEC §6): products with their limits, materials,
checklist, SLA and post-loan schedule. Applications, loans and warnings hold customer data, which the
administrator does not see (docs/decisions.md 15); the approval chain is edited in the kernel's admin."""

from django.contrib import admin

from .models import CreditProduct


@admin.register(CreditProduct)
class CreditProductAdmin(admin.ModelAdmin):
    list_display = (
        "code",
        "name",
        "kind",
        "min_amount",
        "max_amount",
        "large_threshold",
        "review_sla_days",
        "is_active",
    )
    list_filter = ("kind", "is_active")
    search_fields = ("code", "name")
