"""The 营业日历 page (SPEC §3 "Business calendar"): administrators see which years' holidays are
known, enter a year's rest days and 调休 working days, and confirm it."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from . import calendar
from .forms import YearScheduleForm, days_text
from .models import CalendarYear
from .roles import is_admin


def _year_param(request) -> int:
    raw = request.GET.get("year", "")
    if not (raw.isascii() and raw.isdigit() and len(raw) == 4):
        raise Http404
    year = int(raw)
    if not calendar.MIN_YEAR <= year <= calendar.MAX_YEAR:
        raise Http404
    return year


@login_required
def calendar_page(request):
    """Years from last year to two years ahead with their status; `?year=` edits one year."""
    if not is_admin(request.user):
        raise PermissionDenied
    this_year = timezone.localdate().year
    if "year" not in request.GET:
        rows = {r.year: r for r in CalendarYear.objects.filter(year__range=(this_year - 1, this_year + 2))}
        years = []
        for y in range(this_year - 1, this_year + 3):
            entered = len(calendar.year_overrides(y))
            if calendar.package_covers(y):
                status = _("法定日历已包含")
            elif calendar.year_confirmed(y):
                status = _("管理员已确认")
            else:
                status = _("未确认：按周一至周五计算工作日")
            years.append(
                {
                    "year": y,
                    "confirmed": calendar.year_confirmed(y),
                    "status": status,
                    "entered": entered,
                    "row": rows.get(y),
                }
            )
        return render(request, "core/calendar.html", {"years": years})

    year = _year_param(request)
    overrides = calendar.year_overrides(year)
    row = CalendarYear.objects.filter(year=year).first()
    if request.method == "POST":
        form = YearScheduleForm(request.POST)
        if form.is_valid():
            try:
                calendar.save_year_schedule(
                    request.user,
                    year,
                    holidays=form.cleaned_data["holidays"],
                    workdays=form.cleaned_data["workdays"],
                    confirmed=form.cleaned_data["confirmed"],
                )
            except ValidationError as exc:
                for field, errors in exc.message_dict.items():
                    form.add_error(field if field in form.fields else None, errors)
            else:
                messages.success(request, _("%(year)d 年营业日历已保存。") % {"year": year})
                return redirect(f"{reverse('core:calendar')}?year={year}")
    else:
        form = YearScheduleForm(
            initial={
                "holidays": days_text(overrides, working=False),
                "workdays": days_text(overrides, working=True),
                "confirmed": bool(row and row.confirmed),
            }
        )
    return render(
        request,
        "core/calendar_year.html",
        {
            "year": year,
            "form": form,
            "covered": calendar.package_covers(year),
            "confirmed": calendar.year_confirmed(year),
            "row": row,
        },
    )
