"""Fixtures of the compliance tests: the seeded templates, rule sets, thresholds and chains (re-applied,
since transactional tests flush migration data), a round factory and hand-made audit events."""

from datetime import timedelta

import pytest
from django.apps import apps as django_apps
from django.utils import timezone

from rmdesk.compliance import services
from rmdesk.compliance.defaults import seed
from rmdesk.compliance.models import ConductRule, PledgeTemplate, Signature
from rmdesk.core.approvals import decide
from rmdesk.core.models import ApprovalRequest, AuditEvent


@pytest.fixture(autouse=True)
def _fresh_calendar():
    from rmdesk.core import calendar

    calendar.clear_cache()
    yield
    calendar.clear_cache()


@pytest.fixture
def seeded(db):
    seed(django_apps)
    return {t.kind: t for t in PledgeTemplate.objects.filter(version=1)}


@pytest.fixture
def make_round(world, seeded):
    def _make(kind="integrity", unit=None, roles=("rm",), by=None, deadline=None):
        return services.open_round(
            by or world.compliance,
            template_id=seeded[kind].pk,
            unit_id=(unit or world.s1).pk,
            roles=list(roles),
            deadline=deadline or timezone.localdate() + timedelta(days=10),
        )

    return _make


def sign_as(user, obligation):
    """Sign `obligation` as `user` with the digest of the text they were shown."""
    ob = type(obligation).objects.select_related("round__template").get(pk=obligation.pk)
    text = services.signing_text(ob.round.template, ob.signer, timezone.localdate())
    return services.sign(user, ob.pk, text_sha256=Signature.digest(text), read_confirmed=True, ip="10.0.0.8")


def rule(code="ten_bans", order=1):
    return ConductRule.objects.get(rule_set__code=code, order=order)


def approve(checker, approval_id, decision="approve", opinion="同意"):
    req = ApprovalRequest.objects.get(pk=approval_id)
    return decide(checker, req.pk, decision, opinion=opinion, version=req.version)


def event(actor, action, at, *, about=None, object_type="", object_id="", **summary):
    """A hand-made audit event at a given time, chained like audit.record does."""
    from rmdesk.core.audit import GENESIS

    if about is not None:
        object_type, object_id = "customers.customer", str(about.pk)
    last = AuditEvent.objects.order_by("-id").values_list("hash", flat=True).first()
    e = AuditEvent(
        at=at,
        actor=actor,
        actor_name=actor.username if actor else "",
        action=action,
        object_type=object_type,
        object_id=str(object_id),
        summary=summary,
        prev_hash=last or GENESIS,
    )
    e.hash = e.compute_hash()
    e.save()
    return e
