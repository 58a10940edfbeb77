"""Scope matrix of the compliance app (SPEC §1, §8): every role against rounds, obligations, signatures,
violations, gifts, special-service requests, findings and cross-reviews on both sides of the org tree,
for every page and API operation that takes their id (tests/scope_matrix.py). Out of scope is 404; a
role the action does not name, or someone other than the person concerned, gets 403 inside the scope."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from rmdesk.compliance import services
from rmdesk.compliance.models import CrossReview, Finding, Obligation
from rmdesk.compliance.scope import (
    visible_fee_grants,
    visible_findings,
    visible_gifts,
    visible_obligations,
    visible_reviews,
    visible_rounds,
    visible_services,
    visible_signatures,
    visible_violations,
)
from rmdesk.org.models import RoleCode
from tests.conftest import make_user
from tests.scope_matrix import USERS, Matrix, Sample, fresh

from .conftest import rule, sign_as

pytestmark = pytest.mark.django_db

T1_SUBTREE = {"lead", "manager", "risk", "compliance", "assistant"}


def _role_or_person(person_key: str, ok=(200, 201, 422)):
    """A write only the person concerned takes: others who see the record get 403."""

    def expect(username, sample):
        if username not in sample.readers:
            return 404
        return set(ok) if username == getattr(sample, person_key) else 403

    return expect


def _officer(ok=(200, 302, 403, 422)):
    def expect(username, sample):
        if username not in sample.readers:
            return 404
        return set(ok) if username == "compliance" else 403

    return expect


@pytest.fixture
def cw(world, make_customer, seeded):
    today = timezone.localdate()
    compliance2 = make_user("compliance2", [RoleCode.COMPLIANCE], world.s2, qualified=False)
    out = {}
    for key, rm, lead, other, unit, officer in (
        ("t1", world.rm, world.lead, world.rm_b, world.t1, world.compliance),
        ("t2", world.rm2, world.lead2, None, world.t2, compliance2),
    ):
        branch = unit.get_parent().get_parent()
        rnd = services.open_round(
            officer,
            template_id=seeded["integrity"].pk,
            unit_id=branch.pk,
            roles=["rm"],
            deadline=today + timedelta(days=9),
        )
        signed_round = services.open_round(
            officer, template_id=seeded["duty"].pk, unit_id=branch.pk, roles=["rm"], deadline=today + timedelta(days=9)
        )
        signer = other or rm
        sig = sign_as(signer, Obligation.objects.get(round=signed_round, signer=signer))
        v = services.report_violation(
            lead,
            person_id=rm.pk,
            rule_id=rule().pk,
            occurred_on=today - timedelta(days=1),
            facts="代客户签字办理业务",
            evidence=SimpleUploadedFile("证据.pdf", b"%PDF evidence"),
        )
        customer = make_customer(rm, unit)
        gift = services.register_gift(
            rm, giver="客户", offered_on=today, description="茶叶", value=Decimal("300"), outcome="refused"
        )
        second = other or lead
        request = services.request_special_service(
            rm,
            customer_id=customer.pk,
            second_staff_id=second.pk,
            visit_on=today + timedelta(days=1),
            place="客户家中",
            purpose="上门挂失",
        )
        finding = Finding.objects.create(
            rule="out_of_book", person=lead, org_path=unit.path, day=today, count=40, detail="查看非本人管户客户 40 户"
        )
        review = CrossReview.objects.create(
            reviewer=second,
            reviewee=rm,
            org_path=unit.path,
            period_start=today.replace(day=1),
            period_end=today,
            due_on=today + timedelta(days=10),
        )
        out[key] = {
            "round": rnd,
            "obligation": Obligation.objects.get(round=rnd, signer=rm),
            "signature": sig,
            "violation": v,
            "gift": gift,
            "service": request,
            "finding": finding,
            "review": review,
        }
    return out


def _samples(cw, family, readers, writers=None, **extra):
    return [Sample(k, readers[k], (writers or {}).get(k, ()), **cw[k], **extra.get(k, {})) for k in ("t1", "t2")]


# --- rounds ------------------------------------------------------------------------------------------


@pytest.fixture
def round_samples(cw):
    return _samples(cw, "round", {"t1": {"manager", "risk", "compliance"}, "t2": set()}, {"t1": {"compliance"}})


rounds = Matrix("compliance", samples="round_samples")
rounds.queryset(visible_rounds, obj="round")
rounds.listing("GET /api/compliance/rounds", obj="round")
rounds.api("GET /api/compliance/rounds/{round_id}", obj="round")
rounds.page("compliance:round_detail", obj="round")
test_round_scope_matrix = rounds.test()


# --- obligations and signatures --------------------------------------------------------------------------


@pytest.fixture
def obligation_samples(cw):
    return _samples(
        cw,
        "obligation",
        {"t1": {"rm", *T1_SUBTREE}, "t2": {"rm2", "lead2"}},
        {"t1": {"rm"}, "t2": {"rm2"}},
        t1={"person": "rm"},
        t2={"person": "rm2"},
    )


def _sign_body(s):
    ob = fresh(s.obligation)
    text = services.signing_text(ob.round.template, ob.signer, timezone.localdate())
    from rmdesk.compliance.models import Signature

    return {"text_sha256": Signature.digest(text), "read_confirmed": True}


obligations = Matrix("compliance", samples="obligation_samples")
obligations.queryset(visible_obligations, obj="obligation")
obligations.listing("GET /api/compliance/obligations", obj="obligation")
obligations.api("GET /api/compliance/obligations/{obligation_id}", obj="obligation")
obligations.page("compliance:obligation", obj="obligation")
obligations.api(
    "POST /api/compliance/obligations/{obligation_id}/sign",
    obj="obligation",
    expect=_role_or_person("person"),
    body=_sign_body,
)
test_obligation_scope_matrix = obligations.test()


@pytest.fixture
def signature_samples(cw):
    return _samples(cw, "signature", {"t1": {"rm_b", *T1_SUBTREE}, "t2": {"rm2", "lead2"}})


signatures = Matrix("compliance", samples="signature_samples")
signatures.queryset(visible_signatures, obj="signature", write=False)
signatures.api("GET /api/compliance/signatures/{signature_id}", obj="signature")
signatures.page("compliance:signature_print", obj="signature")
signatures.page("compliance:signature_notice", obj="signature", expect=lambda u, s: 404)  # 履职承诺书: not public
signatures.page("compliance:signature_pdf", obj="signature", users=("rm_b", "rm2", "compliance", "referrer"))
test_signature_scope_matrix = signatures.test()


# --- violations ------------------------------------------------------------------------------------------


@pytest.fixture
def violation_samples(cw):
    return _samples(
        cw,
        "violation",
        {"t1": {"rm", *T1_SUBTREE}, "t2": {"rm2", "lead2"}},
        {"t1": {"compliance"}},
        t1={"person": "rm"},
        t2={"person": "rm2"},
    )


violations = Matrix("compliance", samples="violation_samples")
violations.queryset(visible_violations, obj="violation")
violations.listing("GET /api/compliance/violations", obj="violation")
violations.listing(
    "compliance:violation_list",
    obj="violation",
    contains=lambda html, v: f'href="/compliance/violations/{v.pk}/"' in html,
)
violations.api("GET /api/compliance/violations/{violation_id}", obj="violation")
violations.page("compliance:violation_detail", obj="violation")
violations.page("compliance:violation_evidence", obj="violation")
violations.api(
    "POST /api/compliance/violations/{violation_id}/statement",
    obj="violation",
    expect=_role_or_person("person"),
    body=lambda s: {"statement": "情况说明", "version": fresh(s.violation).version},
)
violations.api(
    "POST /api/compliance/violations/{violation_id}/decide",
    obj="violation",
    expect=_officer(),
    body=lambda s: {"decision": "approve", "version": fresh(s.violation).version},
)
test_violation_scope_matrix = violations.test()


# --- gifts, special service ---------------------------------------------------------------------------


@pytest.fixture
def gift_samples(cw):
    return _samples(
        cw,
        "gift",
        {"t1": {"rm", *T1_SUBTREE}, "t2": {"rm2", "lead2"}},
        {"t1": {"rm", "lead", "manager"}, "t2": {"rm2", "lead2"}},
    )


gifts = Matrix("compliance", samples="gift_samples")
gifts.queryset(visible_gifts, obj="gift")
gifts.listing("GET /api/compliance/gifts", obj="gift")
gifts.api(
    "POST /api/compliance/gifts/{gift_id}/review",
    obj="gift",
    expect=_officer(),
    body=lambda s: {"note": "已核实", "version": fresh(s.gift).version},
)
gifts.page(
    "compliance:gift_review",
    obj="gift",
    method="post",
    expect=_officer(),
    data=lambda s: {"note": "已核实拒收", "version": fresh(s.gift).version},
)
test_gift_scope_matrix = gifts.test()


@pytest.fixture
def service_samples(cw):
    return _samples(cw, "service", {"t1": {"rm", "rm_b", *T1_SUBTREE}, "t2": {"rm2", "lead2"}})


special = Matrix("compliance", samples="service_samples")
special.queryset(visible_services, obj="service", write=False)
special.listing("GET /api/compliance/special-services", obj="service")
special.api("GET /api/compliance/special-services/{service_id}", obj="service")
special.page("compliance:service_detail", obj="service")
test_service_scope_matrix = special.test()


# --- findings and cross-reviews --------------------------------------------------------------------------


@pytest.fixture
def finding_samples(cw):
    return _samples(cw, "finding", {"t1": {"compliance"}, "t2": set()}, {"t1": {"compliance"}})


findings = Matrix("compliance", samples="finding_samples")
findings.queryset(visible_findings, obj="finding")
findings.page("compliance:finding_detail", obj="finding")
findings.api(
    "POST /api/compliance/findings/{finding_id}/close",
    obj="finding",
    body=lambda s: {"note": "已核实", "version": fresh(s.finding).version},
)
test_finding_scope_matrix = findings.test()


@pytest.fixture
def review_samples(cw):
    return _samples(
        cw, "review", {"t1": {"rm", "rm_b", *T1_SUBTREE}, "t2": {"rm2", "lead2"}}, {"t1": {"rm_b"}, "t2": {"lead2"}}
    )


reviews = Matrix("compliance", samples="review_samples")
reviews.queryset(visible_reviews, obj="review")
reviews.page("compliance:review_detail", obj="review")
test_review_scope_matrix = reviews.test()


# --- fee grants (account-change monitoring, issue 14) ---------------------------------------------------


@pytest.fixture
def fee_samples(world, make_customer):
    out = []
    for key, rm, b_rm, readers, writers in (
        ("t1", world.rm, world.rm_b, {"rm", "rm_b", *T1_SUBTREE}, {"rm", "lead", "manager"}),
        ("t2", world.rm2, None, {"rm2", "lead2"}, {"rm2", "lead2"}),
    ):
        customer = make_customer(rm, b_rm=b_rm)
        grant = services.record_fee_grant(
            rm,
            customer_id=customer.pk,
            fee_kind="transfer",
            standard_fee=Decimal("50"),
            charged_fee=Decimal("40"),
            granted_on=timezone.localdate(),
        )
        out.append(Sample(key, readers, writers, grant=grant))
    return out


def _grant_body(s):
    g = fresh(s.grant)
    return {
        "customer_id": g.customer_id,
        "fee_kind": g.fee_kind,
        "standard_fee": str(g.standard_fee),
        "charged_fee": str(g.charged_fee),
        "granted_on": str(g.granted_on),
        "note": "更正",
        "version": g.version,
    }


def _grant_form(s):
    g = fresh(s.grant)
    return _grant_body(s) | {"customer_no": g.customer.customer_no}


def _author_or_supervisor(ok):
    def expect(username, sample):
        if username not in sample.readers:
            return 404
        return ok if username in sample.writers else 403

    return expect


fees = Matrix("compliance", samples="fee_samples")
fees.queryset(visible_fee_grants, obj="grant", write=False)
fees.listing("GET /api/compliance/fee-grants", obj="grant")
fees.listing(
    "compliance:fee_list",
    obj="grant",
    contains=lambda html, g: f'data-grant="{g.pk}"' in html,
    users=tuple(u for u in USERS if u not in ("referrer", "admin")),  # the page is theirs: 404 as a whole
)
fees.api("GET /api/compliance/fee-grants/{grant_id}", obj="grant")
fees.page("compliance:fee_grant_edit", obj="grant")
fees.api("PUT /api/compliance/fee-grants/{grant_id}", obj="grant", body=_grant_body, expect=_author_or_supervisor(200))
fees.page(
    "compliance:fee_grant_edit",
    obj="grant",
    method="post",
    data=_grant_form,
    expect=_author_or_supervisor(302),
)
test_fee_grant_scope_matrix = fees.test()
