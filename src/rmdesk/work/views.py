"""Pages of the work app (SPEC §3). Thin: reading through scope functions, writing through services."""
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from . import notifications as notif
from .models import Notification


# --- notification centre ----------------------------------------------------------------------

@login_required
def notification_list(request):
    show = request.GET.get("show", "unread")
    qs = Notification.objects.filter(recipient=request.user)
    if show == "unread":
        qs = qs.filter(read_at__isnull=True)
    page = Paginator(qs, 30).get_page(request.GET.get("page"))
    return render(request, "work/notifications.html", {"page": page, "show": show,
                                                       "unread": notif.unread_count(request.user)})


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
