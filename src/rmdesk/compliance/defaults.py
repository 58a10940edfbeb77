"""The bank defaults of the compliance app (SPEC §8), seeded by migration 0002 (idempotent, never
overwriting what administrators changed):

- pledge templates: 诚信服务承诺书 (seed 001:27–59) and 履职承诺书 (seed 001:65–89) word for word (the
  PDF's page numbers that split one line are removed, nothing else); 自律协议, which the seeds only name
  (001:103), composed from the bans the seeds state, and said so in its source;
- conduct rule sets: 十不准 (named only, 001:105: the ten bans below are the ones the seeds state
  elsewhere, each with its line), 七不准 and 四原则 (named in 履职承诺书 art. 4; their items are the CBRC's
  own, 银监发〔2012〕3号, not seed text);
- approval chains: violations decided by compliance, gifts accepted under the threshold approved by a
  supervisor, special service approved by the branch manager in advance (001:107);
- thresholds: the gift limit and the anomaly rules' numbers.
"""

from decimal import Decimal

VIOLATION_KIND = "compliance.violation"
GIFT_KIND = "compliance.gift"
SERVICE_KIND = "compliance.special_service"

INTEGRITY_TEXT = "客户经理诚信服务承诺书\n\n(客户经理签字,在营销部公示,并向客户发放。营销处监督)\n\n中国石油福建**销售分公司:\n\n作为公司一名客户经理,在今后的工作中我将严格遵守公司相关制度,遵纪守法,认真履行工作职责,为客户提供优质服务。为此我做出以下承诺:\n\n1、严格遵守《中国石油天然气集团公司员工职业道德规范》,自觉遵守国家法律法规,自觉遵守公司制度和相关要求,维护公司和客户权益。\n\n2、自觉履行服务承诺,深入落实公司服务要求,全心全意为客户提供优质服务。按照公司配送销售服务标准,向客户提供售前、售中和售后全过程的优质服务。\n\n3、不收取客户货款,不代客户刷卡,不代客户银行付款。\n\n4、不收受客户赠送钱物,不接受可能影响公平交易的礼物馈赠和宴请,不变相敛取客户财物。\n\n5、不利用岗位和职责便利为自己、亲属及其他人员谋取私利。\n\n6、不向竞争单位或有利害关系的单位泄露公司销售价格、销售策略、库存情况等商业秘密。\n\n7、不跨区销售,相互窜货,不与公司其他客户经理争夺客户,内部恶性竞争。\n\n8、树立重信誉、守信用、讲诚信的良好形象,不为追求销售业绩而不讲诚信或故意编造虚假市场信息欺骗客户。\n\n9、及时协调处理销售业务开展过程中的数质量等纠纷,维护公司和客户权益。\n\n10、认真履行岗位职责,服从公司安排。本责任书一式两份,公司和客户经理各一份。"  # noqa: E501  (seed text, word for word)
DUTY_TEXT = "客户经理履职承诺书\n\n本人在经营过程中切实履行以下承诺:\n\n一、本人承诺在今后的工作中,牢固树立“合规人人有责、合规创造价值”的合规理念,自觉遵守法律、行政法规和各项内部规章制度,规范操作,合规经营,爱岗敬业,以满足客户需求为宗旨,提供全方位的金融服务。\n\n二、对客户提出的业务咨询,做到态度诚恳,有问必答。不随意拒绝客户的业务需求,确实不具备条件无法办理的,耐心做好解释说明。\n\n三、为客户办理信贷业务,积极主动,限时服务。对符合贷款条件,资料齐全情况下,客户经理负责在3-5个工作日内报送上级部门审查,并及时跟踪,尽早到位。\n\n四、严格遵守金融市场秩序,不采用不正当手段吸收存款、发放贷款,执行银监会关于信贷业务“七不准”和服务收费“四原则”的要求,规范贷款行为,自觉维护金融消费者合法利益。\n\n五、不利用工作之便,为单位和个人搞交易、谋取私利;不利用职务之便,向客户吃、拿、卡、要、报;不接受客户的酬金、礼品、有价证券;不参加可能对公务执行有影响的宴请活动;不在上班时间参加与业务无关的活动。\n\n六、严格规范个人从业行为,不作出损害银行利益的行为,在工作和生活中做到:一是严守职业道德和银行从业人员规范,认真履行岗位职责;二是本人不经商、不办企业,不在其他经济实体中兼职或兼职取酬;三是廉洁自律,不以职务便利谋取不正当利益;四是不作损害银行利益的行为;五是不参与高利贷、非法集资等违法金融活动;六是不参与封建迷信及邪教活动等。\n\n七、自觉接受行总部、所在机构和社会公众的监督,如有任何违规行为,本人自愿按照《安徽省农村合作金融机构工作人员违规行为处理办法》等相关规定,无条件接受经济处罚、降低薪酬系数、免职直至解除劳动合同等处理。\n\n八、本承诺书一式二份,行总部、承诺人各保留壹份。"  # noqa: E501  (seed text, word for word)

SELF_DISCIPLINE_TEXT = (
    "客户经理自律协议\n\n"
    "本人作为客户经理,与所在支行签订本协议,在守法合规的同时加强自律,自觉接受监督管理:\n\n"
    "一、自觉遵守客户经理十不准规定。\n\n"
    "二、为客户保密,不得利用工作之便随意调取他人的个人资料。\n\n"
    "三、客户维护与业务操作相分离,不进行临柜记账,严禁串岗操作。\n\n"
    "四、严禁代替客户签字,不向客户索取各种实物和钱款,不在客户处就餐。\n\n"
    "五、对客户提出的特殊服务要求,上门服务必须报经分管行长批准,由双人办理,并做好记录备查。\n\n"
    "六、接受相互监督、分层管理,接受A、B岗相互复查。\n\n"
    "本协议一式两份,支行与客户经理各执一份。"
)

TEMPLATES = (
    {
        "kind": "integrity",
        "title": "客户经理诚信服务承诺书",
        "body": INTEGRITY_TEXT,
        "signature_block": "客户经理:(签字){signer}\n\n签订日期:{date}",
        "source": "种子文件 001 第 27–59 行(原文)",
        "is_public": True,
    },
    {
        "kind": "duty",
        "title": "客户经理履职承诺书",
        "body": DUTY_TEXT,
        "signature_block": "承诺人:(签字){signer}\n\n{date}",
        "source": "种子文件 001 第 65–89 行(原文)",
        "is_public": False,
    },
    {
        "kind": "self_discipline",
        "title": "客户经理自律协议",
        "body": SELF_DISCIPLINE_TEXT,
        "signature_block": "客户经理:(签字){signer}\n\n签订日期:{date}",
        "source": "种子文件仅提及(001 第 103 行),条款依据种子文件所列禁止性规定整理",
        "is_public": False,
    },
)

#: (code, name, source, [(text, severity, points)])
RULE_SETS = (
    (
        "ten_bans",
        "客户经理十不准",
        "种子文件仅提及名称(001:105);以下十条取自种子文件明文规定的禁止事项",
        [
            ("不收取客户货款,不代客户刷卡,不代客户银行付款(001:39)", "serious", Decimal("5")),
            ("不收受客户赠送钱物,不接受可能影响公平交易的礼物馈赠和宴请(001:41)", "serious", Decimal("5")),
            ("不利用岗位和职责便利为自己、亲属及其他人员谋取私利(001:43)", "grave", Decimal("10")),
            ("不泄露销售价格、销售策略等商业秘密,为客户保密(001:45、001:114)", "grave", Decimal("10")),
            ("不与其他客户经理争夺客户,内部恶性竞争(001:47)", "minor", Decimal("2")),
            ("不得利用工作之便随意调取他人的个人资料(004:72–73)", "serious", Decimal("5")),
            ("严禁串岗操作,不得进行临柜记账(001:116)", "serious", Decimal("5")),
            ("严禁代替客户签字(002:251)", "serious", Decimal("5")),
            ("不准向客户索取各种实物和钱款,不准在客户处就餐(002:255–259)", "serious", Decimal("5")),
            ("除客户方原因外,不得失约(004:176)", "minor", Decimal("2")),
        ],
    ),
    (
        "seven_bans",
        "信贷业务七不准",
        "履职承诺书第四条(001:75)提及;条款为银监会《关于整治银行业金融机构不规范经营的通知》(银监发〔2012〕3号)原文",
        [
            ("不得以贷转存", "serious", Decimal("5")),
            ("不得存贷挂钩", "serious", Decimal("5")),
            ("不得以贷收费", "serious", Decimal("5")),
            ("不得浮利分费", "serious", Decimal("5")),
            ("不得借贷搭售", "serious", Decimal("5")),
            ("不得一浮到顶", "minor", Decimal("2")),
            ("不得转嫁成本", "minor", Decimal("2")),
        ],
    ),
    (
        "four_principles",
        "服务收费四原则",
        "履职承诺书第四条(001:75)提及;条款为银监发〔2012〕3号原文",
        [
            ("合规收费", "minor", Decimal("2")),
            ("以质定价", "minor", Decimal("2")),
            ("公开透明", "minor", Decimal("2")),
            ("依法披露", "minor", Decimal("2")),
        ],
    ),
)

#: (code, name, value, description)
THRESHOLDS = (
    ("gift_limit", "礼品接受限额(元)", Decimal("200"), "估值不超过此数的礼品经审批可以接受,超过的一律不得接受"),
    ("out_of_book_views", "单日查看非管户客户数", Decimal("30"), "一人一天查看非本人A/B岗客户达到此数即为异常"),
    ("exports_per_day", "单日导出次数", Decimal("3"), "一人一天导出客户数据达到此次数即为异常"),
    ("export_rows", "单次导出行数", Decimal("1000"), "一次导出达到此行数即为批量导出"),
    ("reveal_follow_days", "查看明文后联系期限(天)", Decimal("3"), "查看敏感信息明文后此天数内未与该客户联系即为异常"),
    ("work_start_hour", "工作开始时间(时)", Decimal("7"), "早于此时访问客户信息为非工作时间"),
    ("work_end_hour", "工作结束时间(时)", Decimal("21"), "晚于此时访问客户信息为非工作时间"),
    (
        "off_hours_events",
        "非工作时间访问次数",
        Decimal("3"),
        "一天内非工作时间(含非营业日)访问客户信息达到此数即为异常",
    ),
    ("departed_views", "查看离职客户经理客户数", Decimal("3"), "一天内查看仍由离职客户经理管户的客户达到此数即为异常"),
    ("review_days", "交叉复查期限(天)", Decimal("10"), "每月结束后此天数内完成A/B岗交叉复查"),
    ("statement_days", "申辩期限(工作日)", Decimal("3"), "违规记录登记后当事人申辩的期限"),
)

#: kind -> (chain name, [(order, step name, decider, due hours)])
CHAINS = {
    VIOLATION_KIND: ("违规认定(合规审定)", [(1, "合规审定", "compliance", 24)]),
    GIFT_KIND: ("礼品接受审批", [(1, "审批", "supervisor", 16)]),
    SERVICE_KIND: ("上门服务审批(分管行长)", [(1, "分管行长审批", "branch_manager", 8)]),
}


def seed(apps, schema_editor=None):
    Template = apps.get_model("compliance", "PledgeTemplate")
    for spec in TEMPLATES:
        Template.objects.get_or_create(kind=spec["kind"], version=1, defaults=spec)
    RuleSet = apps.get_model("compliance", "ConductRuleSet")
    Rule = apps.get_model("compliance", "ConductRule")
    for code, name, source, rules in RULE_SETS:
        rule_set, created = RuleSet.objects.get_or_create(code=code, defaults={"name": name, "source": source})
        if created:
            for order, (text, severity, points) in enumerate(rules, start=1):
                Rule.objects.create(rule_set=rule_set, order=order, text=text, severity=severity, points=points)
    Threshold = apps.get_model("compliance", "Threshold")
    for code, name, value, description in THRESHOLDS:
        Threshold.objects.get_or_create(code=code, defaults={"name": name, "value": value, "description": description})
    Chain = apps.get_model("core", "ApprovalChain")
    Step = apps.get_model("core", "ApprovalStep")
    for kind, (name, steps) in CHAINS.items():
        if not Chain.objects.filter(kind=kind).exists():
            chain = Chain.objects.create(kind=kind, name=name, priority=100, is_active=True)
            for order, step_name, decider, hours in steps:
                Step.objects.create(chain=chain, order=order, name=step_name, decider=decider, due_hours=hours)


def unseed(apps, schema_editor=None):
    apps.get_model("core", "ApprovalChain").objects.filter(kind__in=list(CHAINS)).delete()
