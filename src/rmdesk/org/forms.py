"""Forms of the org app's pages (SPEC §1)."""

from django import forms
from django.utils.translation import gettext_lazy as _

from rmdesk.core.models import DecisionKind

APPROVAL_ACTIONS = [*DecisionKind.choices, ("resubmit", _("重新提交")), ("cancel", _("撤回"))]


class ApprovalActionForm(forms.Form):
    """One action in the inbox: a decision on a pending step, or the maker's resubmit / withdraw."""

    request_id = forms.IntegerField(min_value=1)
    decision = forms.ChoiceField(label=_("审批结论"), choices=APPROVAL_ACTIONS)
    version = forms.IntegerField(label=_("版本"), min_value=1)
    comment = forms.CharField(label=_("审批意见"), required=False, max_length=2000)
