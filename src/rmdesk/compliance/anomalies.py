"""The anomaly report (SPEC §8 access audit): rules over one day of the audit trail, with their
thresholds in the database (compliance.Threshold). Each rule answers findings per person; a finding is
created once (rule, person, day, key), so running the day again adds nothing.

- out_of_book: a person views many customers who are not in their own book (A- or B-post);
- exports: many exports in a day, or one export of many rows;
- reveal_no_contact: a sensitive field revealed, and no contact with that customer recorded by the
  same person within the follow-up days (checked on the day that window ends);
- off_hours: customer data accessed outside working hours or on a non-working day;
- departed: views of customers still booked to an RM who has left;
- fee_beyond: a fee waived or discounted on the day beyond the customer's tier entitlement (account-change
  monitoring, seed 001:135 "对优质客户的优惠是否到位,对该收取的费用是否及时入账").
"""

from collections import defaultdict
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from rmdesk.core import calendar
from rmdesk.core.models import AuditEvent
from rmdesk.core.roles import RoleCode
from rmdesk.org.models import StaffStatus, User

from .models import AnomalyRule, Finding
from .scope import ACCESS_ACTIONS

EXPORT_ACTIONS = ("customers.export", "customers.personal_data_export")


def _threshold(code, default):
    from .services import threshold

    return threshold(code, Decimal(default))


def day_bounds(day: date):
    tz = timezone.get_current_timezone()
    start = datetime.combine(day, time.min, tz)
    return start, start + timedelta(days=1)


def officers_for(org_path: str) -> list:
    """Active compliance officers whose unit's subtree holds `org_path`."""
    officers = User.objects.filter(is_active=True, roles__code=RoleCode.COMPLIANCE, unit__isnull=False).select_related(
        "unit"
    )
    return [o for o in officers.distinct() if org_path.startswith(o.unit.path)]


def _events(day: date, actions):
    start, end = day_bounds(day)
    return AuditEvent.objects.filter(at__gte=start, at__lt=end, action__in=actions, actor__isnull=False).order_by("id")


def _customer_ids(events) -> set[int]:
    return {int(e.object_id) for e in events if e.object_type == "customers.customer" and e.object_id.isdigit()}


def out_of_book(day: date) -> list[dict]:
    from rmdesk.customers.models import Customer

    limit = int(_threshold("out_of_book_views", 30))
    by_actor = defaultdict(list)
    for e in _events(day, ("customers.view",)):
        by_actor[e.actor_id].append(e)
    out = []
    for actor_id, events in by_actor.items():
        ids = _customer_ids(events)
        own = set(
            Customer.objects.filter(pk__in=ids)
            .filter(Q(a_rm_id=actor_id) | Q(b_rm_id=actor_id))
            .values_list("pk", flat=True)
        )
        foreign = ids - own
        if len(foreign) >= limit:
            kept = [e.pk for e in events if e.object_id.isdigit() and int(e.object_id) in foreign]
            out.append(
                {
                    "rule": AnomalyRule.OUT_OF_BOOK,
                    "person": actor_id,
                    "count": len(foreign),
                    "events": kept,
                    "detail": _("查看非本人管户客户 %(n)d 户（阈值 %(t)d）") % {"n": len(foreign), "t": limit},
                }
            )
    return out


def exports(day: date) -> list[dict]:
    per_day = int(_threshold("exports_per_day", 3))
    rows_limit = int(_threshold("export_rows", 1000))
    by_actor = defaultdict(list)
    for e in _events(day, EXPORT_ACTIONS):
        by_actor[e.actor_id].append(e)
    out = []
    for actor_id, events in by_actor.items():
        if len(events) >= per_day:
            out.append(
                {
                    "rule": AnomalyRule.EXPORTS,
                    "person": actor_id,
                    "key": "count",
                    "count": len(events),
                    "events": [e.pk for e in events],
                    "detail": _("当天导出 %(n)d 次（阈值 %(t)d）") % {"n": len(events), "t": per_day},
                }
            )
        for e in events:
            rows = ((e.summary or {}).get("after") or {}).get("rows") or 0
            if isinstance(rows, int) and rows >= rows_limit:
                out.append(
                    {
                        "rule": AnomalyRule.EXPORTS,
                        "person": actor_id,
                        "key": f"bulk:{e.pk}",
                        "count": rows,
                        "events": [e.pk],
                        "detail": _("一次导出 %(n)d 行（阈值 %(t)d）") % {"n": rows, "t": rows_limit},
                    }
                )
    return out


def reveal_no_contact(day: date) -> list[dict]:
    """Reveals made `follow_days` before `day` with no contact recorded by the same person since."""
    follow = int(_threshold("reveal_follow_days", 3))
    reveal_day = day - timedelta(days=follow)
    out = []
    reveals = list(_events(reveal_day, ("customers.reveal",)))
    if not reveals:
        return out
    _start, window_end = day_bounds(day)
    contacts = AuditEvent.objects.filter(
        action="work.interaction_recorded", at__gte=reveals[0].at, at__lt=window_end, actor__isnull=False
    )
    contacted = set()
    for c in contacts:
        customer = ((c.summary or {}).get("after") or {}).get("customer")
        contacted.add((c.actor_id, str(customer), c.at))
    seen = set()
    for r in reveals:
        key = (r.actor_id, r.object_id)
        if key in seen:
            continue
        if any(a == r.actor_id and cust == r.object_id and at >= r.at for a, cust, at in contacted):
            continue
        seen.add(key)
        out.append(
            {
                "rule": AnomalyRule.REVEAL_NO_CONTACT,
                "person": r.actor_id,
                "day": reveal_day,
                "key": f"customer:{r.object_id}",
                "count": 1,
                "events": [r.pk],
                "detail": _("查看客户 #%(c)s 敏感信息明文后 %(d)d 天内未联系该客户") % {"c": r.object_id, "d": follow},
            }
        )
    return out


def off_hours(day: date) -> list[dict]:
    start_hour = int(_threshold("work_start_hour", 7))
    end_hour = int(_threshold("work_end_hour", 21))
    limit = int(_threshold("off_hours_events", 3))
    working = calendar.is_working_day(day)
    by_actor = defaultdict(list)
    for e in _events(day, ACCESS_ACTIONS):
        hour = timezone.localtime(e.at).hour
        if not working or hour < start_hour or hour >= end_hour:
            by_actor[e.actor_id].append(e)
    return [
        {
            "rule": AnomalyRule.OFF_HOURS,
            "person": actor_id,
            "count": len(events),
            "events": [e.pk for e in events],
            "detail": (_("非营业日访问客户信息 %(n)d 次") if not working else _("非工作时间访问客户信息 %(n)d 次"))
            % {"n": len(events)},
        }
        for actor_id, events in by_actor.items()
        if len(events) >= limit
    ]


def departed(day: date) -> list[dict]:
    from rmdesk.customers.models import Customer

    limit = int(_threshold("departed_views", 3))
    by_actor = defaultdict(list)
    for e in _events(day, ("customers.view",)):
        by_actor[e.actor_id].append(e)
    ids = set().union(*(_customer_ids(ev) for ev in by_actor.values())) if by_actor else set()
    left = dict(
        Customer.objects.filter(pk__in=ids)
        .filter(Q(a_rm__status=StaffStatus.LEFT) | Q(a_rm__is_active=False))
        .values_list("pk", "a_rm_id")
    )
    out = []
    for actor_id, events in by_actor.items():
        hits = {cid for cid in _customer_ids(events) if cid in left and left[cid] != actor_id}
        if len(hits) >= limit:
            out.append(
                {
                    "rule": AnomalyRule.DEPARTED,
                    "person": actor_id,
                    "count": len(hits),
                    "events": [e.pk for e in events if e.object_id.isdigit() and int(e.object_id) in hits],
                    "detail": _("查看离职客户经理名下客户 %(n)d 户（阈值 %(t)d）") % {"n": len(hits), "t": limit},
                }
            )
    return out


def fee_beyond(day: date) -> list[dict]:
    from .models import FeeGrant
    from .services import grants_beyond_entitlement

    start = timezone.make_aware(datetime.combine(day, time.min))
    corrected = Q(changed_at__gte=start, changed_at__lt=start + timedelta(days=1))
    grants = FeeGrant.objects.filter(Q(granted_on=day) | corrected).select_related("customer").order_by("id")
    flagged = grants_beyond_entitlement(grants)
    events = dict(
        AuditEvent.objects.filter(
            action__in=("compliance.fee_grant", "compliance.fee_grant_changed"),
            object_id__in=[str(g.pk) for g, _d, _a in flagged],
        )
        .order_by("id")
        .values_list("object_id", "pk")
    )
    return [
        {
            "rule": AnomalyRule.FEE_BEYOND,
            "person": g.granted_by_id,
            "key": f"fee:{g.pk}",
            "count": 1,
            "events": [events[str(g.pk)]] if str(g.pk) in events else [],
            "detail": _fee_detail(g, discount, allowed),
        }
        for g, discount, allowed in flagged
    ]


def _fee_detail(g, discount, allowed):
    if discount <= allowed:  # within the percentage: the per-grant amount cap was passed
        return _("客户 %(c)s 的%(k)s减免 %(m)s 元，超出其层级权益单笔上限") % {
            "c": g.customer.customer_no,
            "k": g.get_fee_kind_display(),
            "m": g.standard_fee - g.charged_fee,
        }
    return _("客户 %(c)s 的%(k)s减免 %(d)s%%，超出其层级权益上限 %(a)s%%") % {
        "c": g.customer.customer_no,
        "k": g.get_fee_kind_display(),
        "d": discount,
        "a": allowed,
    }


RULES = (out_of_book, exports, reveal_no_contact, off_hours, departed, fee_beyond)


def detect(day: date, rules=RULES) -> list[Finding]:
    """Every rule (or the ones given) over `day`; the findings created now (a finding already recorded is
    not repeated)."""
    candidates = [c for rule in rules for c in rule(day)]
    people = {
        u.pk: u for u in User.objects.filter(pk__in={c["person"] for c in candidates}).select_related("unit", "team")
    }
    created = []
    for c in candidates:
        person = people.get(c["person"])
        if person is None:
            continue
        unit = person.team or person.unit
        finding, new = Finding.objects.get_or_create(
            rule=c["rule"],
            person=person,
            day=c.get("day", day),
            key=c.get("key", ""),
            defaults={
                "org_path": unit.path if unit else "",
                "count": c["count"],
                "detail": str(c["detail"])[:500],
                "events": c["events"][:200],
            },
        )
        if new:
            created.append(finding)
    return created
