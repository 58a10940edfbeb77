from django.urls import path

from . import export_views, views

app_name = "credit"
urlpatterns = [
    path("", views.application_list, name="application_list"),
    path("export/", export_views.application_export, name="application_export"),
    path("new/", views.application_new, name="application_new"),
    path("<int:pk>/", views.application_detail, name="application_detail"),
    path("<int:pk>/act/<str:action>/", views.application_action, name="application_action"),
    path("<int:pk>/print/", views.application_print, name="application_print"),
    path("<int:pk>/pdf/", views.application_pdf, name="application_pdf"),
    path("<int:pk>/materials/<int:material_pk>/", views.material_download, name="material"),
    path("loans/", views.loan_list, name="loan_list"),
    path("loans/export/", export_views.loan_export, name="loan_export"),
    path("loans/<int:pk>/", views.loan_detail, name="loan_detail"),
    path("loans/<int:pk>/act/<str:action>/", views.loan_action, name="loan_action"),
    path("checks/", views.check_list, name="check_list"),
    path("structure/", views.structure_view, name="structure"),
    path("ratings/", views.rating_list, name="rating_list"),
    path("warnings/", views.warning_board, name="warning_board"),
    path("warnings/<int:pk>/handle/", views.warning_handle, name="warning_handle"),
]
