"""The pack's words in the UI (issue 19: "the words the UI uses for the customer (客户 / 用户 / 零售户 / 大客户)"):
stored when a pack is loaded, and used by the customers menu entry, the customer list's heading, the 360° page's
title and the home page's customers panel, in Chinese and English; read once per request."""

import re

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from rmdesk.packs.models import PackInUse
from rmdesk.packs.services import words_in_use

pytestmark = pytest.mark.django_db


def menu_entry(html: str) -> str:
    return re.search(r'data-nav="customers">([^<]*)</a>', html).group(1)


def list_heading(html: str) -> str:
    return re.search(r'data-testid="customer-list-title">([^<]*)</h1>', html).group(1)


def customers_panel(html: str) -> str:
    return re.search(r'data-panel="customers">\s*<h2>([^<]*)</h2>', html).group(1)


def title(html: str) -> str:
    return re.search(r"<title>([^<]*)</title>", html).group(1)


def test_before_any_pack_the_screens_say_customer(client, world):
    assert words_in_use().customer == "客户" and not PackInUse.objects.exists()
    client.force_login(world.rm)
    html = client.get(reverse("customers:list")).text
    assert (menu_entry(html), list_heading(html)) == ("客户档案", "客户档案")
    assert customers_panel(client.get(reverse("home")).text) == "我的客户"


def test_after_load_pack_tobacco_the_screens_say_retailer(client, world, make_customer):
    call_command("load_pack", "tobacco")
    stored = PackInUse.objects.get()
    assert (stored.pack, stored.words["customer"], stored.words["customer_en"]) == ("tobacco", "零售户", "retailer")
    customer = make_customer(world.rm, name="东街烟酒店")
    client.force_login(world.rm)

    html = client.get(reverse("customers:list")).text
    assert (menu_entry(html), list_heading(html)) == ("零售户档案", "零售户档案")
    assert title(html).startswith("零售户档案")
    detail = client.get(reverse("customers:detail", args=[customer.pk])).text
    assert "东街烟酒店 · 零售户360视图" in title(detail) and menu_entry(detail) == "零售户档案"
    home = client.get(reverse("home")).text
    assert customers_panel(home) == "我的零售户"
    assert "主办零售户数" in home and "查看我的零售户" in home and "主办客户数" not in home

    client.cookies["django_language"] = "en"
    english = client.get(reverse("customers:list")).text
    assert "Retailer" in list_heading(english) and "Retailer" in menu_entry(english)
    assert "零售户" not in list_heading(english)


def test_telecom_says_subscriber_and_a_second_load_keeps_the_stored_words(client, world):
    call_command("load_pack", "telecom")
    first = list(PackInUse.objects.values())
    call_command("load_pack", "telecom")
    assert list(PackInUse.objects.values()) == first
    client.force_login(world.rm)
    assert list_heading(client.get(reverse("customers:list")).text) == "用户档案"
    call_command("load_pack", "tobacco")  # set-up chose another industry: its words replace the first one's
    assert PackInUse.objects.get().pack == "tobacco"
    assert list_heading(client.get(reverse("customers:list")).text) == "零售户档案"


def test_the_words_are_read_once_per_request(client, world):
    call_command("load_pack", "tobacco")
    client.force_login(world.rm)
    with CaptureQueriesContext(connection) as ctx:
        html = client.get(reverse("customers:list")).text
    assert menu_entry(html) == list_heading(html) == "零售户档案"  # the menu and the heading both show the word
    assert len([q for q in ctx.captured_queries if "packs_packinuse" in q["sql"]]) == 1
    with CaptureQueriesContext(connection) as ctx:
        client.get(reverse("customers:list"), HTTP_HX_REQUEST="true", data={"page": 2})
    fragments = [q for q in ctx.captured_queries if "packs_packinuse" in q["sql"]]
    assert len(fragments) <= 1
