from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ServiceConfig(AppConfig):
    name = "rmdesk.service"
    label = "service"
    verbose_name = _("客户服务与投诉")

    def ready(self):
        from django.db.models.signals import post_save

        from rmdesk.customers.models import Customer
        from rmdesk.org import nav

        from . import churn, hooks

        post_save.connect(churn.on_customer_saved, sender=Customer, dispatch_uid="service.churn_watch")
        nav.register(nav.NavItem("service_cases", _("投诉与服务"), "service:case_list",
                                 roles=("rm", "team_lead", "branch_manager", "risk", "compliance", "assistant"), order=40))
        nav.register(nav.NavItem("service_surveys", _("满意度调查"), "service:survey_list",
                                 roles=("rm", "team_lead", "branch_manager", "risk", "compliance", "assistant"), order=41))
        nav.register(nav.NavItem("service_churn", _("流失预警"), "service:churn",
                                 roles=("rm", "team_lead", "branch_manager", "risk", "compliance", "assistant"), order=42))
        nav.register(nav.NavItem("service_sla", _("SLA 统计"), "service:sla_stats",
                                 roles=("team_lead", "branch_manager", "risk", "compliance"), order=43))
        hooks.register()
