"""Administrator pages of the kernel (docs/decisions.md 9): approval chains are configured here
(SPEC §1 "approval chains editable by administrators"), calendar overrides (§3); the audit trail
and approval requests are read-only.

Approval requests and audit events carry business data (titles, payloads, summaries that may name
customers): the administrator, who sees no customer data (SPEC §1), sees only their kind, status,
dates and people, never the title, payload or summary.
"""

from django.contrib import admin

from .models import ApprovalChain, ApprovalRequest, ApprovalStep, AuditEvent, CalendarOverride


class ApprovalStepInline(admin.TabularInline):
    model = ApprovalStep
    extra = 1
    fields = ("order", "name", "decider", "levels_up", "group", "due_hours")


@admin.register(ApprovalChain)
class ApprovalChainAdmin(admin.ModelAdmin):
    list_display = ("name", "kind", "min_amount", "max_amount", "priority", "is_active")
    list_filter = ("kind", "is_active")
    search_fields = ("name", "kind")
    inlines = [ApprovalStepInline]

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        from . import audit

        chain = form.instance
        audit.record(
            request.user,
            "core.approval_chain_saved",
            chain,
            after={
                "kind": chain.kind,
                "active": chain.is_active,
                "steps": [[s.order, s.name, s.decider, s.levels_up] for s in chain.steps.order_by("order")],
            },
        )


@admin.register(ApprovalRequest)
class ApprovalRequestAdmin(admin.ModelAdmin):
    list_display = ("id", "kind", "requested_by", "status", "step_order", "requested_at")
    list_filter = ("status", "kind")
    fields = (
        "kind",
        "status",
        "chain",
        "step_order",
        "round",
        "requested_by",
        "requested_at",
        "decided_by",
        "decided_at",
    )
    readonly_fields = fields

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    list_display = ("id", "at", "actor_name", "action", "object_type", "object_id")
    list_filter = ("action",)
    search_fields = ("actor_name", "object_id", "action")
    fields = ("at", "actor_name", "action", "object_type", "object_id", "ip", "prev_hash", "hash")
    readonly_fields = fields

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(CalendarOverride)
class CalendarOverrideAdmin(admin.ModelAdmin):
    list_display = ("day", "is_working_day", "name")
    list_filter = ("is_working_day",)
    date_hierarchy = "day"
    search_fields = ("name",)
