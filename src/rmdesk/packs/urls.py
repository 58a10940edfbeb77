from django.urls import path

from . import views

app_name = "packs"
urlpatterns = [
    path("", views.pack_list, name="list"),
    path("<slug:name>/load/", views.pack_load, name="load"),
]
