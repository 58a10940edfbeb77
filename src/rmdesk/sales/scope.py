"""Visibility of the sales app's records (SPEC §1, §4): one scope function per model family, used by
every list, page, export and API route of the app. Out of scope answers 404.

- opportunities, campaign list entries, hand-outs and recommendations: the owning RM, the customer's
  A/B-post RMs and, through `org_path` (the customer's unit), the subtree managers and overseers;
- sales (the daily log): the RM who sold and the subtree of the customer's unit;
- segments: their author and the subtree of the author's unit;
- campaigns: the subtree of the launching unit, plus everyone who holds a quota or a list entry in it;
- quotas: the RM holding it and the subtree of the unit holding it;
- tasks: the assignee, the assigner and the assignee's subtree;
- referrals: the referrer and the receiving RM (whatever their roles: a referrer sees the referral, never
  the archive) and the subtree of the customer's unit (outlet statistics count what the viewer sees);
- nominations: the nominating RM and the subtree (the chain's deciders see it there);
- the materials' ledger (sales/ledger.py): receipts and write-offs to every reader of materials; a
  hand-out line's customer, RM and campaign to those who see the hand-out, masked for the others.
"""

from django.db.models import Q

from rmdesk.core.scope import ScopeSpec, get_or_404, scope_q, visible

from .models import (
    Campaign,
    CampaignTarget,
    Handout,
    MarketingTask,
    Nomination,
    Opportunity,
    Quota,
    Recommendation,
    Referral,
    Sale,
    Segment,
)

CUSTOMER_OWNERS = ("customer__a_rm", "customer__b_rm")
OPPORTUNITY_SCOPE = ScopeSpec(owner_fields=("owner", *CUSTOMER_OWNERS), path_fields=("org_path",))
SALE_SCOPE = ScopeSpec(owner_fields=("rm",), path_fields=("org_path",))
SEGMENT_SCOPE = ScopeSpec(personal_fields=("owner",), path_fields=("org_path",))
QUOTA_SCOPE = ScopeSpec(owner_fields=("rm",), path_fields=("org_path",))
TARGET_SCOPE = ScopeSpec(owner_fields=("rm", *CUSTOMER_OWNERS), path_fields=("org_path",))
TASK_SCOPE = ScopeSpec(personal_fields=("assignee", "assigned_by"), path_fields=("org_path",))
REFERRAL_SCOPE = ScopeSpec(personal_fields=("referrer", "rm"), path_fields=("org_path",))
HANDOUT_SCOPE = ScopeSpec(owner_fields=("handed_by", *CUSTOMER_OWNERS), path_fields=("org_path",))
#: a hand-out line of the materials' ledger: the same people as its hand-out (sales/ledger.py)
MOVEMENT_HANDOUT_SCOPE = ScopeSpec(owner_fields=("by", *CUSTOMER_OWNERS), path_fields=("org_path",))
NOMINATION_SCOPE = ScopeSpec(owner_fields=("rm",), path_fields=("org_path",))
RECOMMENDATION_SCOPE = ScopeSpec(owner_fields=("by", *CUSTOMER_OWNERS), path_fields=("org_path",))


def visible_opportunities(user, *, write: bool = False):
    return visible(Opportunity.objects.all(), user, OPPORTUNITY_SCOPE, write=write)


def get_opportunity_or_404(user, pk, *, write: bool = False):
    return get_or_404(visible_opportunities(user, write=write), pk)


def visible_sales(user, *, write: bool = False):
    return visible(Sale.objects.all(), user, SALE_SCOPE, write=write)


def visible_segments(user, *, write: bool = False):
    return visible(Segment.objects.all(), user, SEGMENT_SCOPE, write=write)


def visible_quotas(user, *, write: bool = False):
    return visible(Quota.objects.all(), user, QUOTA_SCOPE, write=write)


def visible_targets(user, *, write: bool = False):
    return visible(CampaignTarget.objects.all(), user, TARGET_SCOPE, write=write)


def visible_campaigns(user, *, write: bool = False):
    """Campaigns launched in the user's subtree (changed there only), or read where the user holds a quota
    or works list entries."""
    own = scope_q(user, ScopeSpec(path_fields=("org_path",)), write=write)
    q = own if own is not None else Q(pk__in=[])
    if not write:
        quota_q = scope_q(user, QUOTA_SCOPE)
        if quota_q is not None:
            q |= Q(pk__in=Quota.objects.filter(quota_q).values("campaign_id"))
        target_q = scope_q(user, TARGET_SCOPE)
        if target_q is not None:
            q |= Q(pk__in=CampaignTarget.objects.filter(target_q).values("campaign_id"))
    return Campaign.objects.filter(q)


def get_campaign_or_404(user, pk, *, write: bool = False):
    return get_or_404(visible_campaigns(user, write=write), pk)


def visible_tasks(user, *, write: bool = False):
    return visible(MarketingTask.objects.all(), user, TASK_SCOPE, write=write)


def visible_referrals(user, *, write: bool = False):
    return visible(Referral.objects.all(), user, REFERRAL_SCOPE, write=write)


def visible_handouts(user, *, write: bool = False):
    return visible(Handout.objects.all(), user, HANDOUT_SCOPE, write=write)


def visible_nominations(user, *, write: bool = False):
    return visible(Nomination.objects.all(), user, NOMINATION_SCOPE, write=write)


def visible_recommendations(user, *, write: bool = False):
    return visible(Recommendation.objects.all(), user, RECOMMENDATION_SCOPE, write=write)
