"""Administrator-only configuration of units, staff, roles and teams (SPEC §1), in Chinese."""
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin
from django.utils.translation import gettext_lazy as _
from treebeard.admin import TreeAdmin
from treebeard.forms import movenodeform_factory

from .models import ApiToken, ApprovalRequest, AuditEvent, OrgUnit, Qualification, Role, User


@admin.register(OrgUnit)
class OrgUnitAdmin(TreeAdmin):
    form = movenodeform_factory(OrgUnit)
    list_display = ("name", "code", "kind", "is_active")
    search_fields = ("name", "code")


class QualificationInline(admin.TabularInline):
    model = Qualification
    extra = 0


@admin.register(User)
class StaffAdmin(UserAdmin):
    list_display = ("username", "full_name", "employee_no", "unit", "team", "rm_level", "status", "is_active")
    list_filter = ("status", "rm_level", "roles", "is_active")
    search_fields = ("username", "full_name", "employee_no")
    filter_horizontal = ("roles", "groups", "user_permissions")
    inlines = [QualificationInline]
    fieldsets = UserAdmin.fieldsets + (
        (_("员工信息"), {"fields": ("full_name", "employee_no", "unit", "team", "position", "rm_level",
                                  "appointed_on", "status", "supervisor", "roles", "mobile")}),
    )
    add_fieldsets = UserAdmin.add_fieldsets + (
        (_("员工信息"), {"fields": ("full_name", "employee_no", "unit", "team", "rm_level", "roles")}),
    )


@admin.register(Role)
class RoleAdmin(admin.ModelAdmin):
    list_display = ("code",)


@admin.register(ApprovalRequest)
class ApprovalRequestAdmin(admin.ModelAdmin):
    list_display = ("title", "kind", "requested_by", "status", "decided_by", "requested_at")
    list_filter = ("status", "kind")
    readonly_fields = [f.name for f in ApprovalRequest._meta.fields]

    def has_add_permission(self, request):
        return False


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ("user", "prefix", "created_at", "expires_at", "last_used_at", "revoked_at")
    readonly_fields = ("user", "prefix", "digest", "created_at", "expires_at", "last_used_at")


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    list_display = ("id", "at", "actor_name", "action", "object_type", "object_id")
    list_filter = ("action",)
    search_fields = ("actor_name", "object_id", "action")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
