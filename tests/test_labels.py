"""No raw codes on any screen (issue 10 "What users see"; SPEC §12 Chinese first): a page walker signs in
as an RM, a team lead, a branch manager, an assistant and a risk officer over the demo bank (customers of
every kind, tier, stage, ID type and gender; interactions, appointments, schedules, journals in every
state; cases, surveys, churn watch), opens every page of their menu and every page those link to (each
URL pattern a few times, so every object's detail page is reached), in Chinese and in English, and fails
when a visible text (a whole text node or a whole table cell; `placeholder` and `title` attributes) is a
raw choice code of any model (where it differs from its label) or a raw model field name.

Only codes that look like codes are checked: lowercase ASCII identifiers (`individual`, `resident_id`)
and single capitals (`M`, `F`); numbers and mixed-case words are left alone.
"""

import re
from collections import defaultdict
from html.parser import HTMLParser
from urllib.parse import urlsplit

import pytest
from django.apps import apps
from django.conf import settings
from django.test import Client
from django.urls import Resolver404, resolve

from rmdesk.core import hooks

pytestmark = pytest.mark.django_db

ROLES = ("rm_senior", "teamlead", "branchmgr", "assistant", "risk")
LANGUAGES = ("zh-hans", "en")
PER_PATTERN = 2  # URLs walked per URL pattern (and query-string variant) and user
CODE_LIKE = re.compile(r"^(?:[a-z][a-z0-9]*(?:_[a-z0-9]+)*|[A-Z])$")
FIELD_LIKE = re.compile(r"^[a-z][a-z0-9]*(?:_[a-z0-9]+)+$")
SKIP_PREFIXES = ("/admin/", "/api/", "/i18n/", "/accounts/logout", "/static/", "/media/", "/healthz")
SKIP_NAMES = {"logout"}
#: downloads (PDF print sheets, Excel/PDF exports): not screens, and each costs a PDF render; their own tests
#: open them (tests/<app>/test_*export*, test_*pdf*)
DOWNLOAD = re.compile(r"(?:^|&)format=|/pdf/?$")
#: texts of the demo data itself that happen to look like codes (none today); keep the list short
ALLOWED = set()


def _raw_codes():
    """Every model choice code that differs from its label and looks like a code, and every model
    field name in snake_case, over all installed apps. A code that is some choice's label as well
    (credit standing "A" is its own label) is not a raw code."""
    codes, fields, labels = {}, {}, set()
    for model in apps.get_models():
        for f in model._meta.get_fields():
            name = getattr(f, "name", "")
            if FIELD_LIKE.match(name) and getattr(f, "concrete", False):
                fields.setdefault(name, f"{model._meta.label}.{name}")
            for code, label in getattr(f, "flatchoices", None) or ():
                code = str(code)
                labels.add(str(label))
                if CODE_LIKE.match(code) and code != str(label):
                    codes.setdefault(code, f"{model._meta.label}.{name}")
    return {c: where for c, where in codes.items() if c not in labels}, fields


class _Texts(HTMLParser):
    """Visible texts: whole text nodes, whole table cells, placeholder/title attribute values."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.texts, self.links = [], []
        self._skip = 0
        self._cells = []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag in ("script", "style"):
            self._skip += 1
        if tag in ("td", "th"):
            self._cells.append([])
        for key in ("placeholder", "title"):
            if a.get(key):
                self.texts.append(a[key].strip())
        for key in ("href", "hx-get"):
            if a.get(key):
                self.links.append(a[key])

    def handle_endtag(self, tag):
        if tag in ("script", "style") and self._skip:
            self._skip -= 1
        if tag in ("td", "th") and self._cells:
            self.texts.append("".join(self._cells.pop()).strip())

    def handle_data(self, data):
        if self._skip:
            return
        self.texts.append(data.strip())
        for cell in self._cells:
            cell.append(data)


def _route_key(path: str, query: str):
    try:
        match = resolve(path)
    except Resolver404:
        return None
    if match.url_name in SKIP_NAMES:
        return None
    return (match.view_name, tuple(sorted(k.split("=")[0] for k in query.split("&") if k)))


def _translations(language) -> set:
    """Every text the catalogues of `language` translate to: a translation that happens to be a
    lowercase word (English "system" for 系统) is a label, not a raw code."""
    from django.utils.translation import trans_real

    catalog = trans_real.translation(language)._catalog
    return {str(v) for _k, v in catalog.items() if isinstance(v, str)}


def _walk(user, language, codes, fields):
    translated = _translations(language) if language != settings.LANGUAGE_CODE else set()
    client = Client()
    client.force_login(user)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    start = [m["url"] for m in hooks.menu_for(user)] + ["/"]
    queue, seen, per_key, found, visited = list(start), set(), defaultdict(int), [], set()
    while queue:
        url = queue.pop(0)
        parts = urlsplit(url)
        if parts.scheme or parts.netloc or not parts.path.startswith("/") or parts.path.startswith(SKIP_PREFIXES):
            continue
        url = parts.path + (f"?{parts.query}" if parts.query else "")
        if url in seen or DOWNLOAD.search(parts.query) or DOWNLOAD.search(parts.path):
            continue
        seen.add(url)
        key = _route_key(parts.path, parts.query)
        if key is None or per_key[key] >= PER_PATTERN:
            continue
        per_key[key] += 1
        resp = client.get(url)
        if resp.status_code != 200 or "text/html" not in resp.get("Content-Type", ""):
            continue
        visited.add(key[0])
        parser = _Texts()
        parser.feed(resp.content.decode())
        for text in parser.texts:
            if not text or text in ALLOWED or text in translated:
                continue
            if text in codes:
                found.append(f"[{language} {user.username}] {url}: choice code {text!r} ({codes[text]})")
            elif text in fields:
                found.append(f"[{language} {user.username}] {url}: field name {text!r} ({fields[text]})")
        queue.extend(parser.links)
    return found, visited


def _problems(html: str, codes, fields) -> list[str]:
    parser = _Texts()
    parser.feed(html)
    return list(dict.fromkeys(t for t in parser.texts if t and t not in ALLOWED and (t in codes or t in fields)))


def test_the_detector_finds_raw_codes_and_leaves_labels_alone():
    """The walker can fail: whole nodes, whole cells and placeholder/title are checked; scripts,
    other attributes, labels, codes inside longer text and codes that are also labels are not."""
    codes, fields = _raw_codes()
    bad = (
        "<table><tr><td>individual</td><td><span>resident</span><span>_id</span></td></tr></table>"
        "<p>potential</p><dd> M </dd><input placeholder='id_number'><b title='a_rm_no'>x</b>"
    )
    assert _problems(bad, codes, {**fields, "a_rm_no": "x"}) == [
        "individual",
        "resident_id",
        "potential",
        "M",
        "id_number",
        "a_rm_no",
    ]
    good = (
        "<script>var kind = 'individual';</script><style>.M{}</style><option value='individual'>个人</option>"
        "<td>个人</td><p>客户类型 individual 的说明</p><td>A</td><td>2026</td><a href='/x/' data-kind='phone'>电话</a>"
    )
    assert _problems(good, codes, fields) == []


@pytest.fixture
def demo_bank(make_demo_ctx):
    """The demo bank at a small scale: every installed app's builder in app order, as seed_demo runs
    them (so an app added later is walked with its own demo data)."""
    import importlib

    from rmdesk.org.management.commands.seed_demo import refresh_planner_statistics

    ctx = make_demo_ctx(scale=0.12)
    for config in apps.get_app_configs():
        if config.name.startswith("rmdesk."):
            try:
                module = importlib.import_module(f"{config.name}.demo")
            except ModuleNotFoundError as exc:
                if exc.name != f"{config.name}.demo":
                    raise
                continue
            module.build(ctx)
    refresh_planner_statistics()  # as seed_demo does: an earlier test may have left statistics of empty tables
    return ctx


def test_no_raw_codes_on_any_page(demo_bank):
    from rmdesk.customers.models import Customer
    from rmdesk.org.models import User

    # the walk only proves something if the data has what the tester saw: every kind, both genders
    assert set(Customer.objects.values_list("kind", flat=True)) >= {"individual", "corporate"}
    assert set(Customer.objects.values_list("gender", flat=True)) >= {"M", "F"}
    codes, fields = _raw_codes()
    assert {"individual", "potential", "M"} <= set(codes) and "id_number" in fields
    problems, visited = [], set()
    for username in ROLES:
        user = User.objects.get(username=username)
        for language in LANGUAGES:
            found, seen = _walk(user, language, codes, fields)
            problems += found
            visited |= seen
    # the walker reached the detail pages of every app, not only the menu
    assert {
        "customers:detail",
        "work:interaction_detail",
        "work:journal_detail",
        "service:case_detail",
        "org:unit_detail",
        "org:staff_detail",
    } <= visited, sorted(visited)
    assert not problems, "raw codes on screen:\n" + "\n".join(sorted(set(problems)))


CJK = re.compile(r"[\u4e00-\u9fff]")


def test_every_choice_label_and_field_name_has_an_english_label():
    """Labels in both languages: every choice label and field verbose name of the project's models
    reads in English when the user chose English (a missing catalogue entry shows the Chinese source)."""
    from django.utils import translation

    missing = set()
    with translation.override("en"):
        for model in apps.get_models():
            if not model.__module__.startswith("rmdesk."):
                continue
            for f in model._meta.get_fields():
                name = getattr(f, "verbose_name", None)
                if name is not None and not f.auto_created and CJK.search(str(name)):
                    missing.add(f"{model._meta.label}.{f.name}: {name}")
                for code, label in getattr(f, "flatchoices", None) or ():
                    if CJK.search(str(label)):
                        missing.add(f"{model._meta.label}.{f.name}={code}: {label}")
    assert not missing, "no English label:\n" + "\n".join(sorted(missing))
