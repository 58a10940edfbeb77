"""`{% approval_subject_url req as link %}` (SPEC §1 one inbox): the URL of the business record an approval
request is about, as the owning app's handler gives it for the signed-in viewer (rmdesk.core.approvals.
subject_url); empty when the kind gives none or the viewer may not see the record, so the inbox never links
to a 404."""

from django import template

from rmdesk.core import approvals

register = template.Library()


@register.simple_tag(takes_context=True)
def approval_subject_url(context, req) -> str:
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return ""
    return approvals.subject_url(user, req) or ""
