"""Administrator-only configuration of units, staff, roles and teams (SPEC §1), in Chinese."""

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin
from django.utils.translation import gettext_lazy as _
from treebeard.admin import TreeAdmin
from treebeard.forms import movenodeform_factory

from .models import ApiToken, OrgUnit, Qualification, Role, User


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
        (
            _("员工信息"),
            {
                "fields": (
                    "full_name",
                    "employee_no",
                    "unit",
                    "team",
                    "position",
                    "rm_level",
                    "appointed_on",
                    "status",
                    "supervisor",
                    "roles",
                    "mobile",
                )
            },
        ),
    )
    add_fieldsets = UserAdmin.add_fieldsets + (
        (_("员工信息"), {"fields": ("full_name", "employee_no", "unit", "team", "rm_level", "roles")}),
    )


@admin.register(Role)
class RoleAdmin(admin.ModelAdmin):
    list_display = ("code",)


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ("user", "prefix", "created_at", "expires_at", "last_used_at", "revoked_at")
    readonly_fields = ("user", "prefix", "digest", "created_at", "expires_at", "last_used_at")
