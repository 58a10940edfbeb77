"""Administrator-only configuration of the service app (SPEC §5): categories, SLA policies,
assignment rules, survey questionnaires and churn targets, in Chinese."""

from django.contrib import admin

from .models import AssignmentRule, CaseCategory, ChurnTarget, SlaPolicy, SurveyQuestion, SurveyTemplate


@admin.register(CaseCategory)
class CaseCategoryAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "kind", "order", "is_active")
    list_editable = ("order", "is_active")


@admin.register(SlaPolicy)
class SlaPolicyAdmin(admin.ModelAdmin):
    list_display = (
        "name",
        "category",
        "severity",
        "ack_amount",
        "ack_unit",
        "answer_amount",
        "answer_unit",
        "warn_hours",
        "escalate_every_hours",
        "notify_supervisor_at_once",
        "is_active",
    )
    list_filter = ("is_active", "severity")


@admin.register(AssignmentRule)
class AssignmentRuleAdmin(admin.ModelAdmin):
    list_display = ("name", "priority", "kind", "category", "severity", "channel", "target", "user", "is_active")
    autocomplete_fields = ("user",)


class QuestionInline(admin.TabularInline):
    model = SurveyQuestion
    extra = 1


@admin.register(SurveyTemplate)
class SurveyTemplateAdmin(admin.ModelAdmin):
    list_display = ("name", "is_active", "created_at")
    inlines = [QuestionInline]


@admin.register(ChurnTarget)
class ChurnTargetAdmin(admin.ModelAdmin):
    list_display = ("name", "tier", "max_rate")
