"""What an industry pack may configure in service (SPEC §5; rmdesk.core.packs): case categories (with the
quality feedback form a category requires, seed 001 §4.6), the checklist items a category's cases complete
before they close (seed 001 §4.3 入网/退网), SLA policies in working time, churn targets per tier, and
retention triggers with their call scripts."""

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from rmdesk.core.packs import PackModel

from .models import CaseCategory, ChecklistItem, ChurnTarget, RetentionTrigger, SlaPolicy


def _check_items(changed) -> None:
    """Every category a load touched numbers its checklist 1, 2, 3… without a gap, and says each item once."""
    errors = {}
    for category in {item.category for item in changed}:
        items = list(category.checklist_items.order_by("order").values_list("order", "text"))
        orders, texts = [o for o, _t in items], [t.strip() for _o, t in items]
        if orders != list(range(1, len(orders) + 1)):
            errors[category.code] = [
                _("类别“%(name)s”的检查清单应从 1 起连续编号（现为 %(orders)s）。")
                % {"name": category.name, "orders": ", ".join(map(str, orders))}
            ]
        elif len(set(texts)) != len(texts) or not all(texts):
            errors[category.code] = [_("类别“%(name)s”的检查事项不能为空或重复。") % {"name": category.name}]
    if errors:
        raise ValidationError(errors)


PACK_MODELS = [
    PackModel("case_categories", CaseCategory, key=("code",)),
    PackModel(
        "case_checklist_items",
        ChecklistItem,
        key=("category", "order"),
        refs={"category": "case_categories"},
        after_load=_check_items,
    ),
    PackModel("sla_policies", SlaPolicy, key=("name",), refs={"category": "case_categories"}),
    PackModel("churn_targets", ChurnTarget, key=("name",), refs={"tier": "tiers"}),
    PackModel("retention_triggers", RetentionTrigger, key=("code",)),
]
