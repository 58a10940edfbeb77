"""Pages of the sales app (SPEC §4)."""

from django.urls import path

from . import config_views, export_views, ledger_views, views

app_name = "sales"
urlpatterns = [
    path("", views.opportunity_board, name="opportunity_board"),
    path("opportunities/export/", export_views.opportunity_export, name="opportunity_export"),
    path("opportunities/new/", views.opportunity_new, name="opportunity_new"),
    path("opportunities/<int:pk>/", views.opportunity_detail, name="opportunity_detail"),
    path("opportunities/<int:pk>/move/", views.opportunity_move, name="opportunity_move"),
    path("log/", views.sale_list, name="sale_list"),
    path("log/new/", views.sale_new, name="sale_new"),
    path("segments/", views.segment_list, name="segment_list"),
    path("campaigns/", views.campaign_list, name="campaign_list"),
    path("campaigns/new/", views.campaign_new, name="campaign_new"),
    path("campaigns/<int:pk>/", views.campaign_detail, name="campaign_detail"),
    path("campaigns/<int:pk>/edit/", views.campaign_edit, name="campaign_edit"),
    path("campaigns/<int:pk>/cancel/", views.campaign_cancel, name="campaign_cancel"),
    path("quotas/<int:pk>/split/", views.quota_split, name="quota_split"),
    path("targets/<int:pk>/result/", views.target_result, name="target_result"),
    path("tasks/", views.task_list, name="task_list"),
    path("tasks/<int:pk>/progress/", views.task_progress, name="task_progress"),
    path("referrals/", views.referral_list, name="referral_list"),
    path("referrals/<int:pk>/decide/", views.referral_decide, name="referral_decide"),
    path("analysis/", views.analysis, name="analysis"),
    path("analysis/stages/<int:stage_id>/", views.funnel_stage, name="funnel_stage"),
    path("materials/", views.material_list, name="material_list"),
    path("materials/ledger/", ledger_views.material_ledger, name="material_ledger"),
    path("materials/ledger/export/", ledger_views.material_ledger_export, name="material_ledger_export"),
    path("handouts/<int:pk>/", views.handout_sheet, name="handout_sheet"),
    path("handouts/<int:pk>/sign/", views.handout_sign, name="handout_sign"),
    path("nominations/<int:pk>/hand-out/", views.nomination_hand_out, name="nomination_hand_out"),
    path("customers/<int:customer_pk>/recommend/", views.recommend, name="recommend"),
    # configuration (sales/config_views.py): stages, lost reasons, cross-sell rules, materials
    path("config/", config_views.config_list, {"kind": "stages"}, name="config"),
    path("config/<slug:kind>/", config_views.config_list, name="config_list"),
    path("config/<slug:kind>/<int:pk>/", config_views.config_edit, name="config_edit"),
    path("config/materials/<int:pk>/receipt/", config_views.material_receipt, name="config_material_receipt"),
]
