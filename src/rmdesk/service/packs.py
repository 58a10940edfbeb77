"""What an industry pack may configure in service (SPEC §5; rmdesk.core.packs): case categories, SLA
policies in working time, and churn targets per tier."""

from rmdesk.core.packs import PackModel

from .models import CaseCategory, ChurnTarget, SlaPolicy

PACK_MODELS = [
    PackModel("case_categories", CaseCategory, key=("code",)),
    PackModel("sla_policies", SlaPolicy, key=("name",), refs={"category": "case_categories"}),
    PackModel("churn_targets", ChurnTarget, key=("name",), refs={"tier": "tiers"}),
]
