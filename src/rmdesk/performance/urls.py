"""Pages of the performance app (SPEC §9)."""

from django.urls import path

from . import export_views, group_views, rule_views, views

app_name = "performance"
urlpatterns = [
    path("", views.my_results, name="my_results"),
    path("results/export/", export_views.result_export, name="result_export"),
    path("results/<int:pk>/", views.result_detail, name="result_detail"),
    path("results/<int:pk>/act/<str:action>/", views.result_action, name="result_action"),
    path("items/<int:pk>/records/", views.item_records, name="item_records"),
    path("runs/", views.run_list, name="run_list"),
    path("runs/compute/", views.run_compute, name="run_compute"),
    path("runs/<int:pk>/", views.run_detail, name="run_detail"),
    path("runs/<int:pk>/act/<str:action>/", views.run_action, name="run_action"),
    path("runs/<int:pk>/pay.xlsx", views.run_pay_sheet, name="run_pay_sheet"),
    path("scorecards/", views.scorecard_list, name="scorecard_list"),
    path("scorecards/new/", views.scorecard_new, name="scorecard_new"),
    path("scorecards/<int:pk>/", views.scorecard_detail, name="scorecard_detail"),
    path("ahp/", views.ahp_check, name="ahp_check"),
    path("letters/", views.letter_list, name="letter_list"),
    path("letters/<int:pk>/", views.letter_detail, name="letter_detail"),
    path("indicators/", views.indicator_list, name="indicator_list"),
    path("advice/", views.advice_list, name="advice_list"),
    path("advice/<int:pk>/act/<str:action>/", views.advice_action, name="advice_action"),
    path("groups/<int:pk>/", group_views.group_detail, name="group_detail"),
    path("pay-rules/", rule_views.pay_rule_list, name="pay_rule_list"),
    path("pay-rules/<int:pk>/", rule_views.pay_rule_edit, name="pay_rule_edit"),
    path("promotion-rules/", rule_views.promotion_rule_list, name="promotion_rule_list"),
    path("promotion-rules/<int:pk>/", rule_views.promotion_rule_edit, name="promotion_rule_edit"),
    path("manual-values/<int:pk>/", rule_views.manual_value_detail, name="manual_value_detail"),
]
