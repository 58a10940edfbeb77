"""Pages of the people app (SPEC §9 job fit, §10)."""

from django.urls import path

from . import views

app_name = "people"
urlpatterns = [
    path("", views.home, name="home"),
    path("disc/", views.disc_list, name="disc_list"),
    path("disc/<int:pk>/", views.disc_detail, name="disc_detail"),
    path("disc/ranking/", views.disc_ranking, name="disc_ranking"),
    path("job-models/", views.job_models, name="job_models"),
    path("job-models/<int:pk>/edit/", views.job_model_edit, name="job_model_edit"),
    path("policy/", views.policy_edit, name="policy_edit"),
    path("courses/", views.course_list, name="course_list"),
    path("training/", views.session_list, name="session_list"),
    path("training/<int:pk>/", views.session_detail, name="session_detail"),
    path("training/points/", views.training_points, name="training_points"),
    path("qualifications/", views.qualifications, name="qualifications"),
    path("meetings/", views.meeting_list, name="meeting_list"),
    path("meetings/<int:pk>/", views.meeting_detail, name="meeting_detail"),
    path("inspections/", views.inspection_list, name="inspection_list"),
    path("inspections/<int:pk>/", views.inspection_detail, name="inspection_detail"),
    path("plans/", views.plan_list, name="plan_list"),
    path("plans/<int:pk>/", views.plan_detail, name="plan_detail"),
    path("plans/<int:pk>/act/<str:action>/", views.plan_action, name="plan_action"),
]
