"""Admin of the people app's configuration (job models, courses, the training-points rule). Records about
people (profiles, inspections, plans) are not in the admin: administrators see no one's records."""

from django.contrib import admin

from .models import Course, JobModel, TrainingPolicy


@admin.register(JobModel)
class JobModelAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "d", "i", "s", "c", "is_active")


@admin.register(Course)
class CourseAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "mode", "hours", "points", "pass_score", "is_active")


@admin.register(TrainingPolicy)
class TrainingPolicyAdmin(admin.ModelAdmin):
    list_display = ("code", "required_points", "window_months", "remind_days", "cert_warning_days")
