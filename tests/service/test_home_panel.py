"""The open-cases home panels drawn from plain rows (issue 18, decision 87): each row shows what the case's
own accessors give (detail link, customer, status label, the breach badge), a plan waiting for the lead is
linked to its case, the churn watch entry to its page with its reason's label; both languages."""

import pytest
from django.db import connection
from django.template.loader import render_to_string
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation
from django.utils.html import escape

from rmdesk.service import services
from rmdesk.service.hooks import lead_panel, rm_panel
from rmdesk.service.models import Case, WatchEntry, WatchReason, WatchStatus

from .conftest import ver

pytestmark = pytest.mark.django_db


def _draw(build, user):
    request = RequestFactory().get("/")
    request.user = user
    user.role_codes()  # read once per request by the shell already
    with CaptureQueriesContext(connection) as queries:
        panel = build(request)
    return render_to_string(panel["template"], {"ctx": panel["context"]}), len(queries)


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_the_lead_and_rm_rows_read_as_the_models_do(world, make_case, language):
    waiting = make_case(title="收益与宣传不符")
    services.accept_case(world.rm, waiting.pk, version=ver(waiting.pk))
    services.record_investigation(world.rm, waiting.pk, cause="原因", version=ver(waiting.pk))
    services.propose_plan(world.rm, waiting.pk, plan="方案", version=ver(waiting.pk))
    breached = make_case(title="柜台服务态度")
    Case.objects.filter(pk=breached.pk).update(answer_breached=True)
    watch = WatchEntry.objects.create(
        customer=breached.customer,
        reason=WatchReason.values[0],
        status=WatchStatus.OPEN,
        assigned_to=world.rm,
        org_path=breached.customer.org_path,
    )
    with translation.override(language):
        html, _queries = _draw(lead_panel, world.lead)
        for case in Case.objects.filter(pk__in=[waiting.pk, breached.pk]).select_related("customer"):
            url = reverse("service:case_detail", args=[case.pk])
            assert f'<a href="{url}">{case.number}</a></td><td>{case.customer.name}</td>' in html
            assert f"<td>{escape(case.get_status_display())}" in html
        approvals = html.split('data-testid="service-approvals"')[1].split("</ul>")[0]
        assert f'<a href="{reverse("service:case_detail", args=[waiting.pk])}">{waiting.number}</a>' in approvals
        assert breached.number not in approvals and "收益与宣传不符" in approvals
        assert html.count('class="badge bad"') == 1  # only the breached case
        watch_url = reverse("service:watch_detail", args=[watch.pk])
        assert (
            f'<a href="{watch_url}">{watch.customer.name}</a> <span class="muted">{escape(watch.get_reason_display())}<'
            in html
        )
        rm_html, rm_queries = _draw(rm_panel, world.rm)
    assert rm_queries == 2  # the cases and the watch list, whatever the number of rows
    assert "service-approvals" not in rm_html and watch_url in rm_html
    assert f'href="{reverse("service:case_detail", args=[breached.pk])}"' in rm_html
    other, _ = _draw(lead_panel, world.lead2)
    assert waiting.number not in other and watch_url not in other
