"""Pages of the compliance app (SPEC §8)."""

from django.urls import path

from . import views

app_name = "compliance"
urlpatterns = [
    path("", views.index, name="index"),
    path("templates/", views.template_list, name="template_list"),
    path("rounds/", views.round_list, name="round_list"),
    path("rounds/<int:pk>/", views.round_detail, name="round_detail"),
    path("obligations/<int:pk>/", views.obligation_detail, name="obligation"),
    path("signatures/", views.signature_list, name="signature_list"),
    path("signatures/<int:pk>/print/", views.signature_print, name="signature_print"),
    path("signatures/<int:pk>/pdf/", views.signature_pdf, name="signature_pdf"),
    path("signatures/<int:pk>/notice/", views.signature_notice, name="signature_notice"),
    path("violations/", views.violation_list, name="violation_list"),
    path("violations/<int:pk>/", views.violation_detail, name="violation_detail"),
    path("violations/<int:pk>/evidence/", views.violation_evidence, name="violation_evidence"),
    path("gifts/", views.gift_list, name="gift_list"),
    path("gifts/<int:pk>/review/", views.gift_review, name="gift_review"),
    path("services/", views.service_list, name="service_list"),
    path("services/<int:pk>/", views.service_detail, name="service_detail"),
    path("audit/", views.access_audit, name="access_audit"),
    path("audit/export/", views.access_audit_export, name="access_audit_export"),
    path("findings/", views.finding_list, name="finding_list"),
    path("findings/<int:pk>/", views.finding_detail, name="finding_detail"),
    path("reviews/", views.review_list, name="review_list"),
    path("fees/", views.fee_list, name="fee_list"),
    path("fees/<int:pk>/", views.fee_grant_edit, name="fee_grant_edit"),
    path("entitlements/", views.entitlement_list, name="entitlement_list"),
    path("entitlements/new/", views.entitlement_new, name="entitlement_new"),
    path("entitlements/<int:pk>/", views.entitlement_edit, name="entitlement_edit"),
    path("entitlements/<int:pk>/delete/", views.entitlement_delete, name="entitlement_delete"),
    path("thresholds/", views.threshold_list, name="threshold_list"),
    path("thresholds/<int:pk>/", views.threshold_edit, name="threshold_edit"),
    path("reviews/<int:pk>/", views.review_detail, name="review_detail"),
    path("rule-sets/", views.rule_set_list, name="rule_set_list"),
    path("rule-sets/new/", views.rule_set_new, name="rule_set_new"),
    path("rule-sets/<int:pk>/", views.rule_set_edit, name="rule_set_edit"),
]
