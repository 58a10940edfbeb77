"""What an industry pack may configure in people development (SPEC §10; rmdesk.core.packs): the training
course catalogue, e.g. the insurance channel's product-knowledge and sales-skill courses that account
managers run for the staff of their bank outlets (seed 001 银行保险: 对所辖渠道网点/支行各层级相关人员进行产品
知识、理财销售技能、销售管理等相关内容培训)."""

from rmdesk.core.packs import PackModel

from .models import Course

PACK_MODELS = [
    PackModel("courses", Course, key=("code",)),
]
