"""What an industry pack may configure in compliance (SPEC §8; rmdesk.core.packs): the thresholds the rules
read and the pledge templates.

Natural keys: a threshold by its code; a pledge template by its kind and version. A signed text never changes
(signatures point at the version they signed): a pack release that changes a template already used by a
signing round is refused; it ships the new text as the next version instead.
"""

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from rmdesk.core.packs import PackModel

from .models import PledgeTemplate, SigningRound, Threshold


def _signed_texts_stay(changed) -> None:
    used = [t for t in changed if SigningRound.objects.filter(template=t).exists()]
    if used:
        raise ValidationError(
            {f"{t.kind} v{t.version}": [_("该版本已用于签署，不能修改；请在方案中新增一个版本。")] for t in used}
        )


PACK_MODELS = [
    PackModel("thresholds", Threshold, key=("code",)),
    PackModel("pledge_templates", PledgeTemplate, key=("kind", "version"), after_load=_signed_texts_stay),
]
