from django.urls import path

from . import views
from .picker import picker_suggest

app_name = "customers"
urlpatterns = [
    path("", views.customer_list, name="list"),
    path("new/", views.customer_new, name="new"),
    path("export/", views.customer_export, name="export"),
    path("import/", views.import_page, name="import"),
    path("import/template/<str:kind>/", views.import_template, name="import_template"),
    path("import/<int:pk>/", views.import_detail, name="import_detail"),
    path("import/<int:pk>/errors/", views.import_errors, name="import_errors"),
    path("import/<int:pk>/retry/", views.import_retry, name="import_retry"),
    path("pool/", views.pool, name="pool"),
    path("conflicts/", views.conflicts, name="conflicts"),
    path("conflicts/<int:pk>/", views.conflict_detail, name="conflict_detail"),
    path("handover/", views.handover, name="handover"),
    path("picker/", picker_suggest, name="picker_suggest"),
    path("<int:pk>/", views.customer_detail, name="detail"),
    path("<int:pk>/edit/", views.customer_edit, name="edit"),
    path("<int:pk>/reveal/", views.customer_reveal, name="reveal"),
    path("<int:pk>/add/<str:what>/", views.customer_add, name="add"),
    path("<int:pk>/documents/<int:doc_pk>/", views.document_download, name="document"),
    path("<int:pk>/assign/", views.customer_assign, name="assign"),
    path("<int:pk>/personal-data/", views.customer_personal_data, name="personal_data"),
    path("<int:pk>/anonymise/", views.customer_anonymise, name="anonymise"),
]
