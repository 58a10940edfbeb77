"""The credit home panels drawn from plain rows (issue 18, decision 87): each row shows what the model's own
accessors give (detail link, customer, amount, status and level labels in the active language), and the
oversight panel costs three queries whatever the number of rows."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.template.loader import render_to_string
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.html import escape

from rmdesk.credit.hooks import oversight_panel, rm_panel
from rmdesk.credit.models import Loan, PostLoanCheck, Warning, WarningCategory, WarningLevel

pytestmark = pytest.mark.django_db


def _draw(build, user):
    request = RequestFactory().get("/")
    request.user = user
    user.role_codes()  # read once per request by the shell already
    with CaptureQueriesContext(connection) as queries:
        panel = build(request)
    return render_to_string(panel["template"], {"ctx": panel["context"]}), len(queries)


@pytest.fixture
def book(world, submitted):
    """An application in review, a loan with an overdue post-loan check and an escalated open warning."""
    today = timezone.localdate()
    loan = Loan.objects.create(
        application=submitted,
        customer=submitted.customer,
        rm=world.rm,
        cms_ref="CMS-2026-0001",
        amount=Decimal("80000"),
        start_on=today - timedelta(days=90),
        end_on=today + timedelta(days=275),
        rate=Decimal("4.350"),
        org_path=submitted.org_path,
        recorded_by=world.rm,
    )
    check = PostLoanCheck.objects.create(loan=loan, seq=2, due_on=today - timedelta(days=3))
    warning = Warning.objects.create(
        customer=submitted.customer,
        loan=loan,
        category=WarningCategory.values[0],
        level=WarningLevel.values[-1],
        title="担保人涉诉",
        owner=world.rm,
        escalation_level=1,
        org_path=submitted.customer.org_path,
    )
    return submitted, check, warning


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_the_oversight_rows_read_as_the_models_do(world, book, language):
    app, check, warning = book
    with translation.override(language):
        html, queries = _draw(oversight_panel, world.manager)
        app_row = (
            f'<a href="{reverse("credit:application_detail", args=[app.pk])}">#{app.pk}</a> '
            f"{app.customer.name} · {app.amount} · {escape(app.get_status_display())}</li>"
        )
        check_row = (
            f'<a href="{reverse("credit:loan_detail", args=[check.loan_id])}">CMS-2026-0001</a> {app.customer.name}'
        )
        warning_row = f"<li>{escape(warning.get_level_display())} · {app.customer.name} · 担保人涉诉"
    assert app_row in html and check_row in html and warning_row in html
    assert 'class="badge bad"' in html and 'class="badge warn"' in html  # overdue check, escalated warning
    assert f"· {app.status}</li>" not in html and f"{warning.level} ·" not in html  # labels, never raw codes
    assert queries == 3


def test_the_rm_panel_lists_their_applications_and_checks(world, book):
    app, check, _warning = book
    html, queries = _draw(rm_panel, world.rm)
    assert f'href="{reverse("credit:application_detail", args=[app.pk])}">#{app.pk}</a>' in html
    assert f"{escape(app.get_status_display())}</li>" in html
    assert f'href="{reverse("credit:loan_detail", args=[check.loan_id])}">CMS-2026-0001</a>' in html
    assert "第 2 期" in html
    assert "风险预警" not in html  # the RM's panel lists no warnings
    html_other, _ = _draw(rm_panel, world.rm2)
    assert "CMS-2026-0001" not in html_other and f"#{app.pk}<" not in html_other
    assert queries <= 4
