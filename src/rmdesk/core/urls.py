from django.urls import path

from . import notice_views, views

app_name = "core"

urlpatterns = [
    path("calendar/", views.calendar_page, name="calendar"),
    path("notices/", notice_views.notice_settings, name="notices"),
    path("notices/channels/new/", notice_views.channel_edit, name="notice_channel_new"),
    path("notices/channels/<int:pk>/", notice_views.channel_edit, name="notice_channel_edit"),
    path("notices/channels/<int:pk>/test/", notice_views.channel_test, name="notice_channel_test"),
    path("notices/deliveries/<int:pk>/resend/", notice_views.delivery_resend, name="notice_resend"),
    path("notices/mine/", notice_views.my_notices, name="my_notices"),
    path("ical/<str:token>.ics", notice_views.ical_feed, name="ical_feed"),
]
