"""Scope matrix of the credit app (SPEC §1, §6): every role against applications, loans, post-loan
checks and warnings on both sides of the org tree, for every page and API operation that takes their
id (tests/scope_matrix.py). Out of scope is 404; read-only roles (risk, compliance, assistants) get
403 on the investigators' writes; the flow's own rules (only investigators investigate, only the
applying RM submits) answer 403 or 422 inside the scope."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from rmdesk.credit import services
from rmdesk.credit.models import AppStatus, CreditApplication
from rmdesk.credit.scope import (
    visible_applications,
    visible_checks,
    visible_loans,
    visible_ratings,
    visible_warnings,
)
from rmdesk.work import services as work
from tests.scope_matrix import Matrix, Sample, fresh

from .conftest import upload

pytestmark = pytest.mark.django_db

IN_FLOW = {200, 201, 403, 422}
PAGE_FLOW = {302, 403, 422}

#: sample -> (readers, writers) of an application; t1's second investigator is rm_t1b (team T1b)
APPS = {
    "t1": (
        {"rm", "rm_t1b", "lead", "manager", "risk", "compliance", "assistant"},
        {"rm", "rm_t1b", "lead", "manager"},
    ),
    "t2": ({"rm2", "lead2"}, {"rm2", "lead2"}),
}
#: loans and their checks: the managing RM, the customer's RMs and the subtree (not the second investigator)
LOANS = {
    "t1": ({"rm", "lead", "manager", "risk", "compliance", "assistant"}, {"rm", "lead", "manager"}),
    "t2": ({"rm2", "lead2"}, {"rm2", "lead2"}),
}
#: warnings: the customer's RMs, the owner and the subtree managers handle them
WARNINGS = {
    "t1": ({"rm", "lead", "manager", "risk", "compliance", "assistant"}, {"rm", "lead", "manager"}),
    "t2": ({"rm2", "lead2"}, {"rm2", "lead2"}),
}


@pytest.fixture
def credit_world(world, make_application, make_customer):
    out = {}
    for key, rm, unit, second in (("t1", world.rm, world.t1, world.rm_t1b), ("t2", world.rm2, world.t2, None)):
        customer = make_customer(rm, unit, id_number="110101199001011234")
        app = make_application(rm, customer=customer)
        if second is not None:
            services.add_investigator(rm, app.pk, user_id=second.pk, version=fresh(app).version)
        material = services.add_material(rm, app.pk, kind="identity", file=upload())
        # investigation visits: a branch interview linked, another one left to link
        talks = [
            work.record_interaction(
                rm,
                customer.pk,
                kind="branch",
                occurred_at=timezone.now() - timedelta(hours=h),
                purpose="贷前面谈",
            )
            for h in (3, 2)
        ]
        visit = services.link_visit(rm, app.pk, interaction_id=talks[0].pk)
        # a second, approved application of the same customer carries a loan (approval is tested elsewhere)
        done = make_application(rm, customer=customer)
        CreditApplication.objects.filter(pk=done.pk).update(status=AppStatus.APPROVED)
        loan = services.record_loan(
            rm,
            done.pk,
            cms_ref=f"JJ-{key}",
            amount=Decimal("100000"),
            start_on=date(2026, 1, 10),
            end_on=date(2027, 1, 10),
            rate=Decimal("4"),
            version=fresh(done).version,
        )
        warning = services.raise_warning(rm, customer_id=customer.pk, category="overdue", level="yellow", title="逾期")
        rating = services.rate_customer(
            rm, customer_id=customer.pk, year=timezone.localdate().year, grade="A", credit_line=Decimal("200000")
        )
        out[key] = {
            "app": fresh(app),
            "material": material,
            "visit": visit,
            "talk": talks[1],
            "rating": rating,
            "loan": loan,
            "check": loan.checks.first(),
            "warning": warning,
        }
    return out


@pytest.fixture
def app_samples(credit_world):
    return [Sample(k, *APPS[k], **credit_world[k]) for k in APPS]


@pytest.fixture
def loan_samples(credit_world):
    return [Sample(k, *LOANS[k], **credit_world[k]) for k in LOANS]


@pytest.fixture
def warning_samples(credit_world):
    return [Sample(k, *WARNINGS[k], **credit_world[k]) for k in WARNINGS]


# --- applications -------------------------------------------------------------------------------------

apps = Matrix("credit", samples="app_samples")
apps.queryset(visible_applications, obj="app")
apps.listing("GET /api/credit/applications", obj="app")
apps.listing("credit:application_list", obj="app", contains=lambda html, a: f'href="/credit/{a.pk}/"' in html)
apps.api("GET /api/credit/applications/{application_id}", obj="app")
apps.page("credit:application_detail", obj="app")
apps.page("credit:application_print", obj="app")
apps.page("credit:application_pdf", obj="app", users=("rm", "rm2", "risk", "referrer"))  # WeasyPrint is slow
apps.page("credit:material", obj="app", params=lambda s: {"pk": s.app.pk, "material_pk": s.material.pk})
apps.page(
    "credit:application_action",
    obj="app",
    method="post",
    data=lambda s: {"version": fresh(s.app).version},
    write=True,
    ok=PAGE_FLOW,
    read_only=403,
    params=lambda s: {"pk": s.app.pk, "action": "submit"},
)
apps.api("GET /api/credit/applications/{application_id}/visits", obj="app")
apps.api(
    "POST /api/credit/applications/{application_id}/visits",
    obj="app",
    ok=IN_FLOW,
    read_only=403,
    body=lambda s: {"interaction_id": s.talk.pk},
)
apps.api(
    "POST /api/credit/applications/{application_id}/visits/record",
    obj="app",
    ok=IN_FLOW,
    read_only=403,
    body=lambda s: {"occurred_at": (timezone.now() - timedelta(hours=1)).isoformat(), "content": "走访"},
)
apps.api(
    "DELETE /api/credit/applications/{application_id}/visits/{visit_id}",
    obj="app",
    ok=IN_FLOW | {204},
    read_only=403,
    params=lambda s: {"application_id": s.app.pk, "visit_id": s.visit.pk},
)
apps.api(
    "PUT /api/credit/applications/{application_id}",
    obj="app",
    ok=IN_FLOW,
    read_only=403,
    body=lambda s: {"purpose": "扩大经营", "version": fresh(s.app).version},
)
apps.api(
    "POST /api/credit/applications/{application_id}/materials",
    obj="app",
    ok=IN_FLOW,
    read_only=403,
    multipart=True,
    body=lambda s: {"kind": "income", "file": SimpleUploadedFile("收入证明.pdf", b"%PDF income")},
)
apps.api(
    "POST /api/credit/applications/{application_id}/guarantors",
    obj="app",
    ok=IN_FLOW,
    read_only=403,
    body={"name": "张三", "relation": "配偶", "amount": "50000"},
)
apps.api(
    "POST /api/credit/applications/{application_id}/checklist/{order}",
    obj="app",
    ok=IN_FLOW,
    read_only=403,
    params=lambda s: {"application_id": s.app.pk, "order": 1},
    body=lambda s: {
        "finding": "资料齐全",
        "conclusion": "真实有效",
        "version": s.app.checklist.get(order=1).version,
    },
)
apps.api(
    "POST /api/credit/applications/{application_id}/investigators",
    obj="app",
    ok=IN_FLOW,
    read_only=403,
    body=lambda s: {"user_id": s.app.rm_id, "version": fresh(s.app).version},
)
apps.api(
    "POST /api/credit/applications/{application_id}/recommend",
    obj="app",
    ok=IN_FLOW,
    read_only=403,
    body=lambda s: {"recommendation": "approve", "reasons": "还款来源充足", "version": fresh(s.app).version},
)
apps.api("POST /api/credit/applications/{application_id}/pledge", obj="app", ok=IN_FLOW, read_only=403)
for action in ("submit", "withdraw", "loan"):
    apps.api(
        f"POST /api/credit/applications/{{application_id}}/{action}",
        obj="app",
        ok=IN_FLOW,
        read_only=403,
        body=lambda s, action=action: (
            {"version": fresh(s.app).version}
            | (
                {"cms_ref": "X1", "amount": "1", "start_on": "2026-01-01", "end_on": "2026-06-01", "rate": "4"}
                if action == "loan"
                else {}
            )
        ),
    )


@apps.invariant
def _read_only_roles_wrote_nothing(samples, username):
    """A refused write changed nothing: read-only roles leave the application exactly as it was."""
    if username in ("risk", "compliance", "assistant", "referrer", "admin", "rm_b"):
        for s in samples:
            app = fresh(s.app)
            assert app.version == s.app.version and app.purpose == s.app.purpose, (username, s.key)


test_application_scope_matrix = apps.test()


# --- loans and post-loan checks ------------------------------------------------------------------------


def _classifiers(username, sample):
    if username not in sample.readers:
        return 404
    return 200 if username in ("lead", "manager", "lead2", "risk") else 403


loans = Matrix("credit", samples="loan_samples")
loans.queryset(visible_loans, obj="loan")
loans.queryset(visible_checks, obj="check")
loans.listing("GET /api/credit/loans", obj="loan")
loans.api("GET /api/credit/loans/{loan_id}", obj="loan")
loans.page("credit:loan_detail", obj="loan")
loans.api(
    "POST /api/credit/loans/{loan_id}/classify",
    obj="loan",
    expect=_classifiers,
    body=lambda s: {"classification": "special", "reason": "逾期", "version": fresh(s.loan).version},
)
loans.api(
    "POST /api/credit/checks/{check_id}",
    obj="check",
    ok={200},
    read_only=403,
    body=lambda s: {"findings": "经营正常", "version": fresh(s.check).version},
)
loans.page(
    "credit:loan_action",
    obj="loan",
    method="post",
    data=lambda s: {"check_id": s.check.pk, "findings": "正常", "version": fresh(s.check).version},
    write=True,
    ok={302, 422},  # 422: the API check above already recorded this check
    read_only=403,
    params=lambda s: {"pk": s.loan.pk, "action": "check"},
)

test_loan_scope_matrix = loans.test()


# --- warnings ----------------------------------------------------------------------------------------

warnings = Matrix("credit", samples="warning_samples")
warnings.queryset(visible_warnings, obj="warning")
warnings.listing("GET /api/credit/warnings", obj="warning")
warnings.api("GET /api/credit/warnings/{warning_id}", obj="warning")
# customer ratings have the warnings' readers and writers: the customer's RMs and the subtree
warnings.queryset(visible_ratings, obj="rating")
warnings.listing("GET /api/credit/ratings", obj="rating")
warnings.listing(
    "credit:rating_list", obj="rating", contains=lambda html, r: f'href="?customer={r.customer_id}"' in html
)
warnings.api(
    "POST /api/credit/warnings/{warning_id}/handle",
    obj="warning",
    read_only=403,
    body=lambda s: {"actions": "要求补充担保", "status": "handling", "version": fresh(s.warning).version},
)
warnings.page(
    "credit:warning_handle",
    obj="warning",
    method="post",
    data=lambda s: {"actions": "调整还款计划", "status": "handling", "version": fresh(s.warning).version},
    write=True,
    ok={302},
    read_only=403,
)

test_warning_scope_matrix = warnings.test()
