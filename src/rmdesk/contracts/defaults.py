"""The bank defaults of the contracts app (SPEC §7), seeded by migration 0002 and re-applied by the tests
(transactional tests flush migration data): one template per contract kind, the three custody roles of
seed 004:80, the policy row (30-day expiry window, bad-debt target 2 %, seed 002:241) and the review
chains of kinds "contracts.<kind>" (法律审查 first; amounts of one million and more add 审核 by the team
lead before the branch manager's 审批). Idempotent: nothing that exists is overwritten."""

from decimal import Decimal

KINDS = ("service", "sales", "credit", "payroll", "framework")
KIND_NAMES = {
    "service": "服务协议",
    "sales": "销售合同",
    "credit": "借款合同",
    "payroll": "代发工资协议",
    "framework": "重点客户合作框架协议",
}
LARGE = Decimal("1000000")
CUSTODY_ROLES = ("综合办", "财务部", "政企/业务部门合同管理员")


def approval_kind(kind: str) -> str:
    return f"contracts.{kind}"


BODY = """{合同名称}

合同编号：{合同编号}
甲方：{甲方}
乙方：{乙方}（客户号 {客户号}，证件/统一社会信用代码 {证件号码}）
乙方地址：{客户地址}　法定代表人/负责人：{法定代表人}

甲乙双方本着平等自愿、诚实信用的原则，经协商一致，就{合同类型}事宜订立本合同，条款真实严谨，共同遵守。

第一条　标的：{标的}
第二条　数量：{数量}
第三条　价格：{价格}（合同金额人民币 {合同金额} 元）
第四条　履行期限：{履行期限}（自 {开始日期} 起至 {结束日期} 止）
第五条　履行地点和方式：{地点和方式}
第六条　违约责任：{违约责任}
第七条　争议解决：{争议解决}
第八条　本合同一式三份，分别送达甲方综合办、财务部及业务部门合同管理员保管，经双方签字盖章后生效。

甲方（盖章）：{甲方}　　　经办客户经理：{客户经理}
乙方（盖章）：{乙方}
签订日期：{签署日期}
"""


def seed(apps, schema_editor=None):
    Template = apps.get_model("contracts", "ContractTemplate")
    for kind in KINDS:
        if not Template.objects.filter(kind=kind).exists():
            Template.objects.get_or_create(
                kind=kind, version=1, defaults={"name": f"{KIND_NAMES[kind]}（标准文本）", "body": BODY}
            )
    Role = apps.get_model("contracts", "CustodyRole")
    for order, name in enumerate(CUSTODY_ROLES, start=1):
        Role.objects.get_or_create(name=name, defaults={"order": order})
    Policy = apps.get_model("contracts", "ContractPolicy")
    if not Policy.objects.exists():
        Policy.objects.create(expiry_window_days=30, bad_debt_target=Decimal("2"), collection_target=Decimal("98"))
    Chain = apps.get_model("core", "ApprovalChain")
    Step = apps.get_model("core", "ApprovalStep")
    for kind in KINDS:
        code = approval_kind(kind)
        if Chain.objects.filter(kind=code).exists():
            continue
        small = Chain.objects.create(
            kind=code, name=f"{KIND_NAMES[kind]}审批（法律审查→审批）", max_amount=LARGE, priority=100
        )
        Step.objects.create(chain=small, order=1, name="法律审查", decider="compliance", due_hours=16)
        Step.objects.create(chain=small, order=2, name="审批", decider="supervisor", due_hours=16)
        large = Chain.objects.create(
            kind=code, name=f"{KIND_NAMES[kind]}审批（大额：法律审查→审核→审批）", min_amount=LARGE, priority=100
        )
        Step.objects.create(chain=large, order=1, name="法律审查", decider="compliance", due_hours=16)
        Step.objects.create(chain=large, order=2, name="审核", decider="team_lead", due_hours=16)
        Step.objects.create(chain=large, order=3, name="审批", decider="branch_manager", due_hours=16)


def unseed(apps, schema_editor=None):
    apps.get_model("core", "ApprovalChain").objects.filter(kind__in=[approval_kind(k) for k in KINDS]).delete()
