"""Pages of the contracts app (SPEC §7)."""

from django.urls import path

from . import export_views, views

app_name = "contracts"
urlpatterns = [
    path("", views.contract_list, name="list"),
    path("export/", export_views.contract_export, name="export"),
    path("new/", views.contract_new, name="new"),
    path("<int:pk>/", views.contract_detail, name="detail"),
    path("<int:pk>/act/<str:action>/", views.contract_action, name="action"),
    path("<int:pk>/print/", views.contract_print, name="print"),
    path("<int:pk>/pdf/", views.contract_pdf, name="pdf"),
    path("<int:pk>/scan/", views.scan_download, name="scan"),
    path("<int:pk>/files/<int:attachment_pk>/", views.attachment_download, name="attachment"),
    path("custody/", views.custody, name="custody"),
    path("receivables/", views.receivables, name="receivables"),
    path("receivables/export/", views.receivables_export, name="receivables_export"),
    path("settings/", views.settings_page, name="settings"),
]
