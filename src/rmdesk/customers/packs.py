"""What an industry pack may configure in the customer archive (SPEC §2; rmdesk.core.packs): tier rule sets
and their tiers, and the product catalogue."""

from django.utils.translation import gettext as _

from rmdesk.core.packs import PackModel

from .models import Product, QualificationRule, Tier, TierRuleSet


def _use_loaded_rule_sets(changed) -> None:
    """A loaded rule set marked in use becomes the one for its customer kind; the archive of that kind is
    re-tiered against it (as when an administrator switches sets)."""
    from .services.tiers import recompute_all_tiers

    for rule_set in changed:
        if rule_set.is_active:
            TierRuleSet.objects.filter(kind=rule_set.kind).exclude(pk=rule_set.pk).update(is_active=False)
            recompute_all_tiers(rule_set=rule_set, reason=_("装载行业方案：%(name)s") % {"name": rule_set.name})


PACK_MODELS = [
    PackModel(
        "tier_rule_sets",
        TierRuleSet,
        key=("code",),
        after_load=_use_loaded_rule_sets,
        unseeded=("measure", "upgrade_rule", "downgrade_months"),  # added after the seed (issue 19)
    ),
    PackModel("tiers", Tier, key=("rule_set", "code"), refs={"rule_set": "tier_rule_sets"}),
    PackModel("products", Product, key=("code",)),
    PackModel("qualification_rules", QualificationRule, key=("code",)),
]
