"""Pages of the customer archive (SPEC §2). Thin: scope through scope.py/queries.py, writes through services."""

import io
import json
import os
from html import escape as _html_escape
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.html import format_html
from django.utils.safestring import mark_safe
from django.utils.translation import get_language, gettext as _
from django.views.decorators.http import require_POST

from rmdesk.core.files import serve_file
from rmdesk.core.models import ApprovalRequest, ApprovalStatus
from rmdesk.core.roles import RoleCode
from rmdesk.org.scope import visible_staff

from . import importer, queries, services
from .forms import (
    ContactForm,
    CustomerForm,
    DocumentForm,
    FinancialYearForm,
    HandoverForm,
    HoldingForm,
    ImportForm,
    KeyDateForm,
    NeedForm,
    NoteForm,
    RelatedForm,
)
from .models import (
    ConflictStatus,
    CustomerKind,
    Handover,
    Holding,
    ImportJob,
    Stage,
    Tag,
)
from .protection import SENSITIVE_FIELDS, mask
from .scope import get_customer_or_404, visible_customers
from .slots import compiled, slots_for


def _rms_for(user):
    return (
        visible_staff(user)
        .filter(roles__code=RoleCode.RM, status="active", is_active=True)
        .select_related("team")
        .order_by("team__code", "employee_no")  # one row per person: role codes are unique (no DISTINCT)
    )


def _apply_errors(form, exc: ValidationError):
    if hasattr(exc, "error_dict"):
        for field, errs in exc.error_dict.items():
            for e in errs:
                form.add_error(field if field in form.fields else None, " ".join(e.messages))
    else:
        for m in exc.messages:
            form.add_error(None, m)


# --- list ---------------------------------------------------------------------------------------


def money(value) -> str:
    """A Decimal as the pages show money: two decimals, comma-grouped (what `floatformat:2|intcomma`
    printed, at a fraction of the template filters' cost; the same in every language)."""
    return "" if value is None else f"{value:,.2f}"


def _esc(value) -> str:
    """What the template engine and `format_html` print for a value: `conditional_escape` (a safe string as it
    is, anything else `html.escape`d) without building a SafeString per cell (issue 18)."""
    html = getattr(value, "__html__", None)
    return html() if html is not None else _html_escape(str(value))


def options(pairs, selected) -> str:
    """`<option>`s of a filter's select, built in Python: the template engine costs tens of
    microseconds per option, and a branch's list offers hundreds of RMs and tags (issue 18). The markup is
    what `format_html_join('<option value="{}"{}>{}</option>')` drew, at a third of its calls."""
    selected = str(selected or "")
    return mark_safe(
        "".join(
            f'<option value="{_esc(v)}"{" selected" if str(v) == selected else ""}>{_esc(label)}</option>'
            for v, label in pairs
        )
    )


def _rm_choices(user) -> list[tuple[int, str]]:
    """(id, display name) of the active RMs in the user's staff scope, for a select: only the columns
    shown (never the password hashes), in team then employee-number order."""
    rows = _rms_for(user).values_list("id", "full_name", "username", "team__code", "employee_no")
    return [(pk, full or username) for pk, full, username, _t, _e in rows]


def _rows_html(items) -> str:
    """The listed rows' markup (`customers/_rows.html` prints it), drawn here in one pass: the 360° link from
    one `reverse()`, money text, kind and stage labels from one dict each, owners, each cell escaped as the
    template engine escapes it. The template loop cost ~400 Python calls a row (issue 18; decision 97); the
    markup is byte for byte the loop's, which `tests/customers/test_list_rows_html.py` re-renders and compares."""
    pattern = reverse("customers:detail", args=[987654321])
    kinds = {k: str(v) for k, v in CustomerKind.choices}
    stages = {k: str(v) for k, v in Stage.choices}
    unassigned = _("待分配")
    esc = _esc
    out = []
    for c in items:
        a = c.a_rm.display_name if c.a_rm_id else ""
        owners = f"{a or unassigned} / {c.b_rm.display_name}" if c.b_rm_id else (a or unassigned)
        tier = f'<span class="badge">{esc(c.tier.name)}</span>' if c.tier_id and c.tier else ""
        out.append(
            f'<tr data-testid="customer-row">\n<td><a href="{esc(pattern.replace("987654321", str(c.pk)))}">'
            f"{esc(c.name)}</a></td><td>{esc(c.customer_no)}</td><td>{esc(kinds.get(c.kind, c.kind))}</td>\n"
            f"<td>{tier}</td><td>{esc(stages.get(c.stage, c.stage))}</td>\n"
            f'<td class="num">{esc(money(c.aum))}</td>\n<td>{esc(owners)}</td>\n'
            f'<td class="num">{esc(c.completeness)}%</td></tr>\n'
        )
    return mark_safe("".join(out))


@login_required
def customer_list(request):
    params = request.GET
    qs = queries.filtered_customers(request.user, params)
    page = queries.page_of(
        qs, cursor=params.get("cursor"), limit=params.get("page_size") or 50, page=params.get("page")
    )
    rows_html = _rows_html(page.items)
    filters = {k: params.get(k, "") for k in queries.filter_keys()}
    base_qs = urlencode({k: v for k, v in filters.items() if v})
    next_qs = (
        urlencode({**{k: v for k, v in filters.items() if v}, "cursor": page.next_cursor}) if page.next_cursor else ""
    )
    if request.htmx:  # the next rows only: none of the filter form's reads
        return render(request, "customers/_rows.html", {"page": page, "next_qs": next_qs, "rows_html": rows_html})
    kind_labels = dict(CustomerKind.choices)
    ctx = {
        "page": page,
        "rows_html": rows_html,
        "filters": filters,
        "base_qs": base_qs,
        # the tiers of each kind's set in use, grouped by kind (SPEC §2: every kind its own tiers)
        "tier_groups": [
            {"label": f"{kind_labels.get(kind, kind)}：{name}", "options": options(tiers, filters.get("tier"))}
            for kind, name, tiers in queries.active_tier_groups()
        ],
        "stage_options": options(Stage.choices, filters.get("stage")),
        "kind_options": options(CustomerKind.choices, filters.get("kind")),
        "tag_options": options(Tag.objects.values_list("pk", "name")[:200], filters.get("tag")),
        "rm_options": options(_rm_choices(request.user), filters.get("owner")),
        "can_export": services.can_export(request.user),
        "can_create": services.can_create(request.user),
        "extra_filters": [
            {"key": f.key, "label": f.label, "options": options(f.choices, filters.get(f.key, ""))}
            for f in queries.extra_filters()
        ],
        "next_qs": next_qs,
    }
    return render(request, "customers/list.html", ctx)


@login_required
def customer_export(request):
    if not services.can_export(request.user):
        raise PermissionDenied(_("您无权导出客户清单。"))
    qs = queries.filtered_customers(request.user, request.GET)
    path = importer.export_xlsx(request.user, qs, filters={k: request.GET.get(k, "") for k in queries.filter_keys()})
    resp = FileResponse(open(path, "rb"), as_attachment=True, filename="customers.xlsx")
    os.unlink(path)  # the open handle keeps the data readable on POSIX
    return resp


# --- create / edit ------------------------------------------------------------------------------


@login_required
def customer_new(request):
    if not services.can_create(request.user):
        raise PermissionDenied(_("您无权新建客户档案。"))
    kind = request.GET.get("kind") or request.POST.get("kind") or CustomerKind.INDIVIDUAL
    if kind not in CustomerKind.values:
        kind = CustomerKind.INDIVIDUAL
    form = CustomerForm(request.POST or None, kind=kind)
    if request.method == "POST" and form.is_valid():
        try:
            customer, conflict = services.create_customer(
                request.user, form.service_data(), tags=form.cleaned_data.get("tags") or ""
            )
        except ValidationError as exc:
            _apply_errors(form, exc)
        else:
            if conflict is not None:
                # only the claimant's own conflict reference: never the existing archive (SPEC §2)
                messages.warning(
                    request,
                    _("系统中已有相同%(f)s的客户档案，未重复建档；已提交主管进行冲突处理（冲突编号 #%(id)d）。")
                    % {"f": _field_label(conflict.match_field), "id": conflict.pk},
                )
                return redirect("customers:conflict_detail", pk=conflict.pk)
            messages.success(request, _("客户档案已建立。"))
            return redirect("customers:detail", pk=customer.pk)
    return render(
        request, "customers/form.html", {"form": form, "kind": kind, "kinds": CustomerKind.choices, "creating": True}
    )


def _field_label(field):
    from .models import Customer

    return str(Customer._meta.get_field(field).verbose_name)


@login_required
def customer_edit(request, pk):
    customer = get_customer_or_404(request.user, pk, write=True)
    form = CustomerForm(request.POST or None, instance=customer, kind=customer.kind)
    if request.method == "POST" and form.is_valid():
        try:
            data = form.service_data()
            data["tags"] = form.cleaned_data.get("tags") or ""
            customer, conflict = services.update_customer(request.user, pk, data, version=form.cleaned_data["version"])
        except ValidationError as exc:
            _apply_errors(form, exc)
        else:
            if conflict is not None:
                messages.warning(
                    request,
                    _("修改后的%(f)s与其他客户档案重复，未保存；已提交主管进行冲突处理。")
                    % {"f": _field_label(conflict.match_field)},
                )
            else:
                messages.success(request, _("已保存。"))
            return redirect("customers:detail", pk=pk)
    return render(request, "customers/form.html", {"form": form, "kind": customer.kind, "customer": customer})


# --- 360° -----------------------------------------------------------------------------------------

# display columns of the staff shown on the 360° page (never their password hashes)
_STAFF = ("id", "username", "full_name")
_FORMS = {
    "note_form": NoteForm,
    "need_form": NeedForm,
    "contact_form": ContactForm,
    "key_date_form": KeyDateForm,
    "holding_form": HoldingForm,
    "financial_form": FinancialYearForm,
    "document_form": DocumentForm,
    "related_form": RelatedForm,
}
#: the add-forms of every archive that is not anonymised, and those of a corporate archive only (detail.html)
_ARCHIVE_FORMS = ("note_form", "need_form", "key_date_form", "holding_form", "document_form")
_CORPORATE_FORMS = ("contact_form", "financial_form", "related_form")
_LIVE_FIELDS = {HoldingForm: ("product",)}  # choices read from the database: rendered per request
_form_html: dict = {}


def _live_select(bound_field) -> str:
    """A model-choice field's `<select>` built in Python from its choices (one query, read per request
    so a new or retired product shows at once), the same markup as the widget's, without rendering
    the widget's templates for every option (issue 18)."""
    field = bound_field.field
    attrs = format_html(
        ' name="{}"{} id="{}"',
        bound_field.html_name,
        mark_safe(" required") if field.required else "",
        bound_field.auto_id,
    )
    body = options(((str(v), label) for v, label in field.choices), "")
    return format_html("<select{}>{}</select>", attrs, body)


def _blank_forms(names=None) -> dict:
    """The 360° page's empty forms (`names`: only those the page will show; all when None). Their fields are
    the same HTML for every archive and request (no instance, no initial data, choices from code), so each
    field is rendered once per language and kept; fields whose choices come from the database
    (`_LIVE_FIELDS`) are rendered per request, and only when their form is shown."""
    lang = get_language()
    out = {}
    for name, form_cls in _FORMS.items():
        if names is not None and name not in names:
            continue
        key = (form_cls, lang)
        cached = _form_html.get(key)
        live = _LIVE_FIELDS.get(form_cls, ())
        if cached is None:
            form = form_cls()
            cached = _form_html[key] = {f: mark_safe(str(form[f])) for f in form.fields if f not in live}
        fields = dict(cached)
        if live:
            form = form_cls()
            fields.update({f: _live_select(form[f]) for f in live})
        out[name] = fields
    return out


def _staff_only(qs, *relations):
    """`qs` with `relations` (FKs to staff) joined, loading only the staff's display columns."""
    model_fields = [f.name for f in qs.model._meta.concrete_fields]
    return qs.select_related(*relations).only(*model_fields, *(f"{r}__{f}" for r in relations for f in _STAFF))


def _tier_watch(customer):
    """The downgrade watch (关注) on the customer's current tier, if any (issue 19); joined in the page's
    one read of the archive, no query of its own."""
    from django.core.exceptions import ObjectDoesNotExist

    try:
        watch = customer.tier_watch
    except ObjectDoesNotExist:
        return None
    return watch if customer.tier_id and watch.tier_id == customer.tier_id else None


def _archive_query(user):
    """The page's one scoped read of the archive, compiled once per viewer scope (decision 96): its SQL is
    fixed by the read and write scope filters (their repr names every field and value they hold) and the id."""
    from rmdesk.core.scope import annotate_writable, scope_q, visible

    from .models import Customer

    spec = Customer.SCOPE
    key = ("customers.360.archive", repr(scope_q(user, spec)), repr(scope_q(user, spec, write=True)))

    def build(pk):
        base = annotate_writable(
            Customer.objects.select_related("tier__rule_set", "a_rm", "b_rm", "org_unit", "tier_watch__tier").defer(
                *(
                    f"{r}__{f.name}"
                    for r in ("a_rm", "b_rm")
                    for f in Customer._meta.get_field(r).related_model._meta.concrete_fields
                    if f.name not in _STAFF
                )
            ),
            user,
            spec,
        )
        # out of scope is a 404 like a missing archive (as get_in_scope_or_404), without the ORDER BY that
        # `.first()` would add to a primary-key read
        return visible(base, user, spec).filter(pk=pk).order_by()[:1]

    return compiled(key, build)


def _section_queries():
    """The 360° page's collections, each a query on the archive's id alone, compiled once per process
    (decision 96); each is what the related manager would read (its model's ordering and limit)."""
    from .models import (
        Contact,
        Document,
        FinancialYear,
        KeyDate,
        Need,
        Note,
        OwnershipChange,
        RelatedParty,
        Tag,
        TierChange,
    )

    staff = ("from_a", "to_a", "from_b", "to_b", "approved_by")
    builds = {
        # by state: open ones first, then by balance; sales' next-best-product hints reuse them (prefetched)
        "holdings": lambda pk: (
            Holding.objects.select_related("product").filter(customer_id=pk).order_by("closed_on", "-balance")
        ),
        "tier_changes": lambda pk: TierChange.objects.filter(customer_id=pk).select_related("from_tier", "to_tier")[
            :20
        ],
        "ownership": lambda pk: _staff_only(OwnershipChange.objects.filter(customer_id=pk), *staff)[:20],
        "needs": lambda pk: _staff_only(Need.objects.filter(customer_id=pk), "created_by")[:30],
        "notes": lambda pk: _staff_only(Note.objects.filter(customer_id=pk), "created_by")[:30],
        "key_dates": lambda pk: KeyDate.objects.filter(customer_id=pk),
        "contacts": lambda pk: Contact.objects.filter(customer_id=pk),
        "financials": lambda pk: FinancialYear.objects.filter(customer_id=pk),
        "relations": lambda pk: (
            RelatedParty.objects.filter(customer_id=pk)
            .select_related("related")
            .only("id", "customer_id", "related_id", "kind", "note", "related__id", "related__name")
        ),
        "documents": lambda pk: Document.objects.filter(customer_id=pk),
        "tags": lambda pk: Tag.objects.filter(customers__id=pk),
    }
    return {name: compiled(("customers.360", name), build) for name, build in builds.items()}


def _read_sections(customer, names) -> dict:
    """The named collections of `customer`, read by their compiled queries; each row knows its archive (as the
    related manager's rows do), and holdings and contacts are kept on the archive as prefetched, so a slot that
    needs them (sales' hints, the qualification slot's stakeholder map) reads no more."""
    queries = _section_queries()
    out = {}
    for name in names:
        rows = out[name] = queries[name](customer.pk)
        if name != "tags":
            for row in rows:
                row.__class__.customer.field.set_cached_value(row, customer)
    for name in ("holdings", "contacts"):
        if name in out:
            manager = getattr(customer, name)
            qs = manager.all()
            qs._result_cache, qs._prefetch_done = out[name], True
            customer.__dict__.setdefault("_prefetched_objects_cache", {})[manager.field.remote_field.cache_name] = qs
    return out


#: the 360° page's links by the template's name for them: (url name, the arguments after the archive's id)
_PAGE_URLS = {
    "edit": ("customers:edit",),
    "personal_data": ("customers:personal_data",),
    "reveal": ("customers:reveal",),
    "assign": ("customers:assign",),
    "anonymise": ("customers:anonymise",),
    **{
        f"add_{what}": ("customers:add", what)
        for what in ("note", "need", "contact", "key_date", "holding", "financial", "document", "related")
    },
}
_page_url_patterns: dict = {}


def _page_urls(pk) -> dict:
    """The page's links for archive `pk`: each reversed once per process (and script prefix) with a marker id,
    the marker then replaced per request (a `{% url %}` tag reverses on every render, ~150 Python calls each)."""
    from django.urls import get_script_prefix

    prefix = get_script_prefix()
    patterns = _page_url_patterns.get(prefix)
    if patterns is None:
        patterns = {key: reverse(name, args=[987654321, *rest]) for key, (name, *rest) in _PAGE_URLS.items()}
        patterns["list"] = reverse("customers:list")
        _page_url_patterns[prefix] = patterns
    text = str(pk)
    return {key: value.replace("987654321", text) for key, value in patterns.items()}


@login_required
def customer_detail(request, pk):
    # one scoped read: the archive, its tier, owners, unit and whether the viewer may change it
    rows = _archive_query(request.user)(pk)
    customer = rows[0] if rows else None
    if customer is None:
        raise Http404
    services.record_view(request.user, customer, channel="ui")
    masked = {f: mask(f, getattr(customer, f)) for f in SENSITIVE_FIELDS}
    writable = bool(customer.writable)
    corporate = customer.kind != CustomerKind.INDIVIDUAL
    rm_choices = _rm_choices(request.user) if writable and not customer.is_anonymised else []
    # only the add-forms the template shows this viewer on this archive (none for a reader)
    forms = (_ARCHIVE_FORMS if not customer.is_anonymised else ()) + (_CORPORATE_FORMS if corporate else ())
    # every collection is read here, in a fixed number of queries whatever its length, never lazily
    # from the template; the corporate-only sections are not read for an individual (issue 18)
    names = ["holdings", "tier_changes", "ownership", "needs", "notes", "key_dates", "documents", "tags"]
    sections = _read_sections(customer, names + (["contacts", "financials", "relations"] if corporate else []))
    holdings = sections["holdings"]
    for h in holdings:
        h.balance_text = money(h.balance)
    ctx = {
        "c": customer,
        "masked": masked,
        "writable": writable,
        "can_reveal": services.can_reveal(request.user) and not customer.is_anonymised,
        "can_privacy": services.can_privacy(request.user),
        "holdings": holdings,
        "tier_changes": sections["tier_changes"],
        "tier_watch": _tier_watch(customer),
        "ownership": sections["ownership"],
        "needs": sections["needs"],
        "notes": sections["notes"],
        "key_dates": sections["key_dates"],
        "contacts": sections.get("contacts", []),
        "financials": sections.get("financials", []),
        "relations": sections.get("relations", []),
        "documents": sections["documents"],
        "tags": sections["tags"],
        "slots": slots_for(request, customer),
        **(_blank_forms(forms) if writable and forms else {}),
        "rm_choices": rm_choices,
        "a_rm_options": options(rm_choices, customer.a_rm_id) if rm_choices else "",
        "b_rm_options": options(rm_choices, customer.b_rm_id) if rm_choices else "",
        "sensitive_fields": [(f, str(label), masked[f]) for f, label in SENSITIVE_FIELDS.items()],
        "urls": _page_urls(customer.pk),
    }
    _print_ready(customer, ctx)
    return render(request, "customers/detail.html", ctx)


def _print_ready(customer, ctx):
    """The 360° page's rows ready to print (issue 18, decision 87): each label from one dict per choice set
    (not `get_FOO_display` per row), local times and links made here once, the markup left to the template."""
    from django.utils import timezone

    from .models import Document, KeyDate, Need, OwnershipChange, Product, TierChange

    def labels(model, field):
        return {k: str(v) for k, v in model._meta.get_field(field).flatchoices}

    def day(value, fmt="%Y-%m-%d"):
        if value is None:
            return ""
        return (timezone.localtime(value) if hasattr(value, "tzinfo") and value.tzinfo else value).strftime(fmt)

    if ctx["holdings"]:
        categories, risks = labels(Product, "category"), labels(Product, "risk_level")
        for h in ctx["holdings"]:
            p = h.product
            h.category_text, h.risk_text = categories.get(p.category, p.category), risks.get(p.risk_level, p.risk_level)
            h.opened_text, h.matures_text, h.closed_text = day(h.opened_on), day(h.matures_on), day(h.closed_on)
    if ctx["tier_changes"]:
        directions, badges = labels(TierChange, "direction"), {"up": "ok", "down": "warn"}
        for t in ctx["tier_changes"]:
            t.at_text, t.direction_text = day(t.at, "%Y-%m-%d %H:%M"), directions.get(t.direction, t.direction)
            t.badge = badges.get(t.direction, "")
    if ctx["ownership"]:
        kinds = labels(OwnershipChange, "kind")
        for o in ctx["ownership"]:
            o.at_text, o.kind_text = day(o.at), kinds.get(o.kind, o.kind)
    if ctx["needs"]:
        categories, statuses = labels(Need, "category"), labels(Need, "status")
        for n in ctx["needs"]:
            n.at_text, n.category_text = day(n.created_at), categories.get(n.category, n.category)
            n.status_text = statuses.get(n.status, n.status)
    for n in ctx["notes"]:
        n.at_text = day(n.created_at, "%Y-%m-%d %H:%M")
    if ctx["key_dates"]:
        kinds = labels(KeyDate, "kind")
        for k in ctx["key_dates"]:
            k.kind_text, k.day_text = kinds.get(k.kind, k.kind), day(k.date, "%m-%d")
    if ctx["documents"]:
        kinds = labels(Document, "kind")
        pattern = reverse("customers:document", args=[customer.pk, 987654321])
        for d in ctx["documents"]:
            d.kind_text, d.at_text = kinds.get(d.kind, d.kind), day(d.uploaded_at)
            d.url = pattern.replace("987654321", str(d.pk))
    if ctx["relations"]:
        pattern = reverse("customers:detail", args=[987654321])
        for r in ctx["relations"]:
            r.url = pattern.replace("987654321", str(r.related_id))


@login_required
@require_POST
def customer_reveal(request, pk):
    field = request.POST.get("field", "")
    try:
        value = services.reveal_field(request.user, pk, field, request.POST.get("reason", ""))
    except ValidationError as exc:
        return render(
            request,
            "customers/_reveal.html",
            {"pk": pk, "field": field, "error": " ".join(exc.messages), "masked": ""},
            status=422,
        )
    return render(request, "customers/_reveal.html", {"pk": pk, "field": field, "value": value})


@login_required
@require_POST
def customer_add(request, pk, what):
    """Small additions from the 360° page: note, need, contact, key date, holding, financials, document, link."""
    forms_by = {
        "note": NoteForm,
        "need": NeedForm,
        "contact": ContactForm,
        "key_date": KeyDateForm,
        "holding": HoldingForm,
        "financial": FinancialYearForm,
        "document": DocumentForm,
        "related": RelatedForm,
    }
    if what not in forms_by:
        raise Http404
    get_customer_or_404(request.user, pk, write=True)
    form = forms_by[what](request.POST, request.FILES)
    if not form.is_valid():
        messages.error(
            request, _("请检查填写内容：") + "; ".join(f"{e}" for errs in form.errors.values() for e in errs)
        )
        return redirect("customers:detail", pk=pk)
    d = form.cleaned_data
    try:
        if what == "note":
            services.add_note(request.user, pk, d["text"])
        elif what == "need":
            services.add_need(request.user, pk, d["text"], d.get("category") or "")
        elif what == "contact":
            services.add_contact(
                request.user,
                pk,
                name=d["name"],
                role=d["role"],
                title=d.get("title") or "",
                mobile=d.get("mobile") or "",
                attitude=d.get("attitude") or "neutral",
                influence=d.get("influence") or "medium",
            )
        elif what == "key_date":
            services.add_key_date(request.user, pk, kind=d["kind"], day=d["date"], label=d.get("label") or "")
        elif what == "holding":
            services.save_holding(
                request.user,
                pk,
                product=d["product"],
                balance=d["balance"],
                account_no=d.get("account_no") or "",
                closed_on=d.get("closed_on"),
                matures_on=d.get("matures_on"),
            )
        elif what == "financial":
            services.add_financial_year(
                request.user, pk, year=d["year"], revenue=d["revenue"], assets=d["assets"], liabilities=d["liabilities"]
            )
        elif what == "document":
            services.add_document(request.user, pk, kind=d["kind"], file=d["file"])
        else:
            related = visible_customers(request.user).filter(customer_no=d["related_no"].strip()).first()
            if related is None:
                raise ValidationError({"related": [_("关联客户号不存在或不在您的管辖范围内。")]})
            services.link_related(request.user, pk, related.pk, d["kind"])
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("已保存。"))
    return redirect("customers:detail", pk=pk)


@login_required
@require_POST
def customer_assign(request, pk):
    try:
        services.request_assignment(
            request.user,
            [pk],
            request.POST.get("a_rm"),
            request.POST.get("b_rm") or None,
            reason=request.POST.get("reason", ""),
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("归属调整申请已提交，待主管审批。"))
    return redirect("customers:detail", pk=pk)


@login_required
def customer_personal_data(request, pk):
    data = services.personal_data(request.user, pk)
    body = json.dumps(data, ensure_ascii=False, indent=2)
    resp = HttpResponse(body, content_type="application/json; charset=utf-8")
    resp["Content-Disposition"] = f'attachment; filename="personal_data_{pk}.json"'
    return resp


@login_required
@require_POST
def customer_anonymise(request, pk):
    try:
        services.anonymise_customer(request.user, pk, request.POST.get("reason", ""))
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("已完成匿名化处理。"))
    return redirect("customers:detail", pk=pk)


# --- import ------------------------------------------------------------------------------------


@login_required
def import_page(request):
    if not services.can_import(request.user):
        raise PermissionDenied(_("您无权导入客户数据。"))
    form = ImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            job = services.start_import(request.user, form.cleaned_data["file"], form.cleaned_data["kind"])
        except ValidationError as exc:
            _apply_errors(form, exc)
        else:
            return redirect("customers:import_detail", pk=job.pk)
    jobs = ImportJob.objects.filter(created_by=request.user)[:20]
    return render(request, "customers/import.html", {"form": form, "jobs": jobs})


def _own_job(user, pk):
    job = ImportJob.objects.filter(pk=pk, created_by=user).first()
    if job is None:
        raise Http404
    return job


@login_required
def import_detail(request, pk):
    job = _own_job(request.user, pk)
    template = "customers/_import_status.html" if request.htmx else "customers/import_detail.html"
    ctx = {
        "job": job,
        "error_rows": importer.labelled_errors(job.kind, job.errors[:200]) if job.status == "failed" else [],
        "can_retry": job.status == "failed" and services.can_import(request.user),
    }
    return render(request, template, ctx)


@login_required
@require_POST
def import_retry(request, pk):
    """Re-queue a failed import (issue 10: a job whose worker died, or a file fixed meanwhile): the
    uploader, or a supervisor whose scope holds the uploader (the service answers 404 to anyone else)."""
    try:
        job = services.retry_import(request.user, pk)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        job = ImportJob.objects.get(pk=pk)  # the service found it retryable by this user
    else:
        messages.success(request, _("已重新排队导入。"))
    if job.created_by_id == request.user.pk:
        return redirect("customers:import_detail", pk=pk)
    return redirect("customers:import")


@login_required
def import_errors(request, pk):
    """The error report of a failed file, built in the reader's language (labels, never field codes)."""
    job = _own_job(request.user, pk)
    if not job.error_report:
        raise Http404
    report = io.BytesIO(importer.error_report_bytes(job.errors, job.kind))
    return FileResponse(report, as_attachment=True, filename=f"import_errors_{job.pk}.xlsx")


@login_required
def import_template(request, kind):
    if kind not in ("customers", "holdings"):
        raise Http404
    resp = HttpResponse(
        importer.template_bytes(kind), content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    resp["Content-Disposition"] = f'attachment; filename="{kind}_template.xlsx"'
    return resp


# --- pool, conflicts, handover ---------------------------------------------------------------------


@login_required
def pool(request):
    if not services.is_supervisor(request.user):
        raise PermissionDenied(_("只有团队长或分管行长可以查看待分配客户。"))
    if request.method == "POST":
        try:
            services.request_assignment(
                request.user,
                request.POST.getlist("customer_ids"),
                request.POST.get("a_rm"),
                request.POST.get("b_rm") or None,
                reason=request.POST.get("reason", ""),
            )
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, _("分配申请已提交，待审批。"))
        return redirect("customers:pool")
    page = queries.page_of(
        services.pool_customers(request.user), cursor=request.GET.get("cursor"), limit=50, related=("tier", "org_unit")
    )
    gaps = services.coverage_gaps(request.user).select_related("tier").order_by("-deposits")[:50]
    pending = ApprovalRequest.objects.filter(
        kind="customers.assign", status=ApprovalStatus.PENDING, requested_by=request.user
    )[:20]
    return render(
        request, "customers/pool.html", {"page": page, "gaps": gaps, "rms": _rms_for(request.user), "pending": pending}
    )


@login_required
def conflicts(request):
    status = request.GET.get("status", ConflictStatus.OPEN)
    qs = (
        services.visible_conflicts(request.user)
        .select_related("existing", "claimant", "subject", "resolved_by")
        .order_by("-created_at", "-id")
    )
    if status:
        qs = qs.filter(status=status)
    rows = services.mark_existing_visibility(request.user, qs[:200])
    for k in rows:
        k.match_label = _field_label(k.match_field)
    return render(
        request, "customers/conflicts.html", {"conflicts": rows, "status": status, "statuses": ConflictStatus.choices}
    )


@login_required
def conflict_detail(request, pk):
    conflict = (
        services.visible_conflicts(request.user).select_related("existing", "claimant", "subject").filter(pk=pk).first()
    )
    if conflict is None:
        raise Http404
    if request.method == "POST":
        try:
            services.resolve_conflict(
                request.user,
                pk,
                request.POST.get("action", ""),
                owner_id=request.POST.get("owner") or None,
                note=request.POST.get("note", ""),
            )
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, _("冲突已处理。"))
            return redirect("customers:conflicts")
    proposed = {}
    for k, v in conflict.proposed.items():
        if v in (None, "", {}, False):
            continue
        proposed[_field_label(k) if k != "customer_no" else _("客户号")] = mask(k, v) if k in SENSITIVE_FIELDS else v
    # the existing archive only for a viewer whose scope holds it (the supervisor covering both), never
    # for a claimant outside it: they see their own claim and that it went to a supervisor (SPEC §2)
    services.mark_existing_visibility(request.user, [conflict])
    existing = conflict.existing if conflict.existing_visible else None
    can_resolve = (
        existing is not None
        and services.is_supervisor(request.user)
        and conflict.claimant_id != request.user.pk
        and conflict.status == ConflictStatus.OPEN
        and services.supervises_all(request.user, [existing.pk])
    )
    return render(
        request,
        "customers/conflict_detail.html",
        {
            "conflict": conflict,
            "proposed": proposed,
            "existing": existing,
            "existing_masked": [(str(label), mask(f, getattr(existing, f))) for f, label in SENSITIVE_FIELDS.items()]
            if existing is not None
            else [],
            "can_resolve": can_resolve,
            "rms": _rms_for(request.user) if can_resolve else [],
            "match_label": _field_label(conflict.match_field),
        },
    )


HANDOVER_FILTERS = ("tier", "stage", "kind")


@login_required
def handover(request):
    """客户移交 (SPEC §2): pick the leaving and the receiving RM, filter (tier, stage, kind) and select
    the customers (select all / none, a live count), write the notes, confirm (receiver and count
    named), submit. Works without JavaScript: select all / none are links, the count is on the
    confirmation step; handover.js makes both live. The service re-checks everything on submit."""
    if not services.is_supervisor(request.user):
        raise PermissionDenied(_("只有团队长或分管行长可以发起客户移交。"))
    rms = _rms_for(request.user)
    data = request.POST if request.method == "POST" else request.GET
    from_id, to_id = data.get("from_rm"), data.get("to_rm")
    filters = {k: data.get(k, "") for k in HANDOVER_FILTERS}
    from_rm = to_rm = None
    candidates, total = [], 0
    staff = visible_staff(request.user)
    if from_id and str(from_id).isdigit():
        from_rm = staff.filter(pk=from_id).first()
        to_rm = staff.filter(pk=to_id).first() if to_id and str(to_id).isdigit() else None
        if from_rm is not None and request.method == "GET":
            candidates, total = services.handover_preview(
                request.user, from_rm, **{k: v for k, v in filters.items() if v}
            )
    form = HandoverForm(request.POST or None)
    step = request.POST.get("step", "submit")  # the page's button asks for "confirm" first
    if request.method == "POST":
        if form.is_valid():
            d = form.cleaned_data
            notes = {str(cid): request.POST.get(f"note_{cid}", "") for cid in d["customer_ids"]}
            try:
                if step == "confirm":
                    return _handover_confirm(request, d, notes)
                services.request_handover(
                    request.user,
                    d["from_rm"],
                    d["to_rm"],
                    notes=notes,
                    customer_ids=d["customer_ids"],
                    reason=d["reason"],
                )
            except ValidationError as exc:
                _apply_errors(form, exc)
            else:
                messages.success(request, _("移交申请已提交，待审批；审批通过后客户即转给接收人。"))
                return redirect(reverse("customers:handover"))
        if from_rm is not None:  # show the selection again, with the errors next to it
            candidates, total = services.handover_preview(
                request.user, from_rm, **{k: v for k, v in filters.items() if v}
            )
    # every RM in the actor's scope, including those who left (their customers must be handed over)
    leavers = staff.filter(roles__code=RoleCode.RM).exclude(status="active").order_by("employee_no").distinct()
    history = Handover.objects.filter(requested_by=request.user).select_related("from_rm", "to_rm", "approved_by")[:20]
    posted = set(request.POST.getlist("customer_ids")) if request.method == "POST" else None
    select_none = data.get("select") == "none"
    rows = [
        {
            "c": c,
            "checked": (str(c.pk) in posted) if posted is not None else not select_none,
            "note": request.POST.get(f"note_{c.pk}", "") if posted is not None else "",
        }
        for c in candidates
    ]
    base = {k: v for k, v in {"from_rm": from_id, "to_rm": to_id, **filters}.items() if v}
    kind_labels = dict(CustomerKind.choices)
    return render(
        request,
        "customers/handover.html",
        {
            "rms": rms,
            "leavers": leavers,
            "from_rm": from_rm,
            "to_rm": to_rm,
            "rows": rows,
            "candidates": candidates,
            "total": total,
            "selected_count": sum(1 for r in rows if r["checked"]),
            "capped": total > len(candidates),
            "form": form,
            "history": history,
            "filters": filters,
            "tier_groups": [
                {"label": f"{kind_labels.get(kind, kind)}：{rs.name}", "tiers": list(rs.tiers.all())}
                for kind, rs in services.active_rule_sets().items()
            ],
            "stages": Stage.choices,
            "kinds": CustomerKind.choices,
            "select_all_qs": urlencode({**base, "select": "all"}),
            "select_none_qs": urlencode({**base, "select": "none"}),
        },
    )


def _handover_confirm(request, d, notes):
    """The confirmation step: the service's checks without writing, then the receiver (name, employee
    number, unit) and the count named before the user submits (issue 10)."""
    from_rm, to_rm, ids = services.check_handover(request.user, d["from_rm"], d["to_rm"], d["customer_ids"])
    held = services.handover_candidates(request.user, from_rm)
    chosen = list(held.filter(pk__in=ids).select_related("tier").order_by("-aum", "id"))
    unit = to_rm.team or to_rm.unit
    return render(
        request,
        "customers/handover_confirm.html",
        {
            "from_rm": from_rm,
            "to_rm": to_rm,
            "to_unit": unit,
            "chosen": [{"c": c, "note": notes.get(str(c.pk), "")} for c in chosen],
            "count": len(chosen),
            "reason": d["reason"],
            "back_qs": urlencode({"from_rm": from_rm.pk, "to_rm": to_rm.pk}),
        },
    )


@login_required
def document_download(request, pk, doc_pk):
    """A document on file, streamed through the customer's read scope (SPEC §2, §12), never from a
    public media URL; each download is on the audit trail (personal data). Another customer's
    document, or a file gone from storage, is the same 404."""
    customer = get_customer_or_404(request.user, pk)
    doc = customer.documents.filter(pk=doc_pk).first()
    if doc is None:
        raise Http404
    response = serve_file(doc.file)
    services.record_document_download(request.user, doc)
    return response
