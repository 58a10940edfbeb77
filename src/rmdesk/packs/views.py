"""The administrator's page of the industry packs (docs/decisions.md 51): the packs shipped, their versions and
what each owns here, the load history, and loading a pack (a business action, audited)."""

from collections import Counter

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import get_language, gettext as _
from django.views.decorators.http import require_POST

from rmdesk.core.packs import registry
from rmdesk.core.roles import is_admin

from . import services
from .models import PackLoad, PackRecord


def _admin_only(request):
    if not is_admin(request.user):
        raise Http404  # like out-of-scope data: the page does not exist for others


@login_required
def pack_list(request):
    _admin_only(request)
    english = (get_language() or "").startswith("en")
    models_by_label = {pm.label: pm for pm in registry().values()}
    owned = Counter(PackRecord.objects.values_list("pack", "model_label"))
    packs = []
    for name in services.available():
        try:
            pack = services.read_pack(name)
        except services.PackInvalid as exc:
            packs.append({"name": name, "errors": exc.message_dict})
            continue
        header = pack.header
        sections = [
            {"label": registry()[s].verbose_name, "count": len(rows)} for s, rows in pack.sections.items() if rows
        ]
        packs.append(
            {
                "name": name,
                "title": header.title_en if english else header.title,
                "description": header.description_en if english else header.description,
                "version": header.version,
                "words": pack.words,
                "sections": sections,
                "owned": [
                    {"label": models_by_label[m].verbose_name if m in models_by_label else m, "count": n}
                    for (p, m), n in sorted(owned.items())
                    if p == name
                ],
                "last": PackLoad.objects.filter(pack=name).first(),
            }
        )
    loads = PackLoad.objects.select_related("loaded_by")[:30]
    return render(request, "packs/list.html", {"packs": packs, "loads": loads})


@login_required
@require_POST
def pack_load(request, name):
    _admin_only(request)
    if name not in services.available():
        raise Http404
    try:
        result = services.load_pack(request.user, name)
    except services.PackInvalid as exc:
        for path, errors in exc.message_dict.items():
            messages.error(request, f"{path}: {' '.join(map(str, errors))}")
        return redirect("packs:list")
    if result.changed:
        messages.success(
            request,
            _("已装载“%(name)s” %(version)s：新建 %(c)d，更新 %(u)d，接管 %(a)d，保留用户修改 %(k)d。")
            % {
                "name": name,
                "version": result.version,
                "c": len(result.created),
                "u": len(result.updated),
                "a": len(result.adopted),
                "k": len(result.kept),
            },
        )
    else:
        messages.info(request, _("“%(name)s”已是最新，没有需要装载的变化。") % {"name": name})
    return redirect("packs:list")
