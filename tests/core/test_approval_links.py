"""Approval inbox rows link to the business record (SPEC §1 one inbox; rmdesk.core.approvals.subject_url): the
app that owns a request's subject gives its URL for the viewer through its handler; a viewer who may not see the
record gets no link (never a link to a 404). Also the kernel's `on_cancelled` callback of `cancel`."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.apps import apps as django_apps
from django.utils import timezone

from rmdesk.core import approvals, hooks
from rmdesk.core.models import ApprovalRequest
from rmdesk.customers.scope import visible_customers
from tests.scope_matrix import USERS

pytestmark = pytest.mark.django_db


def _customer_url(viewer, req):
    pk = req.payload.get("customer")
    return f"/customers/{pk}/" if visible_customers(viewer).filter(pk=pk).exists() else None


@pytest.fixture
def linked():
    cancelled = []
    approvals.register_handler(
        "test.linked",
        "测试关联",
        subject_url=_customer_url,
        on_cancelled=lambda maker, req: cancelled.append((maker.username, req.pk, req.status)),
    )
    yield cancelled
    hooks.unregister(hooks.ApprovalHandler, "test.linked")


def _open(world, customer, kind="test.linked"):
    return approvals.request_approval(world.rm, kind, f"关于{customer.name}", {"customer": customer.pk}, unit=world.t1)


def _row_links(html: str, testid: str) -> list[str]:
    table = html.split(f'data-testid="{testid}"', 1)[1].split("</table>", 1)[0]
    tags = [part.split(">", 1)[0] for part in table.split('<a href="')[1:]]
    return [tag.split('"', 1)[0] for tag in tags if 'data-testid="approval-subject"' in tag]


def test_the_inbox_links_the_subject_for_whoever_may_see_it(client, world, make_customer, linked):
    customer = make_customer(world.rm, world.t1, name="李明")
    req = _open(world, customer)
    assert approvals.subject_url(world.lead, req) == f"/customers/{customer.pk}/"
    assert approvals.subject_url(world.rm2, req) is None  # another branch's RM: no link
    client.force_login(world.lead)
    html = client.get("/org/approvals/").content.decode()
    assert _row_links(html, "pending-approvals") == [f"/customers/{customer.pk}/"]
    assert client.get(f"/customers/{customer.pk}/").status_code == 200
    client.force_login(world.rm)  # the maker's own requests link too
    assert _row_links(client.get("/org/approvals/").content.decode(), "my-requests") == [f"/customers/{customer.pk}/"]


def test_a_subject_the_viewer_cannot_see_gives_no_link(client, world, make_customer, linked):
    """The decider sees the request (its unit is in their scope) but not the customer it names: title, no link."""
    elsewhere = make_customer(world.rm2, world.t2, name="王芳")
    req = _open(world, elsewhere)
    assert approvals.may_decide(world.lead, req) and approvals.subject_url(world.lead, req) is None
    client.force_login(world.lead)
    html = client.get("/org/approvals/").content.decode()
    assert "关于王芳" in html and _row_links(html, "pending-approvals") == []


def test_a_kind_without_a_link_shows_its_title_only(client, world):
    approvals.register_handler("test.plain", "无链接")
    try:
        req = approvals.request_approval(world.rm, "test.plain", "普通申请", {}, unit=world.t1)
        assert approvals.subject_url(world.lead, req) is None
        client.force_login(world.lead)
        html = client.get("/org/approvals/").content.decode()
        assert "普通申请" in html and _row_links(html, "pending-approvals") == []
    finally:
        hooks.unregister(hooks.ApprovalHandler, "test.plain")


def test_cancel_calls_on_cancelled_in_its_transaction(world, make_customer, linked):
    req = _open(world, make_customer(world.rm, world.t1))
    approvals.cancel(world.rm, req.pk, version=req.version)
    assert linked == [("rm", req.pk, "cancelled")]
    assert ApprovalRequest.objects.get(pk=req.pk).status == "cancelled"


def test_a_gift_approval_links_the_gift_register(client, world):
    """A real app's link: compliance's gift acceptance request opens the gift register, for the deciding lead and
    the maker; another branch's lead sees no link."""
    from rmdesk.compliance import services
    from rmdesk.compliance.defaults import seed

    seed(django_apps)
    gift = services.register_gift(
        world.rm,
        giver="某贸易公司",
        offered_on=timezone.localdate() - timedelta(days=1),
        description="月饼礼盒",
        value=Decimal("150"),
        outcome="accepted",
    )
    req = gift.approval
    assert approvals.subject_url(world.lead, req) == "/compliance/gifts/"
    assert approvals.subject_url(world.rm, req) == "/compliance/gifts/"
    assert approvals.subject_url(world.lead2, req) is None
    client.force_login(world.lead)
    html = client.get("/org/approvals/").content.decode()
    assert _row_links(html, "pending-approvals") == ["/compliance/gifts/"]
    assert client.get("/compliance/gifts/").status_code == 200


def test_every_apps_link_function_answers_none_for_a_missing_record(world):
    """Each registered `subject_url` copes with a request whose record is gone: no link, no error."""
    handlers = [h for h in hooks.registered(hooks.ApprovalHandler) if h.subject_url is not None]
    assert {h.key.split(".", 1)[0] for h in handlers} >= {
        "credit", "contracts", "service", "sales", "performance", "compliance",
    }  # fmt: skip
    keys = "application_id contract_id case_id nomination appeal_id result_id letter_id advice_id violation gift"
    missing = dict.fromkeys([*keys.split(), "special_service"], 999999)
    for handler in handlers:
        req = ApprovalRequest(kind=handler.key, title="x", payload=missing, requested_by=world.rm)
        for who in USERS:
            assert approvals.subject_url(getattr(world, who), req) is None, (handler.key, who)
