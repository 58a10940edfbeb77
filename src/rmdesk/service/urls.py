from django.urls import path

from . import export_views, views

app_name = "service"
urlpatterns = [
    path("", views.case_list, name="case_list"),
    path("export/", export_views.case_export, name="case_export"),
    path("new/", views.case_new, name="case_new"),
    path("customers/suggest/", views.customer_suggest, name="customer_suggest"),
    path("<int:pk>/", views.case_detail, name="case_detail"),
    path("<int:pk>/act/<str:action>/", views.case_action, name="case_action"),
    path("<int:pk>/feedback/", views.feedback, name="feedback"),
    path("<int:pk>/attachments/<int:att_pk>/", views.attachment_download, name="attachment"),
    path("sla/", views.sla_stats, name="sla_stats"),
    path("surveys/", views.survey_list, name="survey_list"),
    path("surveys/new/", views.survey_new, name="survey_new"),
    path("surveys/<int:pk>/", views.survey_detail, name="survey_detail"),
    path("surveys/responses/<int:pk>/", views.response_edit, name="response_edit"),
    path("surveys/index/", views.satisfaction, name="satisfaction"),
    path("churn/", views.churn_view, name="churn"),
    path("churn/watch/new/", views.watch_new, name="watch_new"),
    path("churn/watch/<int:pk>/", views.watch_detail, name="watch_detail"),
]
