"""What an industry pack may configure in contracts (SPEC §7; rmdesk.core.packs; issue 19): the contract policy
(the expiry window, the bad-debt and collection targets of the receivables page) and the contract templates.

Natural keys: the policy by its `code` — there is one policy, "default" (ContractPolicy.current()), so a pack
sets that row; a template by its kind and version. A template a contract was submitted or signed on is never
changed by a load (the text under review and the frozen signed text are rendered from it): the release ships the
new text as the next version instead. A loaded active template is the one drafting uses for its kind from then
on: the older active versions of its kind are turned off, as an administrator's save of a new version does
(services.save_template).
"""

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from rmdesk.core.packs import PackModel

from .models import EDITABLE, Contract, ContractPolicy, ContractTemplate

POLICY_CODE = "default"  # the one row ContractPolicy.current() reads


def _one_policy(changed) -> None:
    """The organisation has one contract policy: a pack sets the "default" row, never a second one."""
    others = [p.code for p in changed if p.code != POLICY_CODE]
    if others:
        raise ValidationError(
            {code: [_("合同管理参数只有一组，代码应为“%(code)s”。") % {"code": POLICY_CODE}] for code in others}
        )


def _templates_in_use(changed) -> None:
    """Check the loaded templates' placeholders, refuse a change to a template a contract was submitted or
    signed on, and make a loaded active template the one in use for its kind."""
    from .services import template_errors

    errors = {}
    for template in changed:
        where = f"{template.kind} v{template.version}"
        problems = template_errors(template.body)
        if problems:
            errors[where] = problems["body"]
        elif Contract.objects.filter(template=template).exclude(status__in=EDITABLE).exists():
            errors[where] = [_("该版本模板已有合同送审或签署，不能修改；请在方案中新增一个版本。")]
    if errors:
        raise ValidationError(errors)
    for template in changed:
        if template.is_active:
            ContractTemplate.objects.filter(kind=template.kind, is_active=True, version__lt=template.version).update(
                is_active=False
            )


PACK_MODELS = [
    PackModel("contract_policy", ContractPolicy, key=("code",), after_load=_one_policy),
    PackModel("contract_templates", ContractTemplate, key=("kind", "version"), after_load=_templates_in_use),
]
