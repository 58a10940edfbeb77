"""The bank defaults of the credit app (SPEC §6), seeded by migration 0002 and re-applied by tests
(transactional tests flush migration data): three products and the review chain of kind
"credit.application" (审查 → 审核 → 审批, decided by risk officers and the branch manager).
Administrators edit both in the admin; `seed` never overwrites what exists."""

from decimal import Decimal

KIND = "credit.application"

PRODUCTS = (
    {
        "code": "PL01",
        "name": "个人消费贷款",
        "kind": "consumer",
        "min_amount": Decimal("10000"),
        "max_amount": Decimal("500000"),
        "min_term": 1,
        "max_term": 60,
        "large_threshold": Decimal("300000"),
        "required_materials": ["identity", "income", "credit_report"],
    },
    {
        "code": "OP01",
        "name": "个人经营贷款",
        "kind": "operating",
        "min_amount": Decimal("50000"),
        "max_amount": Decimal("3000000"),
        "min_term": 3,
        "max_term": 36,
        "large_threshold": Decimal("1000000"),
        "required_materials": ["identity", "license", "credit_report", "financials"],
    },
    {
        "code": "CP01",
        "name": "流动资金贷款",
        "kind": "corporate",
        "min_amount": Decimal("500000"),
        "max_amount": Decimal("50000000"),
        "min_term": 3,
        "max_term": 36,
        "large_threshold": Decimal("5000000"),
        "required_materials": ["license", "financials", "credit_report"],
    },
)

#: (order, name, decider role, due working hours)
STEPS = ((1, "审查", "risk", 16), (2, "审核", "risk", 16), (3, "审批", "branch_manager", 16))

CHECKLIST = [
    "客户提供资料的真实性、完整性、有效性",
    "客户的资信及品行",
    "客户及其担保人的资产、生产经营状况和市场前景",
    "客户的担保能力",
    "客户收入的真实性及还款来源",
    "贷款风险及综合效益",
]


def seed(apps, schema_editor=None):
    Product = apps.get_model("credit", "CreditProduct")
    for spec in PRODUCTS:
        Product.objects.get_or_create(code=spec["code"], defaults={**spec, "checklist": list(CHECKLIST)})
    Chain = apps.get_model("core", "ApprovalChain")
    Step = apps.get_model("core", "ApprovalStep")
    if not Chain.objects.filter(kind=KIND).exists():
        chain = Chain.objects.create(kind=KIND, name="授信审批（审查→审核→审批）", priority=100, is_active=True)
        for order, name, decider, hours in STEPS:
            Step.objects.create(chain=chain, order=order, name=name, decider=decider, levels_up=0, due_hours=hours)


def unseed(apps, schema_editor=None):
    apps.get_model("core", "ApprovalChain").objects.filter(kind=KIND).delete()
