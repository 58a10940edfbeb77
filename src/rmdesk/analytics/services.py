"""Business actions of the analytics app (SPEC §11): exporting a report is audited like any export of
customer figures (who, which report, which period and unit, which format)."""

from django.utils.translation import gettext as _

from rmdesk.core import audit
from rmdesk.core.actions import business_action
from rmdesk.core.roles import RoleCode
from rmdesk.org.models import OrgUnit

from . import exports
from .reports import Report

#: who reads the reports: people who do or supervise customer work, and the risk and compliance officers
READERS = (RoleCode.RM, RoleCode.TEAM_LEAD, RoleCode.BRANCH_MANAGER, RoleCode.RISK, RoleCode.COMPLIANCE)


def bank_name() -> str:
    root = OrgUnit.get_root_nodes().first()
    return root.name if root else _("客户经理工作台")


@business_action(roles=READERS, name="analytics.export_report")
def export_report(actor, report: Report, fmt: str) -> tuple[bytes, str, str]:
    """The report as Excel or PDF: (content, content type, file name)."""
    audit.record(
        actor,
        "analytics.export_report",
        object_type="analytics.report",
        object_id=report.key,
        format=fmt,
        start=report.start.isoformat(),
        end=report.end.isoformat(),
        unit=getattr(report.unit, "path", ""),
    )
    stem = f"{report.key}-{report.start:%Y%m%d}-{report.end:%Y%m%d}"
    if fmt == "pdf":
        return exports.to_pdf(report, user=actor, bank_name=bank_name()), "application/pdf", f"{stem}.pdf"
    return (
        exports.to_xlsx(report, user=actor),
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        f"{stem}.xlsx",
    )
