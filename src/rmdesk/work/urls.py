from django.urls import path

from . import export_views, views

app_name = "work"
urlpatterns = [
    path("notifications/", views.notification_list, name="notifications"),
    path("notifications/read/", views.notification_read, name="notification_read"),
    path("cadence/", views.cadence_list, name="cadence"),
    path("cadence/export/", export_views.cadence_export, name="cadence_export"),
    path("cadence/<int:customer_id>/interval/", views.chosen_interval, name="chosen_interval"),
    path("interactions/", views.interaction_list, name="interactions"),
    path("interactions/new/", views.interaction_new, name="interaction_new"),
    path("interactions/<int:pk>/", views.interaction_detail, name="interaction_detail"),
    path("interactions/<int:pk>/attachments/<int:att_pk>/", views.attachment_download, name="attachment"),
    path("appointments/", views.appointment_calendar, name="appointments"),
    path("appointments/new/", views.appointment_new, name="appointment_new"),
    path("appointments/<int:pk>/", views.appointment_detail, name="appointment_detail"),
    path("schedule/", views.schedule_mine, name="schedule"),
    path("schedule/team/", views.schedule_team, name="schedule_team"),
    path("schedule/<int:pk>/", views.schedule_detail, name="schedule_detail"),
    path("schedule/<int:pk>/print/", views.schedule_print, name="schedule_print"),
    path("schedule/<int:pk>/pdf/", views.schedule_pdf, name="schedule_pdf"),
    path("tasks/", views.task_list, name="tasks"),
    path("journals/", views.journal_list, name="journals"),
    path("journals/<int:pk>/", views.journal_detail, name="journal_detail"),
    path("reviews/", views.review_list, name="reviews"),
]
