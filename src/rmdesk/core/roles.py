"""Role codes and the role groups the apps share (SPEC §1): one place, so a menu item, a page and a
service agree on who may use them."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class RoleCode(models.TextChoices):
    RM = "rm", _("客户经理")
    TEAM_LEAD = "team_lead", _("团队长/网点负责人")
    BRANCH_MANAGER = "branch_manager", _("分管行长")
    RISK = "risk", _("风险经理")
    COMPLIANCE = "compliance", _("合规/审计")
    ASSISTANT = "assistant", _("产品经理/助理")
    REFERRER = "referrer", _("大堂经理/柜员")
    ADMIN = "admin", _("系统管理员")


#: people who manage staff and decide their requests (team lead, branch manager)
SUPERVISORS = (RoleCode.TEAM_LEAD, RoleCode.BRANCH_MANAGER)
#: people who do customer work themselves or supervise it
WORKERS = (RoleCode.RM, RoleCode.TEAM_LEAD, RoleCode.BRANCH_MANAGER)
#: read-only overseers of a subtree
READ_ONLY_OVERSEERS = (RoleCode.RISK, RoleCode.COMPLIANCE, RoleCode.ASSISTANT)
#: everyone who may read customer work in their scope
READERS = WORKERS + READ_ONLY_OVERSEERS
#: people who see no customer data by default
NO_CUSTOMER_DATA = (RoleCode.REFERRER, RoleCode.ADMIN)


def is_admin(user) -> bool:
    return bool(getattr(user, "is_superuser", False) or user.has_role(RoleCode.ADMIN))
