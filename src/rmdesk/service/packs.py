"""What an industry pack may configure in service (SPEC §5; rmdesk.core.packs): case categories, SLA
policies in working time, churn targets per tier, and retention triggers with their call scripts."""

from rmdesk.core.packs import PackModel

from .models import CaseCategory, ChurnTarget, RetentionTrigger, SlaPolicy

PACK_MODELS = [
    PackModel("case_categories", CaseCategory, key=("code",)),
    PackModel("sla_policies", SlaPolicy, key=("name",), refs={"category": "case_categories"}),
    PackModel("churn_targets", ChurnTarget, key=("name",), refs={"tier": "tiers"}),
    PackModel("retention_triggers", RetentionTrigger, key=("code",)),
]
