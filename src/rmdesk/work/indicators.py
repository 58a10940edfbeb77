"""Assessment indicators owned by daily work (SPEC §9; rmdesk.core.indicators): maintenance contacts,
visit-plan completion and journal punctuality, computed for a period over many RMs in grouped queries,
with the rows each value counted for the drill-down in the viewer's own scope."""

from decimal import Decimal
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import Count, Exists, F, OuterRef, Q
from django.db.models.functions import TruncDate
from django.utils.translation import gettext_lazy as _

from rmdesk.core.indicators import Indicator, Measure

from .models import Interaction, Journal, ScheduleItem
from .scope import visible_interactions, visible_journals, visible_schedules


def _ids(qs, field, rm_ids):
    return qs if rm_ids is None else qs.filter(**{f"{field}__in": list(rm_ids)})


def contacts(start, end, rm_ids):
    qs = _ids(Interaction.objects.filter(occurred_on__gte=start, occurred_on__lte=end), "recorded_by", rm_ids)
    rows = qs.values("recorded_by").annotate(n=Count("id")).order_by()
    return {r["recorded_by"]: Measure(Decimal(r["n"])) for r in rows}


def contact_records(viewer, rm_id, start, end):
    return visible_interactions(viewer).filter(recorded_by=rm_id, occurred_on__gte=start, occurred_on__lte=end)


def _planned(start, end):
    """Planned visits of the period, each marked done when its owner recorded a contact with the customer
    on the planned day or later within the period."""
    done = Interaction.objects.filter(
        customer=OuterRef("customer"),
        recorded_by=OuterRef("schedule__owner"),
        occurred_on__gte=OuterRef("day"),
        occurred_on__lte=end,
    )
    return ScheduleItem.objects.filter(day__gte=start, day__lte=end).annotate(done=Exists(done))


def visit_completion(start, end, rm_ids):
    qs = _ids(_planned(start, end), "schedule__owner", rm_ids)
    rows = qs.values("schedule__owner").annotate(n=Count("id"), d=Count("id", filter=Q(done=True))).order_by()
    return {r["schedule__owner"]: Measure.ratio(r["d"], r["n"]) for r in rows}


def visit_records(viewer, rm_id, start, end):
    """The weekly plans holding the RM's planned visits of the period."""
    weeks = ScheduleItem.objects.filter(schedule__owner=rm_id, day__gte=start, day__lte=end).values("schedule_id")
    return visible_schedules(viewer).filter(pk__in=weeks)


def _due(start, end):
    return Journal.objects.filter(due_on__gte=start, due_on__lte=end)


def punctuality(start, end, rm_ids):
    """Journals due in the period submitted on or before their due day (Asia/Shanghai)."""
    tz = ZoneInfo(settings.TIME_ZONE)
    qs = _ids(_due(start, end), "owner", rm_ids).annotate(sent_on=TruncDate("submitted_at", tzinfo=tz))
    rows = (
        qs.values("owner")
        .annotate(n=Count("id"), ok=Count("id", filter=Q(sent_on__isnull=False, sent_on__lte=F("due_on"))))
        .order_by()
    )
    return {r["owner"]: Measure.ratio(r["ok"], r["n"]) for r in rows}


def journal_records(viewer, rm_id, start, end):
    return visible_journals(viewer).filter(owner=rm_id, due_on__gte=start, due_on__lte=end)


INDICATORS = [
    Indicator("work.contacts", _("客户关系维护次数"), _("次"), contacts, records=contact_records),
    Indicator(
        "work.visit_completion",
        _("拜访计划完成率"),
        "%",
        visit_completion,
        records=visit_records,
        percent=True,
        description=_("期间内日程表中计划拜访的客户，在计划日及以后有拜访记录的比例"),
    ),
    Indicator(
        "work.journal_punctuality",
        _("工作日志按时提交率"),
        "%",
        punctuality,
        records=journal_records,
        percent=True,
        description=_("期间内应交的日志、计划和总结，在应交日当天或之前提交的比例"),
    ),
]
