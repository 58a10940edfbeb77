"""The market research report (市场调研报告, SPEC §11; seed 001:563–569) as a work journal template: the RM fills
its sections (the seed's four kinds of research and its four steps, from purpose to the written conclusions)
and submits it; the supervisor returns it with comments or accepts it. The journal machinery of the work app
already gives the versioning (409), the audit, the scope and the review trail, so the report is configured,
not built (docs/analytics.md). Quarterly and optional: an RM writes at most one a quarter."""

from django.db import migrations

SECTIONS = [
    {"key": "purpose", "title": "一、调研目的和范围", "help": "确定调研目的和范围"},
    {"key": "design", "title": "二、调查方案（对象、方法、时间安排）", "help": "设计调查方案"},
    {
        "key": "environment",
        "title": "三、市场环境（宏观：政治、法律、经济、技术、社会文化；微观：客户、同业、中介与公众）",
        "help": "市场环境调查",
    },
    {"key": "marketing_mix", "title": "四、营销组合（产品、价格、渠道、促销）", "help": "营销组合调查"},
    {"key": "customers", "title": "五、客户（需求、细分与目标客户群）", "help": "客户调查"},
    {"key": "competitors", "title": "六、竞争对手（产品、价格、服务与市场份额）", "help": "竞争对手调查"},
    {"key": "collection", "title": "七、方案实施与信息收集处理", "help": "实施方案，收集和处理信息"},
    {"key": "conclusions", "title": "八、结论和建议", "help": "撰写调研报告，得出结论和建议"},
]


def add_template(apps, schema_editor):
    JournalTemplate = apps.get_model("work", "JournalTemplate")
    JournalTemplate.objects.get_or_create(
        code="market_research",
        defaults={
            "name": "市场调研报告",
            "period": "quarter",
            "sections": SECTIONS,
            "due_anchor": "end",
            "due_offset_days": 0,
            "due_day": 5,
            "move_to_working_day": True,
            "required": False,
            "order": 70,
        },
    )


def remove_template(apps, schema_editor):
    JournalTemplate = apps.get_model("work", "JournalTemplate")
    Journal = apps.get_model("work", "Journal")
    if not Journal.objects.filter(template__code="market_research").exists():
        JournalTemplate.objects.filter(code="market_research").delete()


class Migration(migrations.Migration):
    dependencies = [
        ("analytics", "0001_initial"),
        ("work", "0009_visit_workflow"),
    ]

    operations = [migrations.RunPython(add_template, remove_template)]
