"""Who may do what in the customer archive (SPEC §1 roles and data scope, §2; docs/customers.md).

- create: RMs (they become the A-post), team leads and branch managers (the archive lands in their pool);
- import: team leads, branch managers, back-office assistants;
- export of lists: team leads, branch managers, compliance (always masked);
- reveal one sensitive field: anyone who may see the customer except assistants, with a reason;
- personal-data export and anonymisation: compliance officers;
- ownership changes: anyone with write scope requests, a different team lead / branch manager approves.
"""

from django.core.exceptions import PermissionDenied

from rmdesk.core.roles import RoleCode
from rmdesk.core.scope import paths_q, subtree_paths

from ..models import Customer

SUPERVISOR_ROLES = (RoleCode.TEAM_LEAD, RoleCode.BRANCH_MANAGER)
CREATE_ROLES = (RoleCode.RM, RoleCode.TEAM_LEAD, RoleCode.BRANCH_MANAGER)
IMPORT_ROLES = (RoleCode.TEAM_LEAD, RoleCode.BRANCH_MANAGER, RoleCode.ASSISTANT)
EXPORT_ROLES = (RoleCode.TEAM_LEAD, RoleCode.BRANCH_MANAGER, RoleCode.COMPLIANCE)
REVEAL_ROLES = (RoleCode.RM, RoleCode.TEAM_LEAD, RoleCode.BRANCH_MANAGER, RoleCode.COMPLIANCE, RoleCode.RISK)
PRIVACY_ROLES = (RoleCode.COMPLIANCE,)


def can_create(user):
    return user.has_role(*CREATE_ROLES)


def can_import(user):
    return user.has_role(*IMPORT_ROLES)


def can_export(user):
    return user.has_role(*EXPORT_ROLES)


def can_reveal(user):
    return user.has_role(*REVEAL_ROLES)


def is_supervisor(user):
    return user.has_role(*SUPERVISOR_ROLES)


def can_privacy(user):
    return user.has_role(*PRIVACY_ROLES)


def require(ok: bool, msg: str):
    """Refuse the action (403) unless `ok`."""
    if not ok:
        raise PermissionDenied(msg)


def supervises_all(checker, customer_ids) -> bool:
    """True when `checker` is a supervisor whose write subtree holds every one of the customers
    (who may decide an ownership change or settle a conflict, SPEC §2 maker-checker)."""
    if not is_supervisor(checker):
        return False
    q = paths_q("org_path", subtree_paths(checker, write=True))
    if q is None:
        return False
    return Customer.objects.filter(pk__in=customer_ids).filter(q).count() == len(set(customer_ids))
