"""The one hook registry (docs/decisions.md 9): how an app shows itself in the shell and in other apps
without their code knowing it (SPEC §1 "navigation by role", §2 "360° view").

Each app calls `hooks.register(...)` from its AppConfig.ready(). Kinds:

- `MenuItem`        a menu entry, shown to whoever may use the page behind it (`roles`, or a
                    `visible_to(user)` test when a role is not the whole rule), in an area of the
                    menu (`group`, one of MENU_GROUPS; by default the area of its URL's app);
- `Counter`         a header badge: fn(user) -> {"key", "label", "count", "url"} or None;
- `HomePanel`       a home-page panel: fn(request) -> {"title", "template", "context", "order"} or None;
- `Slot`            a section of the customer's 360° page (rendered by customers.slots.slots_for);
- `ListFilter`      an extra filter another app offers on a list (e.g. the customer list);
- `ApprovalHandler` what happens when a request of a kind is approved, rejected, returned or withdrawn,
                    who else must agree to decide it, and where its business record is (the inbox's
                    link; see rmdesk.core.approvals);
- `InteractionGuard` a rule another app adds to recording a customer contact (e.g. compliance: a
                    door-to-door visit needs an approved special-service request), so the work app
                    enforces it without importing that app (`check_interaction`, `interaction_recorded`).
- `ShellFact`       a number about the signed-in person the shell shows or decides by (a badge's count,
                    whether a menu entry shows): fn(user) -> QuerySet; while the shell is drawn every
                    registered fact is read in ONE query (`shell_facts`, `fact`), fresh on every page.

Registration is idempotent by key: registering the same key again replaces the entry.
"""

from collections.abc import Callable
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import EmptyResultSet
from django.core.signals import setting_changed
from django.db import connections, router
from django.dispatch import receiver
from django.urls import NoReverseMatch, get_script_prefix, get_urlconf, reverse
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language, gettext_lazy, pgettext_lazy

from .roles import RoleCode, is_admin


@dataclass(frozen=True)
class MenuItem:
    key: str
    label: object  # a lazy translation
    url_name: str
    roles: tuple | None = None  # None: every signed-in user; otherwise any of these role codes
    order: int = 100
    admin_ok: bool = False  # also shown to administrators without one of the roles
    visible_to: Callable | None = None  # fn(user) -> bool: overrides `roles` when given
    group: str | None = None  # the menu area (MENU_GROUPS); None: by the URL's app; "": above the areas


@dataclass(frozen=True)
class Counter:
    key: str
    count: Callable  # fn(user) -> dict(label, count, url) | None


@dataclass(frozen=True)
class HomePanel:
    key: str
    build: Callable  # fn(request) -> dict(title, template, context, order) | None


@dataclass(frozen=True)
class Slot:
    key: str
    title: object
    template: str
    context: Callable  # (request, customer) -> dict | None (None hides the slot)
    order: int = 100
    roles: tuple | None = None  # None: everyone who may see the customer


@dataclass(frozen=True)
class ListFilter:
    key: str
    list_name: str  # which list offers it, e.g. "customers"
    label: object
    choices: tuple  # ((value, label), ...)
    apply: Callable  # fn(queryset, value, user) -> queryset
    order: int = 100


@dataclass(frozen=True)
class ApprovalHandler:
    key: str  # the request kind, e.g. "customers.assign"
    label: object  # the kind as people read it in the inbox
    on_approved: Callable | None = None  # fn(checker, request), inside the decision's transaction
    on_rejected: Callable | None = None  # fn(checker, request), inside the decision's transaction
    may_decide: Callable | None = None  # fn(checker, request) -> bool: a further condition on deciders
    on_returned: Callable | None = None  # fn(checker, request)
    maker_acts_in_inbox: bool = True  # False: the maker resubmits/withdraws on the business page, not the inbox
    allowed_decisions: Callable | None = None  # fn(checker, request) -> set of DecisionKind values it may take
    refusal_reason: Callable | None = None  # fn(checker, request) -> why a rule forbids them to decide, or ""
    on_cancelled: Callable | None = None  # fn(maker, request), inside the withdrawal's transaction
    subject_url: Callable | None = None  # fn(viewer, request) -> the business record's URL, or None if unseen


@dataclass(frozen=True)
class InteractionGuard:
    key: str
    check: Callable  # fn(actor, customer, facts: dict) -> {field: [messages]} (empty when allowed)
    recorded: Callable | None = None  # fn(actor, interaction, facts), inside the recording's transaction


@dataclass(frozen=True)
class ShellFact:
    key: str
    query: Callable  # fn(user) -> QuerySet | FactSQL | None (None: 0 without asking the database)
    exists: bool = False  # True: 1 when the queryset has a row, else 0 (read with LIMIT 1); False: its row count


@dataclass(frozen=True)
class FactSQL:
    """A fact's query already compiled (kept per process by its owner when it is the same for everyone or for a
    person's whole session: the ORM's compilation cost more than the query, issue 18). `sql` is the complete
    inner SELECT (with its own LIMIT 1 for an `exists` fact); `model` decides the database alias."""

    model: type
    sql: str
    params: tuple


KINDS = (MenuItem, Counter, HomePanel, Slot, ListFilter, ApprovalHandler, InteractionGuard, ShellFact)
_REGISTRY: dict[type, dict[str, object]] = {kind: {} for kind in KINDS}


_SORTED: dict[type, list] = {}  # registered(kind), kept until the kind's registrations change
_ROLE_MENUS: dict = {}  # (role codes, admin, urlconf, script prefix) -> the menu's plan (see menu_for)


def register(item):
    """Register one hook (any of KINDS); returns it, so it can be used as a decorator's result."""
    if type(item) not in _REGISTRY:
        raise TypeError(f"not a hook kind: {type(item).__name__}")
    _REGISTRY[type(item)][item.key] = item
    _SORTED.pop(type(item), None)
    _ROLE_MENUS.clear()
    return item


def unregister(kind: type, key: str):
    _REGISTRY[kind].pop(key, None)
    _SORTED.pop(kind, None)
    _ROLE_MENUS.clear()


def registered(kind: type) -> list:
    """Every registered hook of one kind, by (order, key) where the kind has an order (sorted once per change of
    the registrations, not on every page: the shell asks for the menu and the counters on each request)."""
    ordered = _SORTED.get(kind)
    if ordered is None:
        ordered = _SORTED[kind] = sorted(_REGISTRY[kind].values(), key=lambda i: (getattr(i, "order", 100), i.key))
    return list(ordered)


def get(kind: type, key: str):
    return _REGISTRY[kind].get(key)


#: the menu's areas, in this order (SPEC §2–§11, then the platform's own pages)
MENU_GROUPS = (
    ("customers", pgettext_lazy("menu area", "客户")),
    ("work", pgettext_lazy("menu area", "日常工作")),
    ("sales", pgettext_lazy("menu area", "营销")),
    ("credit", pgettext_lazy("menu area", "信贷")),
    ("contracts", pgettext_lazy("menu area", "合同")),
    ("service", pgettext_lazy("menu area", "服务")),
    ("compliance", pgettext_lazy("menu area", "合规")),
    ("performance", pgettext_lazy("menu area", "考核")),
    ("people", pgettext_lazy("menu area", "人才")),
    ("analytics", pgettext_lazy("menu area", "分析")),
    ("system", pgettext_lazy("menu area", "系统管理")),
)
#: an entry that names no area goes to the area of its URL's namespace (an app's pages are its area)
_NAMESPACE_GROUPS = {code: code for code, _label in MENU_GROUPS}
_NAMESPACE_GROUPS |= {"org": "system", "core": "system", "packs": "system"}
#: the shell's own entries without a namespace, and the inbox, which is everyone's daily work
_KEY_GROUPS = {"home": "", "approvals": "work", "security": "system"}
#: areas kept open on every page for holders of these roles (the RM's day: cadence, schedule, contacts, journals)
PINNED_GROUPS = {"work": (RoleCode.RM,)}
#: a menu of at most this many entries is shown with every area open (a referrer's, an administrator's)
SHORT_MENU = 12


def _group_of(item: MenuItem) -> str:
    if item.group is not None:
        return item.group
    if item.key in _KEY_GROUPS:
        return _KEY_GROUPS[item.key]
    namespace = item.url_name.split(":", 1)[0] if ":" in item.url_name else ""
    return _NAMESPACE_GROUPS.get(namespace, "")


_URLS: dict = {}  # (url name, urlconf, script prefix) -> path, or None when it does not reverse


def _menu_url(url_name: str) -> str | None:
    """`reverse(url_name)` remembered per URL configuration and script prefix: a menu entry's URL takes no
    arguments, so it is the same on every request (the shell reversed ~50 of them per page, issue 18)."""
    key = (url_name, get_urlconf() or settings.ROOT_URLCONF, get_script_prefix())
    try:
        return _URLS[key]
    except KeyError:
        pass
    try:
        url = reverse(url_name)
    except NoReverseMatch:
        url = None
    _URLS[key] = url
    return url


def menu_for(user) -> list[dict]:
    """The menu entries `user` may use, in order, with their URLs and areas. What the role codes decide is planned
    once per set of roles (and URL configuration) in the process, until a registration changes; an entry with
    its own `visible_to` test is still asked on every call."""
    if not getattr(user, "is_authenticated", False):
        return []
    admin = is_admin(user)
    key = (user.role_codes(), admin, get_urlconf() or settings.ROOT_URLCONF, get_script_prefix())
    plan = _ROLE_MENUS.get(key)
    if plan is None:
        plan = []
        for item in registered(MenuItem):
            if item.visible_to is not None:
                plan.append((item, None))  # decided per call
                continue
            if not (item.roles is None or user.has_role(*item.roles) or (item.admin_ok and admin)):
                continue
            entry = _menu_entry(item)
            if entry is not None:
                plan.append((item, entry))
        if len(_ROLE_MENUS) >= _MENU_HTML_MAX:
            _ROLE_MENUS.clear()
        _ROLE_MENUS[key] = plan
    out = []
    for item, entry in plan:
        if entry is None:
            if not (item.visible_to(user) or (item.admin_ok and admin)):
                continue
            entry = _menu_entry(item)
            if entry is None:
                continue
        out.append(dict(entry))  # a copy: the shell marks the active entry on it
    return out


def _menu_entry(item: MenuItem) -> dict | None:
    url = _menu_url(item.url_name)
    if url is None:
        return None
    return {"key": item.key, "label": item.label, "url": url, "group": _group_of(item)}


def menu_sections(items: list[dict], user, *, home: bool = False) -> list[dict]:
    """The menu as the shell draws it: the entries above the areas, then one section per area that has entries
    (MENU_GROUPS order), each {"code", "label", "items", "open"}. An area is open when it holds the current page
    (an item marked "active"), when it is pinned for one of the person's roles, on the home page (the whole map),
    or when the whole menu is short; the others fold to their headings (details/summary: no script)."""
    labels = dict(MENU_GROUPS)
    top = [i for i in items if not i.get("group") or i["group"] not in labels]
    short = len(items) <= SHORT_MENU
    sections = [{"code": "", "label": "", "items": top, "open": True}] if top else []
    for code, label in MENU_GROUPS:
        members = [i for i in items if i.get("group") == code]
        if not members:
            continue
        pinned = code in PINNED_GROUPS and user.has_role(*PINNED_GROUPS[code])
        opened = home or short or pinned or any(i.get("active") for i in members)
        sections.append({"code": code, "label": label, "items": members, "open": opened})
    return sections


def _menu_links(items) -> SafeString:
    return format_html_join(
        "",
        '<a href="{}" class="{}" data-nav="{}">{}</a>',
        ((i["url"], "active" if i.get("active") else "", i["key"], i["label"]) for i in items),
    )


_MENU_HTML: dict = {}  # what the menu shows -> its HTML (a few distinct menus per role, language and page area)
_MENU_HTML_MAX = 2048

#: the classes of gettext_lazy / pgettext_lazy proxies: their text depends on the message and the language only
_CATALOGUE_LAZY = (type(gettext_lazy("菜单")), type(pgettext_lazy("menu area", "客户")))
_TEXTS: dict = {}  # (id(label), language) -> (label, text); the label is kept so its id is never reused


def _text(label, language) -> str:
    """A menu label's text: a catalogue translation is looked up once per label and language (str() of ~60 lazy
    labels per page was a third of base.html's own time); any other label — e.g. the customers entry in the
    industry pack's word — is read afresh."""
    if type(label) not in _CATALOGUE_LAZY:
        return str(label)
    hit = _TEXTS.get((id(label), language))
    if hit is not None and hit[0] is label:
        return hit[1]
    text = str(label)
    if len(_TEXTS) >= _MENU_HTML_MAX:
        _TEXTS.clear()
    _TEXTS[(id(label), language)] = (label, text)
    return text


@receiver(setting_changed)
def _translations_changed(*, setting, **kwargs):
    if setting in ("LANGUAGES", "LANGUAGE_CODE", "LOCALE_PATHS", "INSTALLED_APPS"):
        _TEXTS.clear()
        _MENU_HTML.clear()


def menu_html(sections: list[dict], *, admin_label: str = "") -> SafeString:
    """The side menu's inner HTML from `menu_sections()`, built in Python (the same markup base.html drew with
    template loops: ~50 entries × four lookups cost milliseconds per page, issue 18) and kept per process under
    everything it shows — each entry's key, label text, URL and active mark, each area's label and fold, the
    admin label — so a cached menu is the HTML those exact values produce, for any person and language."""
    language = get_language()
    key = (
        str(admin_label),
        tuple(
            (
                s["code"],
                _text(s["label"], language),
                bool(s["open"]),
                tuple((i["key"], _text(i["label"], language), i["url"], bool(i.get("active"))) for i in s["items"]),
            )
            for s in sections
        ),
    )
    html = _MENU_HTML.get(key)
    if html is None:
        html = _draw_menu(sections, admin_label)
        if len(_MENU_HTML) >= _MENU_HTML_MAX:
            _MENU_HTML.clear()
        _MENU_HTML[key] = html
    return html


def _draw_menu(sections: list[dict], admin_label: str) -> SafeString:
    parts = []
    for s in sections:
        if not s["code"]:
            parts.append(_menu_links(s["items"]))
            continue
        extra = ""
        if s["code"] == "system" and admin_label:
            extra = format_html('<a href="{}" data-nav="admin">{}</a>', _menu_url("admin:index"), admin_label)
        parts.append(
            format_html(
                '<details class="nav-group" data-nav-group="{}"{}><summary data-testid="nav-group-{}">{}</summary>'
                '<div class="nav-items">{}{}</div></details>',
                s["code"],
                mark_safe(" open") if s["open"] else "",
                s["code"],
                s["label"],
                _menu_links(s["items"]),
                extra,
            )
        )
    return mark_safe("".join(parts))


class ShellFacts:
    """The registered facts about one person, read together on first use (one query per database alias: the
    header's badges and menu tests were one query each, issue 18). Made per drawing of the shell, after the
    view's writes, so a number is never older than the page it is shown on; nothing is kept across requests."""

    def __init__(self, user):
        self.user = user
        self._values: dict | None = None

    def get(self, key: str) -> int | None:
        if self._values is None:
            self._values = read_facts(self.user)
        return self._values.get(key)


_FACTS: ContextVar = ContextVar("rmdesk_shell_facts", default=None)


@contextmanager
def shell_facts(facts: ShellFacts):
    """While open, `fact(user, key)` answers from `facts` for its person (the shell's menu and counters)."""
    token = _FACTS.set(facts)
    try:
        yield facts
    finally:
        _FACTS.reset(token)


def fact(user, key: str) -> int | None:
    """A registered fact about `user` from the open batch (`shell_facts`), or None when no batch is open for this
    person or no such fact is registered: the caller then asks the database itself, as it always did."""
    facts = _FACTS.get()
    if facts is None or facts.user.pk is None or facts.user.pk != getattr(user, "pk", None):
        return None
    return facts.get(key)


def read_facts(user) -> dict[str, int]:
    """Every registered ShellFact about `user` in one SELECT of scalar subqueries per database alias:
    `SELECT (SELECT COUNT(*) FROM (<fact 1>) f0), (SELECT COUNT(*) FROM (<fact 2 LIMIT 1>) f1), ...`."""
    values: dict[str, int] = {}
    by_alias: dict[str, list] = {}
    for item in registered(ShellFact):
        qs = item.query(user)
        if qs is None:
            values[item.key] = 0
            continue
        if isinstance(qs, FactSQL):
            alias, sql, params = router.db_for_read(qs.model), qs.sql, qs.params
        else:
            alias = qs.db
            query = qs.query.exists(limit=True) if item.exists else qs.order_by().values("pk").query
            try:
                sql, params = query.get_compiler(using=alias).as_sql()
            except EmptyResultSet:  # e.g. a filter on an empty list: nothing can match
                values[item.key] = 0
                continue
        by_alias.setdefault(alias, []).append((item.key, sql, params))
    for alias, parts in by_alias.items():
        select = ", ".join(f"(SELECT COUNT(*) FROM ({sql}) f{i})" for i, (_key, sql, _params) in enumerate(parts))
        params = [p for _key, _sql, part_params in parts for p in part_params]
        with connections[alias].cursor() as cursor:
            cursor.execute(f"SELECT {select}", params)
            row = cursor.fetchone()
        values.update((key, int(n)) for (key, _sql, _params), n in zip(parts, row, strict=True))
    return values


def counters_for(user) -> list[dict]:
    return [c for c in (item.count(user) for item in registered(Counter)) if c]


def home_panels_for(request) -> list[dict]:
    panels = [p for p in (item.build(request) for item in registered(HomePanel)) if p]
    return sorted(panels, key=lambda p: p.get("order", 100))


def list_filters(list_name: str) -> list[ListFilter]:
    return [f for f in registered(ListFilter) if f.list_name == list_name]


def check_interaction(actor, customer, facts: dict) -> dict:
    """Every registered guard's field errors for a contact about to be recorded (facts: kind,
    door_to_door, occurred_at, companions, special_service_id); empty when all allow it."""
    errors: dict = {}
    for guard in registered(InteractionGuard):
        for field, messages in (guard.check(actor, customer, facts) or {}).items():
            errors.setdefault(field, []).extend(messages)
    return errors


def interaction_recorded(actor, interaction, facts: dict) -> None:
    """Tell every guard that the contact was recorded (inside the same transaction)."""
    for guard in registered(InteractionGuard):
        if guard.recorded is not None:
            guard.recorded(actor, interaction, facts)
