"""What an industry pack may configure in daily work (SPEC §3; rmdesk.core.packs): contact cadence per tier
and the journal, plan and summary templates with their due dates."""

from rmdesk.core.packs import PackModel

from .models import CadenceRule, JournalTemplate

PACK_MODELS = [
    PackModel("cadence_rules", CadenceRule, key=("rule_set_code", "tier_code")),
    PackModel("journal_templates", JournalTemplate, key=("code",)),
]
