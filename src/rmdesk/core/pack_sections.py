"""What an industry pack may configure in the kernel (issue 19; rmdesk.core.packs): named user groups and
the approval chains with their steps (SPEC §1 maker-checker; §6 审查→审核→审批; seed 001:1095–1099 the
tobacco promotion nomination: 区域市场经理 reviews, 品牌经理 selects).

The kernel's own `packs.py` is the registry, so this list is reached through its module `__getattr__`
(`rmdesk.core.packs.PACK_MODELS`), which imports this module only when the registry is read (after the apps
are ready). ApprovalChain has no code: a chain's natural key is its kind and name; a step's is its chain and
order. The core app comes first in INSTALLED_APPS, so chains load before any app's rows.
"""

from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from .models import ApprovalChain, ApprovalStep
from .packs import PackModel


def _check_steps(changed) -> None:
    """Every chain a load touched numbers its steps 1, 2, 3… without a gap (the engine starts at step 1 and
    moves to the next order), so a pack cannot leave a chain that stalls on a missing step."""
    errors = {}
    for chain in {step.chain for step in changed}:
        orders = list(chain.steps.order_by("order").values_list("order", flat=True))
        if orders != list(range(1, len(orders) + 1)):
            errors[f"{chain.kind}"] = [
                _("审批链“%(name)s”的步骤应从 1 起连续编号（现为 %(orders)s）。")
                % {"name": chain.name, "orders": ", ".join(map(str, orders))}
            ]
    if errors:
        raise ValidationError(errors)


PACK_MODELS = [
    PackModel("groups", Group, key=("name",)),
    PackModel("approval_chains", ApprovalChain, key=("kind", "name")),
    PackModel(
        "approval_steps",
        ApprovalStep,
        key=("chain", "order"),
        refs={"chain": "approval_chains", "group": "groups"},
        after_load=_check_steps,
    ),
]
