"""What an industry pack may configure in daily work (SPEC §3; rmdesk.core.packs): contact cadence per tier
and the journal, plan and summary templates with their due dates."""

from rmdesk.core.packs import PackModel

from .models import CadenceRule, CadenceSetting, JournalTemplate, VisitWorkflow

PACK_MODELS = [
    PackModel("cadence_rules", CadenceRule, key=("rule_set_code", "tier_code")),
    PackModel("journal_templates", JournalTemplate, key=("code",)),
]

# The visit workflow per industry (issue 19): staff present and advance approval for door-to-door visits.
PACK_MODELS.append(PackModel("visit_workflow", VisitWorkflow, key=("code",)))

# The customer's chosen callback interval per industry (issue 19): off (no row, the bank), shorter or customer.
PACK_MODELS.append(PackModel("cadence_settings", CadenceSetting, key=("code",)))
