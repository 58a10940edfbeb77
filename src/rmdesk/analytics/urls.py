"""Pages of the analytics app (SPEC §11)."""

from django.urls import path

from . import views

app_name = "analytics"
urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("reports/", views.report_index, name="report_index"),
    path("reports/<slug:key>/", views.report, name="report"),
]
