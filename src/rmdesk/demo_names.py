"""Chinese personal and company names for demo and benchmark data (deterministic given the RNG)."""

SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈"
    "姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
)
GIVEN = (
    "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英华建国志强文博宇浩然子涵欣怡梓萱一诺思远俊杰晨曦"
    "雨桐嘉怡佳琪浩宇天佑雅婷晓东海燕春梅红梅玉兰建华建军国庆立新卫东永强"
)
COMPANY_PREFIX = [
    "金陵",
    "钟山",
    "秦淮",
    "玄武",
    "鼓楼",
    "江宁",
    "栖霞",
    "雨花",
    "建邺",
    "浦口",
    "六合",
    "溧水",
    "高淳",
    "紫金",
    "长江",
    "扬子",
    "苏宁",
    "东方",
    "华夏",
    "新城",
]
COMPANY_CORE = [
    "机械",
    "电子",
    "纺织",
    "化工",
    "建材",
    "物流",
    "贸易",
    "食品",
    "医药",
    "科技",
    "软件",
    "能源",
    "环保",
    "印刷",
    "家具",
    "汽配",
    "船舶",
    "农业",
    "餐饮",
    "置业",
]
COMPANY_SUFFIX = ["有限公司", "股份有限公司", "集团有限公司", "有限责任公司"]
OUTLET_SUFFIX = ["便利店", "超市", "烟酒店", "商行", "百货"]


def person_name(rng) -> str:
    given_len = rng.choice((1, 2, 2))
    return rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(given_len))


def company_name(rng) -> str:
    return rng.choice(COMPANY_PREFIX) + rng.choice(COMPANY_CORE) + rng.choice(COMPANY_SUFFIX)


def outlet_name(rng) -> str:
    return rng.choice(COMPANY_PREFIX) + rng.choice(SURNAMES) + "记" + rng.choice(OUTLET_SUFFIX)
