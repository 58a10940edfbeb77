"""Notification centre: notify() with dedupe, header counter, centre page, mark-read, API (SPEC §3)."""

import pytest

from rmdesk.core.models import Notification
from rmdesk.core.notifications import mark_read, notify, unread_count

pytestmark = pytest.mark.django_db


def test_notify_dedupes_unread_only(world):
    a = notify(world.rm, "test", "第一条", url="/work/", dedupe_key="k1")
    b = notify(world.rm, "test", "第二条", url="/work/", dedupe_key="k1")
    assert a.pk == b.pk and unread_count(world.rm) == 1
    other = notify(world.rm_b, "test", "别人的", url="/work/", dedupe_key="k1")
    assert other.pk != a.pk
    mark_read(world.rm, [a.pk])
    c = notify(world.rm, "test", "再次提醒", url="/work/", dedupe_key="k1")
    assert c.pk != a.pk and unread_count(world.rm) == 1
    notify(world.rm, "test", "无键", url="/work/", obj=world.rm_b)
    notify(world.rm, "test", "无键", url="/work/")
    assert unread_count(world.rm) == 3
    assert Notification.objects.filter(object_type="org.user", object_id=str(world.rm_b.pk)).count() == 1


def test_header_counter_and_page_mark_read(client, world):
    n1 = notify(world.rm, "test", "客户生日提醒", url="/work/")
    notify(world.rm, "test", "报告到期", url="/work/")
    notify(world.rm2, "test", "别人的消息", url="/work/")
    client.force_login(world.rm)
    html = client.get("/").content.decode()
    assert 'data-testid="counter-notifications"' in html
    assert "消息 <b>2</b>" in html
    page = client.get("/work/notifications/").content.decode()
    assert "客户生日提醒" in page and "别人的消息" not in page
    client.post("/work/notifications/read/", {"id": [n1.pk]})
    assert unread_count(world.rm) == 1
    # someone else's id is ignored
    foreign = Notification.objects.get(recipient=world.rm2)
    client.post("/work/notifications/read/", {"id": [foreign.pk]})
    assert unread_count(world.rm2) == 1
    client.post("/work/notifications/read/")
    assert unread_count(world.rm) == 0


def test_notification_api(api_client, world):
    notify(world.rm, "test", "甲", url="/work/")
    notify(world.rm2, "test", "乙", url="/work/")
    api = api_client(world.rm)
    items = api.get("/api/work/notifications?unread=true").json()
    assert [i["title"] for i in items] == ["甲"]
    assert api.get("/api/work/notifications/unread-count").json() == {"count": 1}
    assert api.post("/api/work/notifications/read", {}, content_type="application/json").json() == {"count": 1}
    assert api.get("/api/work/notifications/unread-count").json() == {"count": 0}
    assert unread_count(world.rm2) == 1


def test_centre_shows_kind_labels_not_codes(client, world):
    notify(world.rm, "maturity", "产品到期：张三 定期存款", url="/work/")
    notify(world.rm, "service.breach", "工单超时", url="/work/")
    notify(world.rm, "service.something_new", "新类别", url="/work/")
    notify(world.rm, "unheard_of", "未知类别", url="/work/")
    client.force_login(world.rm)
    body = client.get("/work/notifications/").content.decode()
    assert ">产品到期<" in body and ">SLA 超时<" in body and ">客户服务<" in body and ">消息<" in body
    assert ">maturity<" not in body and ">service.breach<" not in body


def test_centre_filters_by_kind_and_shows_labels(client, world):
    from rmdesk.core.notifications import notify

    notify(world.rm, "maturity", "理财产品到期", url="/work/")
    notify(world.rm, "approval.pending", "待审批：分配客户", url="/work/")
    notify(world.rm, "x.unknown", "未知类别的消息", url="/work/")
    client.force_login(world.rm)
    page = client.get("/work/notifications/").content.decode()
    assert "产品到期" in page and "待审批" in page and 'value="maturity"' in page
    assert ">maturity<" not in page and ">approval.pending<" not in page  # labels, never codes
    only = client.get("/work/notifications/?kind=maturity").content.decode()
    assert "理财产品到期" in only and "分配客户" not in only and "未知类别的消息" not in only
    # an unknown or foreign kind is ignored, not an error
    assert client.get("/work/notifications/?kind=bad").status_code == 200
    # a NUL character is refused at the door (rmdesk.core.middleware): the 400 page, not a 500
    assert client.get("/work/notifications/?kind=%00bad").status_code == 400


def test_a_notification_without_a_link_is_a_programming_error(world):
    """Every notification links to its object (issue 10): notify() refuses one without a url."""
    with pytest.raises(ValueError):
        notify(world.rm, "test", "无链接")
    assert not Notification.objects.filter(title="无链接").exists()
