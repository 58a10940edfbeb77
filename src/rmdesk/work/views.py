"""Pages of the work app (SPEC §3). Thin: reading through the scope functions of rmdesk.work.scope,
writing through rmdesk.work.services."""

import calendar as pycal
from collections import OrderedDict
from datetime import date, datetime, time, timedelta
from html import escape as _html_escape

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ObjectDoesNotExist, PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db import transaction
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.html import escape
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from rmdesk.core import calendar as bizcal, notifications as notif
from rmdesk.core.files import pdf_response, serve_file
from rmdesk.core.models import Notification
from rmdesk.core.scope import get_or_404
from rmdesk.customers.scope import get_customer_or_404, visible_customers

from . import cadence, monthly, services
from .export_views import filtered_statuses
from .forms import (
    AppointmentForm,
    ChosenIntervalForm,
    InteractionForm,
    JournalOpenForm,
    ReviewForm,
    TaskForm,
    apply_errors,
)
from .models import (
    AppointmentStatus,
    CadenceSetting,
    ChosenInterval,
    ContactStatus,
    ContactStatusCode,
    CustomerIntervalMode,
    InteractionKind,
    JournalStatus,
    ScheduleStatus,
    TaskStatus,
    VisitSchedule,
)
from .periods import next_monday
from .scope import (
    may_review,
    supervised_journals,
    team_members,
    visible_appointments,
    visible_interactions,
    visible_journals,
    visible_schedules,
    visible_tasks,
)


def customer_url(pk):
    try:
        return reverse("customers:detail", args=[pk])
    except NoReverseMatch:
        return reverse("work:interactions") + f"?customer={pk}"


def _parse_date(value, default):
    try:
        return date.fromisoformat(value) if value else default
    except ValueError:
        return default


def _is_supervisor(user):
    return user.has_role("team_lead", "branch_manager") or user.reports.exists()


# --- notification centre ----------------------------------------------------------------------


@login_required
def notification_list(request):
    """The notification centre (SPEC §3): unread or all, filtered by kind (shown by its label)."""
    show = request.GET.get("show", "unread")
    mine = Notification.objects.filter(recipient=request.user)
    qs = mine.filter(read_at__isnull=True) if show == "unread" else mine
    kinds = sorted(set(mine.values_list("kind", flat=True).distinct()[:100]))
    kind = request.GET.get("kind", "")
    if kind in kinds:
        qs = qs.filter(kind=kind)
    else:
        kind = ""
    page = Paginator(qs, 30).get_page(request.GET.get("page"))
    return render(
        request,
        "work/notifications.html",
        {
            "page": page,
            "show": show,
            "kind": kind,
            "kinds": [(k, notif.kind_label(k)) for k in kinds],
            "unread": notif.unread_count(request.user),
        },
    )


@login_required
@require_POST
def notification_read(request):
    ids = request.POST.getlist("id")
    n = notif.mark_read(request.user, [int(i) for i in ids if i.isdigit()] if ids else None)
    messages.success(request, _("已将 %(n)d 条消息标为已读。") % {"n": n})
    nxt = request.POST.get("next", "")
    if nxt.startswith("/") and not nxt.startswith("//"):
        return redirect(nxt)
    return redirect("work:notifications")


# --- contact cadence (客户维护) ------------------------------------------------------------------


# the badge of each status, as work/_status.html draws it (the 360° slot and the interval page still include it)
_BADGE_CLASS = {
    ContactStatusCode.OVERDUE: "badge bad",
    ContactStatusCode.DUE: "badge bad",
    ContactStatusCode.SOON: "badge warn",
    ContactStatusCode.OK: "badge ok",
}


def _cadence_rows(rows):
    """Each cadence row's links, status badge, dates and due-basis note, built once per request (issue 18): the
    page's rows then need neither `{% url %}` (four reversals a row), `{% translate %}`, `default:_()`, the
    `date` filter nor the `_status.html` / `_due_basis.html` includes. The markup is the one those drew."""
    ph = "987654321"
    detail = reverse("customers:detail", args=[int(ph)])
    log, record, appoint = (reverse(f"work:{n}") for n in ("interactions", "interaction_new", "appointment_new"))
    labels = {k: str(v) for k, v in ContactStatusCode.choices}
    never = _("从未联系")
    declined = _("客户谢绝回访")
    chosen = _("按客户选择的回访周期（%(i)s）")  # the blocktranslate of work/_due_basis.html
    for s in rows:
        pk = str(s.customer_id)
        s.url = detail.replace(ph, pk)
        s.log_url, s.record_url, s.appoint_url = (f"{u}?customer={pk}" for u in (log, record, appoint))
        s.badge_class = _BADGE_CLASS.get(s.status, "badge")
        s.status_text = labels.get(s.status, s.status)
        s.tier_text = s.customer.tier.name if s.customer.tier_id else ""
        s.rm_text = s.a_rm.display_name if s.a_rm_id else ""
        s.last_text = timezone.localtime(s.last_contact_at).date().isoformat() if s.last_contact_at else never
        s.due_text = s.next_due_on.isoformat() if s.next_due_on else ""
        if s.due_basis == "chosen":
            try:
                interval = s.customer.chosen_interval.display
            except ObjectDoesNotExist:  # withdrawn since the last recompute: an empty interval, as the include drew
                interval = ""
            # blocktranslate escapes the value, not the translated sentence
            s.basis_text = mark_safe(chosen % {"i": escape(interval)})
        elif s.due_basis == "declined":
            s.basis_text = declined
        else:
            s.basis_text = ""
    return rows


def _cadence_rows_html(rows, words) -> str:
    """The rows `_cadence_rows` prepared, as the markup the template loop printed for them (issue 18, decision 97:
    the loop cost ~1,100 Python calls a row); each value escaped as the template engine escapes it."""
    esc = _esc
    log, record, appoint = esc(words["log"]), esc(words["record"]), esc(words["appoint"])
    out = []
    for s in rows:
        pk = esc(s.customer_id)
        basis = esc(s.basis_text)
        note = f' <small class="muted" data-testid="due-basis">{basis}</small>' if s.basis_text else ""
        out.append(
            f'<tr data-testid="cadence-row-{pk}">\n'
            f'  <td><a href="{esc(s.url)}">{esc(s.customer.name)}</a> <small><a href="{esc(s.log_url)}">{log}</a>'
            f"</small></td>\n"
            f"  <td>{esc(s.tier_text)}</td><td>{esc(s.rm_text)}</td>\n"
            f"  <td>{esc(s.last_text)}</td><td>{esc(s.due_text)}{note}</td>\n"
            f'  <td><span class="{esc(s.badge_class)}">{esc(s.status_text)}</span></td>\n'
            f'  <td><a href="{esc(s.record_url)}" data-testid="record-{pk}">{record}</a> · '
            f'<a href="{esc(s.appoint_url)}">{appoint}</a></td>\n'
            f"</tr>"
        )
    return mark_safe("".join(out))


def _summary_html(by_rm, by_team) -> tuple[str, str]:
    """The per-RM and per-team summary tables' rows, as the template loops printed them (a team lead's subtree
    lists dozens of RMs at a bank's size: ~380 Python calls a row in the loop; issue 18, decision 97)."""
    esc = _esc
    rm_html = "".join(
        f'<tr><td><a href="?status=overdue&rm={esc(r["a_rm"])}">{esc(r["name"])}</a></td>'
        f'<td class="num">{esc(r["overdue"])}</td><td class="num">{esc(r["due"])}</td>'
        f'<td class="num">{esc(r["soon"])}</td><td class="num">{esc(r["ok"])}</td>'
        f'<td class="num">{esc(r["total"])}</td></tr>'
        for r in by_rm or ()
    )
    team_html = "".join(
        f'<tr><td>{esc(r["unit_name"])}</td><td class="num">{esc(r["overdue"])}</td>'
        f'<td class="num">{esc(r["due"])}</td><td class="num">{esc(r["soon"])}</td>'
        f'<td class="num">{esc(r["total"])}</td></tr>'
        for r in by_team or ()
    )
    return mark_safe(rm_html), mark_safe(team_html)


def _esc(value) -> str:
    """`conditional_escape` as the template engine prints a value (a safe string as it is), as plain text."""
    html = getattr(value, "__html__", None)
    return html() if html is not None else _html_escape(str(value))


# the list's status filters whose rows the per-RM counters count (export_views.filtered_statuses' meaning)
_COUNTED_FILTERS = {
    "attention": (ContactStatusCode.OVERDUE, ContactStatusCode.DUE, ContactStatusCode.SOON),
    **{code: (code,) for code in cadence.COUNTED},
}


def _cadence_summaries(user, by_team: bool):
    """The per-RM and (for managers, risk, compliance) per-team tables of the cadence list from ONE read of
    the counters (`cadence.scope_buckets`), plus one names query per table (issue 18): `cadence.rm_summary`
    and `cadence.team_summary` given the buckets read once. Each RM row also carries the name it shows."""
    buckets = cadence.scope_buckets(user)
    unassigned = _("未分配")
    rm_rows = cadence.rm_summary(user, buckets)
    for r in rm_rows:
        r["name"] = r["a_rm__full_name"] or r["a_rm__username"] or unassigned
    team_rows = cadence.team_summary(user, buckets) if by_team else None
    return buckets, rm_rows, team_rows


def _counted_total(buckets, params):
    """How many rows the list's filters select, from the counters already read for the summaries, or None
    when the counters do not count them (a name search, 全部 / 无频率要求, an unknown status)."""
    if (params.get("q") or "").strip():
        return None
    codes = _COUNTED_FILTERS.get(params.get("status", "attention"))
    if codes is None:
        return None
    rm = params.get("rm", "")
    rm = int(rm) if rm.isdigit() else None
    return sum(b[code] for b in buckets if rm is None or b["a_rm"] == rm for code in codes)


class _KnownCountPaginator(Paginator):
    """A Paginator told its count (the counters' figure) instead of running COUNT(*)."""

    def __init__(self, object_list, per_page, count):
        super().__init__(object_list, per_page)
        self.__dict__["count"] = count  # Paginator.count is a cached_property


def _cadence_page(qs, number, total):
    """The page `number` of `qs` (50 rows). With `total` (from the counters) no COUNT is run: the page reads
    one row more than it shows and checks the figure against what it read (the last page must end exactly at
    `total`, an earlier one must have rows after it); if the counters disagree the page is paginated again
    with a real COUNT, so a counter out of step can never hide rows."""
    if total is not None:
        page = _KnownCountPaginator(qs, 50, total).get_page(number)
        bottom = (page.number - 1) * 50
        rows = list(qs[bottom : bottom + 51])
        if (len(rows) > 50 and total > bottom + 50) or (len(rows) <= 50 and total == bottom + len(rows)):
            page.object_list = rows[:50]
            return page
    page = Paginator(qs, 50).get_page(number)
    page.object_list = list(page.object_list)
    return page


# the columns `_cadence_rows` and the rows read (a deferred one would cost a query per row: the page's query-count
# test guards it)
_CADENCE_COLUMNS = (
    "status",
    "due_basis",
    "last_contact_at",
    "next_due_on",
    "a_rm",
    "customer__name",
    "customer__tier",
    "customer__tier__name",
    "a_rm__full_name",
    "a_rm__username",
)
_CHOSEN_COLUMNS = (
    "customer__chosen_interval__declined",
    "customer__chosen_interval__interval_months",
    "customer__chosen_interval__interval_days",
)


@login_required
def cadence_list(request):
    """客户维护 (SPEC §3): the contact-cadence rows the user may see, with per-RM and per-team summaries for
    supervisors; the rows are drawn from `_cadence_rows`, the summaries and the page count from one read of
    the counters (`_cadence_summaries`, issue 18)."""
    # the export's filters, one definition (export_views.filtered_statuses)
    qs = filtered_statuses(request.user, request.GET).select_related("customer", "customer__tier", "a_rm")
    shown = _CADENCE_COLUMNS
    if CadenceSetting.mode() != CustomerIntervalMode.OFF:  # why a row is due: the customer's chosen interval
        qs = qs.select_related("customer__chosen_interval")
        shown += _CHOSEN_COLUMNS
    qs = qs.only(*shown)  # the columns the rows show, not the archive's sixty and the user's thirty (issue 18)
    status = request.GET.get("status", "attention")
    rm = request.GET.get("rm", "")
    q = request.GET.get("q", "").strip()
    user = request.user
    by_rm = by_team = None
    total = None
    if user.has_role("team_lead", "branch_manager", "risk", "compliance", "assistant"):
        # summaries from the per-RM counters (a few rows), not a GROUP BY over every state of the subtree
        buckets, by_rm, by_team = _cadence_summaries(user, user.has_role("branch_manager", "risk", "compliance"))
        total = _counted_total(buckets, request.GET)
    page = _cadence_page(qs, request.GET.get("page"), total)
    page.object_list = _cadence_rows(page.object_list)
    # the row words, translated once (not a `{% translate %}` per row)
    words = {"log": _("服务记录"), "record": _("记录服务"), "appoint": _("预约")}
    by_rm_html, by_team_html = _summary_html(by_rm, by_team)
    return render(
        request,
        "work/cadence.html",
        {
            "page": page,
            "status": status,
            "rm": rm,
            "q": q,
            "statuses": ContactStatusCode.choices,
            "by_rm": by_rm,
            "by_team": by_team,
            "today": timezone.localdate(),
            "words": words,
            "rows_html": _cadence_rows_html(page.object_list, words),
            "by_rm_html": by_rm_html,
            "by_team_html": by_team_html,
        },
    )


@login_required
def chosen_interval(request, customer_id):
    """客户希望的回访周期 (issue 19): the current choice, who recorded it and when, and the form to change or
    withdraw it; through services.set_chosen_interval / clear_chosen_interval. Only where the industry uses
    it and for whoever may work on the customer (others: 404, as a missing customer)."""
    customer = get_customer_or_404(request.user, customer_id, write=True)
    if CadenceSetting.mode() == CustomerIntervalMode.OFF:
        raise Http404
    current = ChosenInterval.objects.filter(customer=customer).select_related("recorded_by").first()
    initial = {"version": current.version if current else 0}
    if current is not None:
        initial.update(
            interval_months=current.interval_months or None,
            interval_days=current.interval_days or None,
            declined=current.declined,
            note=current.note,
        )
    form = ChosenIntervalForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            if request.POST.get("clear"):
                services.clear_chosen_interval(request.user, customer.pk, version=d["version"])
                messages.success(request, _("已撤销客户选择的回访周期，按层级联系频率计算。"))
            else:
                services.set_chosen_interval(
                    request.user,
                    customer.pk,
                    interval_months=d["interval_months"],
                    interval_days=d["interval_days"],
                    declined=d["declined"],
                    note=d["note"],
                    version=d["version"],
                )
                messages.success(request, _("客户选择的回访周期已记录，下次应联系日已更新。"))
        except ValidationError as exc:
            apply_errors(form, exc)
        except Http404:
            form.add_error(None, _("该记录已被他人撤销，请刷新后重试。"))
        else:
            return redirect(customer_url(customer.pk))
    status = ContactStatus.objects.filter(customer=customer).first()
    return render(
        request,
        "work/chosen_interval.html",
        {"form": form, "customer": customer, "current": current, "status": status},
    )


# --- interactions (服务记录) ---------------------------------------------------------------------


@login_required
def interaction_list(request):
    qs = visible_interactions(request.user).select_related("customer", "recorded_by")
    cust = request.GET.get("customer", "")
    customer = None
    if cust.isdigit():
        customer = get_customer_or_404(request.user, int(cust))
        qs = qs.filter(customer=customer)
    kind = request.GET.get("kind", "")
    if kind in InteractionKind.values:
        qs = qs.filter(kind=kind)
    mine = request.GET.get("mine") == "1"
    if mine:
        qs = qs.filter(recorded_by=request.user)
    page = Paginator(qs, 30).get_page(request.GET.get("page"))
    return render(
        request,
        "work/interactions.html",
        {"page": page, "customer": customer, "kind": kind, "kinds": InteractionKind.choices, "mine": mine},
    )


@login_required
def interaction_new(request):
    user = request.user
    initial = {"occurred_at": timezone.localtime().replace(second=0, microsecond=0), "kind": InteractionKind.VISIT}
    if request.GET.get("customer", "").isdigit():
        initial["customer"] = get_customer_or_404(user, int(request.GET["customer"]), write=True).pk
    if request.GET.get("appointment", "").isdigit():
        appt = get_or_404(visible_appointments(user, write=True), int(request.GET["appointment"]))
        initial.update(customer=appt.customer_id, appointment=appt.pk, purpose=appt.subject, place=appt.place)
    # the customer's chosen callback interval (issue 19): asked only where the industry uses it; the version
    # of the choice shown (as help) for the customer the page was opened for
    interval_on = CadenceSetting.mode() != CustomerIntervalMode.OFF
    current = None
    if interval_on and initial.get("customer"):
        current = ChosenInterval.objects.filter(customer_id=initial["customer"]).first()
        initial["interval_version"] = current.version if current else 0
    form = InteractionForm(
        user, request.POST or None, request.FILES or None, initial=initial, chosen_interval=interval_on
    )
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            with transaction.atomic():  # the contact and the choice together, or neither
                inter = _record_interaction(user, d)
                if form.interval_given():
                    version = d.get("interval_version")
                    if version is None or d["customer"].pk != initial.get("customer"):
                        # picked on the form: nothing was shown, the customer's words now replace any earlier choice
                        seen = ChosenInterval.objects.filter(customer_id=d["customer"].pk).first()
                        version = seen.version if seen else 0
                    services.set_chosen_interval(
                        user,
                        d["customer"].pk,
                        interval_months=d["interval_months"],
                        interval_days=d["interval_days"],
                        declined=d["declined"],
                        version=version,
                    )
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("服务记录已保存，客户的下次应联系日已更新。"))
            return redirect("work:interaction_detail", pk=inter.pk)
    return render(
        request,
        "work/interaction_form.html",
        {"form": form, "interval_on": interval_on, "current_interval": current},
    )


def _record_interaction(user, d):
    return services.record_interaction(
        user,
        d["customer"].pk,
        kind=d["kind"],
        occurred_at=d["occurred_at"],
        purpose=d["purpose"],
        content=d["content"],
        place=d["place"],
        door_to_door=d["door_to_door"] or None,
        companions=list(d["companions"]),
        needs_found=d["needs_found"],
        products_recommended=d["products_recommended"],
        next_step=d["next_step"],
        next_step_kind=d["next_step_kind"],
        next_step_at=d["next_step_at"],
        confirmed_by_name=d["confirmed_by_name"],
        confirmed_at=d["confirmed_at"],
        minutes_spent=d["minutes_spent"],
        attachments=d["attachments"],
        appointment_id=d["appointment"],
        special_service_id=d.get("special_service_id"),
    )


@login_required
def interaction_detail(request, pk):
    inter = get_or_404(visible_interactions(request.user).select_related("customer", "recorded_by"), pk)
    return render(
        request,
        "work/interaction_detail.html",
        {
            "i": inter,
            "companions": inter.companions.all(),
            "attachments": inter.attachments.all(),
            "customer_url": customer_url(inter.customer_id),
        },
    )


@login_required
def attachment_download(request, pk, att_pk):
    inter = get_or_404(visible_interactions(request.user), pk)
    att = inter.attachments.filter(pk=att_pk).first()
    if att is None:
        raise Http404
    return serve_file(att.file, att.name)


# --- appointments (预约日历) ---------------------------------------------------------------------


@login_required
def appointment_calendar(request):
    user = request.user
    view = request.GET.get("view", "week")
    if view not in ("day", "week", "month"):
        view = "week"
    day = _parse_date(request.GET.get("date"), timezone.localdate())
    if view == "day":
        first, last = day, day
        prev_d, next_d = day - timedelta(days=1), day + timedelta(days=1)
    elif view == "week":
        first = day - timedelta(days=day.weekday())
        last = first + timedelta(days=6)
        prev_d, next_d = first - timedelta(days=7), first + timedelta(days=7)
    else:
        first = day.replace(day=1)
        last = first.replace(day=pycal.monthrange(first.year, first.month)[1])
        prev_d, next_d = (first - timedelta(days=1)).replace(day=1), last + timedelta(days=1)
    tz = timezone.get_current_timezone()
    qs = (
        visible_appointments(user)
        .filter(
            start_at__gte=datetime.combine(first, time.min, tz),
            start_at__lt=datetime.combine(last + timedelta(days=1), time.min, tz),
        )
        .exclude(status=AppointmentStatus.CANCELLED)
        .select_related("customer", "owner")
        .order_by("start_at")
    )
    owner = request.GET.get("owner", "")
    if owner.isdigit():
        qs = qs.filter(owner_id=int(owner))
    by_day = OrderedDict()
    grid_first = first - timedelta(days=first.weekday()) if view == "month" else first
    grid_last = last + timedelta(days=6 - last.weekday()) if view == "month" else last
    d = grid_first
    while d <= grid_last:
        by_day[d] = []
        d += timedelta(days=1)
    for a in qs:
        by_day.setdefault(timezone.localtime(a.start_at).date(), []).append(a)
    weeks = []
    days = list(by_day.items())
    for i in range(0, len(days), 7):
        weeks.append(
            [
                {"day": k, "items": v, "in_range": first <= k <= last, "working": bizcal.is_working_day(k)}
                for k, v in days[i : i + 7]
            ]
        )
    return render(
        request,
        "work/appointments.html",
        {
            "view": view,
            "day": day,
            "first": first,
            "last": last,
            "weeks": weeks,
            "prev": prev_d,
            "next": next_d,
            "today": timezone.localdate(),
            "owner": owner,
        },
    )


@login_required
def appointment_new(request):
    user = request.user
    initial = {"remind_minutes": 60}
    if request.GET.get("customer", "").isdigit():
        initial["customer"] = get_customer_or_404(user, int(request.GET["customer"]), write=True).pk
    form = AppointmentForm(user, request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            appt = services.create_appointment(
                user,
                d["customer"].pk,
                subject=d["subject"],
                start_at=d["start_at"],
                end_at=d["end_at"],
                place=d["place"],
                notes=d["notes"],
                remind_minutes=d["remind_minutes"],
            )
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("预约已保存，将在开始前 %(n)d 分钟提醒您。") % {"n": appt.remind_minutes})
            return redirect("work:appointment_detail", pk=appt.pk)
    return render(request, "work/appointment_form.html", {"form": form, "appt": None})


@login_required
def appointment_detail(request, pk):
    user = request.user
    appt = get_or_404(visible_appointments(user).select_related("customer", "owner"), pk)
    can_edit = (
        appt.status == AppointmentStatus.PLANNED and visible_appointments(user, write=True).filter(pk=appt.pk).exists()
    )
    form = None
    if can_edit:
        form = AppointmentForm(
            user,
            request.POST or None,
            initial={
                "customer": appt.customer_id,
                "subject": appt.subject,
                "start_at": timezone.localtime(appt.start_at),
                "end_at": timezone.localtime(appt.end_at),
                "place": appt.place,
                "notes": appt.notes,
                "remind_minutes": appt.remind_minutes,
                "version": appt.version,
            },
            edit=True,
        )
        form.fields["customer"].disabled = True
        if request.method == "POST":
            try:
                if request.POST.get("action") == "cancel":
                    services.cancel_appointment(
                        user, appt.pk, version=request.POST.get("version"), reason=request.POST.get("reason", "")
                    )
                    messages.success(request, _("预约已取消。"))
                    return redirect("work:appointment_detail", pk=appt.pk)
                if form.is_valid():
                    d = form.cleaned_data
                    services.update_appointment(
                        user,
                        appt.pk,
                        version=d["version"],
                        subject=d["subject"],
                        start_at=d["start_at"],
                        end_at=d["end_at"],
                        place=d["place"],
                        notes=d["notes"],
                        remind_minutes=d["remind_minutes"],
                    )
                    messages.success(request, _("预约已更新。"))
                    return redirect("work:appointment_detail", pk=appt.pk)
            except ValidationError as exc:
                apply_errors(form, exc)
    return render(
        request,
        "work/appointment_form.html",
        {"form": form, "appt": appt, "can_edit": can_edit, "customer_url": customer_url(appt.customer_id)},
    )


# --- weekly visit schedule (访问日程) --------------------------------------------------------------


def _schedule_context(schedule):
    days = OrderedDict()
    for i in range(7):
        d = schedule.week_start + timedelta(days=i)
        days[d] = {"day": d, "working": bizcal.is_working_day(d), "items": []}
    done_ids = set()
    items = list(schedule.items.select_related("customer", "appointment"))
    if items:
        from .models import Interaction

        done_ids = set(
            Interaction.objects.filter(
                customer_id__in=[i.customer_id for i in items],
                occurred_on__gte=schedule.week_start,
                occurred_on__lte=schedule.week_end,
            ).values_list("customer_id", flat=True)
        )
    for item in items:
        item.done = item.customer_id in done_ids
        days[item.day]["items"].append(item)
    done, total = len({i.customer_id for i in items} & done_ids), len(items)
    return {
        "schedule": schedule,
        "days": list(days.values()),
        "done": done,
        "total": total,
        "rate": round(100 * done / total) if total else None,
    }


@login_required
def schedule_mine(request):
    user = request.user
    week = _parse_date(request.GET.get("week"), next_monday(timezone.localdate()))
    week = week - timedelta(days=week.weekday())
    schedule = VisitSchedule.objects.filter(owner=user, week_start=week).first()
    if request.method == "POST":
        action = request.POST.get("action", "")
        version = request.POST.get("version") or None
        try:
            if action == "generate":
                schedule = services.generate_schedule(user, week)
                messages.success(request, _("已按维护到期、预约和片区生成日程，可继续调整。"))
            elif schedule is None:
                raise Http404
            elif action == "add":
                services.add_schedule_item(
                    user,
                    schedule.pk,
                    int(request.POST.get("customer") or 0),
                    date.fromisoformat(request.POST.get("day")),
                    note=request.POST.get("note", ""),
                    version=version,
                )
            elif action == "remove":
                services.remove_schedule_item(user, int(request.POST["item"]), version=version)
            elif action in ("up", "down"):
                services.move_schedule_item(user, int(request.POST["item"]), direction=action, version=version)
            elif action == "move":
                services.move_schedule_item(
                    user, int(request.POST["item"]), day=date.fromisoformat(request.POST.get("day")), version=version
                )
            elif action == "confirm":
                services.confirm_schedule(user, schedule.pk, version=version)
                messages.success(request, _("日程已确认。"))
        except ValidationError as exc:
            for m in exc.messages:
                messages.error(request, m)
        except (PermissionDenied, ValueError) as exc:
            messages.error(request, str(exc) or _("操作无效。"))
        return redirect(f"{reverse('work:schedule')}?week={week.isoformat()}")
    ctx = {
        "week": week,
        "prev_week": week - timedelta(days=7),
        "next_week": week + timedelta(days=7),
        "is_rm": user.has_role("rm"),
        "is_lead": _is_supervisor(user),
    }
    if schedule is not None:
        ctx.update(_schedule_context(schedule))
        ctx["editable"] = schedule.status == ScheduleStatus.DRAFT
        ctx["own_customers"] = (
            visible_customers(user, write=True)
            .filter(a_rm=user)
            .exclude(pk__in=schedule.items.values("customer_id"))
            .order_by("name")
        )
    return render(request, "work/schedule.html", ctx)


@login_required
def schedule_detail(request, pk):
    schedule = get_or_404(visible_schedules(request.user).select_related("owner"), pk)
    ctx = _schedule_context(schedule)
    ctx["readonly"] = True
    return render(request, "work/schedule_detail.html", ctx)


@login_required
def schedule_print(request, pk):
    schedule = get_or_404(visible_schedules(request.user).select_related("owner"), pk)
    return render(request, "work/schedule_print.html", {**_schedule_context(schedule), "printed_at": timezone.now()})


@login_required
def schedule_pdf(request, pk):
    schedule = get_or_404(visible_schedules(request.user).select_related("owner"), pk)
    context = {**_schedule_context(schedule), "printed_at": timezone.now(), "pdf": True}
    return pdf_response(request, "work/schedule_print.html", context, f"schedule-{schedule.week_start.isoformat()}.pdf")


@login_required
def schedule_team(request):
    user = request.user
    week = _parse_date(request.GET.get("week"), timezone.localdate())
    week = week - timedelta(days=week.weekday())
    members = list(team_members(user))
    schedules = {s.owner_id: s for s in visible_schedules(user).filter(week_start=week, owner__in=members)}
    rows = []
    for m in members:
        s = schedules.get(m.pk)
        done, total = services.schedule_completion(s) if s else (0, 0)
        rows.append(
            {"rm": m, "schedule": s, "done": done, "total": total, "rate": round(100 * done / total) if total else None}
        )
    return render(
        request,
        "work/schedule_team.html",
        {"rows": rows, "week": week, "prev_week": week - timedelta(days=7), "next_week": week + timedelta(days=7)},
    )


# --- tasks (待办) --------------------------------------------------------------------------------


@login_required
def task_list(request):
    user = request.user
    form = TaskForm(request.POST or None)
    if request.method == "POST":
        try:
            if request.POST.get("action") == "done":
                services.complete_task(user, int(request.POST.get("task") or 0))
                messages.success(request, _("待办已完成。"))
                return redirect("work:tasks")
            if form.is_valid():
                d = form.cleaned_data
                services.create_task(user, title=d["title"], due_on=d["due_on"], detail=d["detail"])
                messages.success(request, _("待办已创建。"))
                return redirect("work:tasks")
        except ValidationError as exc:
            apply_errors(form, exc)
        except PermissionDenied as exc:
            messages.error(request, str(exc))
    show = request.GET.get("show", "open")
    qs = visible_tasks(user).filter(owner=user) if show != "team" else visible_tasks(user)
    if show != "all":
        qs = qs.filter(status=TaskStatus.OPEN)
    page = Paginator(qs.select_related("customer", "owner"), 50).get_page(request.GET.get("page"))
    return render(request, "work/tasks.html", {"page": page, "form": form, "show": show, "today": timezone.localdate()})


# --- journals (工作日志) and reviews (待审阅) --------------------------------------------------------


@login_required
def journal_list(request):
    user = request.user
    form = JournalOpenForm(request.POST or None, initial={"day": timezone.localdate()})
    if request.method == "POST" and form.is_valid():
        try:
            j = services.open_journal(user, form.cleaned_data["template"].code, form.cleaned_data["day"])
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            return redirect("work:journal_detail", pk=j.pk)
    qs = visible_journals(user).filter(owner=user).select_related("template", "reviewer")
    status = request.GET.get("status", "")
    if status in JournalStatus.values:
        qs = qs.filter(status=status)
    page = Paginator(qs.order_by("-due_on", "template__order"), 30).get_page(request.GET.get("page"))
    return render(
        request,
        "work/journals.html",
        {
            "page": page,
            "form": form,
            "status": status,
            "statuses": JournalStatus.choices,
            "today": timezone.localdate(),
        },
    )


@login_required
def journal_detail(request, pk):
    user = request.user
    journal = get_or_404(visible_journals(user).select_related("template", "owner", "reviewer"), pk)
    is_owner = journal.owner_id == user.pk
    editable = is_owner and journal.status in (JournalStatus.DRAFT, JournalStatus.RETURNED)
    reviewable = journal.status == JournalStatus.SUBMITTED and may_review(user, journal)
    errors = {}
    review_form = ReviewForm(request.POST or None) if reviewable else None
    if request.method == "POST":
        action = request.POST.get("action")
        try:
            if action in ("save", "submit") and editable:
                content = {s["key"]: request.POST.get(f"content_{s['key']}", "") for s in journal.template.sections}
                version = request.POST.get("version")
                if action == "save":
                    services.save_journal(user, journal.pk, content=content, version=version)
                    messages.success(request, _("已保存草稿。"))
                else:
                    services.submit_journal(user, journal.pk, content=content, version=version)
                    messages.success(request, _("已提交上级审阅。"))
                return redirect("work:journal_detail", pk=journal.pk)
            if action == "review" and reviewable and review_form.is_valid():
                d = review_form.cleaned_data
                services.review_journal(
                    user,
                    journal.pk,
                    approve=d["decision"] == "approve",
                    comment=d["comment"],
                    version=request.POST.get("version"),
                )
                messages.success(request, _("审阅已完成。"))
                return redirect("work:reviews")
        except ValidationError as exc:
            if hasattr(exc, "error_dict"):
                errors = {
                    k.replace("content.", ""): " ".join(m for e in v for m in e.messages)
                    for k, v in exc.error_dict.items()
                }
            else:
                errors = {"general": " ".join(exc.messages)}
            journal.content = {s["key"]: request.POST.get(f"content_{s['key']}", "") for s in journal.template.sections}
        except PermissionDenied as exc:
            errors = {"general": str(exc)}
    # the monthly sales report: its month's figures, and a blank draft starts from them (SPEC §3)
    figures, content = None, journal.content
    if monthly.applies_to(journal):
        if editable and not errors:
            figures, content = monthly.starting_content(journal)
        else:
            figures = monthly.month_figures(journal.owner, journal.period_start, journal.period_end)
    sections = [
        {
            "key": s["key"],
            "title": s["title"],
            "value": content.get(s["key"], ""),
            "error": errors.get(s["key"], ""),
        }
        for s in journal.template.sections
    ]
    return render(
        request,
        "work/journal_detail.html",
        {
            "j": journal,
            "sections": sections,
            "editable": editable,
            "reviewable": reviewable,
            "review_form": review_form,
            "errors": errors,
            "events": journal.events.select_related("actor"),
            "figures": figures,
            "prefilled": editable and content is not journal.content,
        },
    )


@login_required
def review_list(request):
    user = request.user
    today = timezone.localdate()
    waiting = supervised_journals(user).filter(status=JournalStatus.SUBMITTED).select_related("owner", "template")
    late = services.overdue_submissions(user, today)
    return render(
        request, "work/reviews.html", {"waiting": waiting.order_by("submitted_at"), "late": late, "today": today}
    )
