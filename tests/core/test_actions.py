"""Business actions (docs/decisions.md 12): every service that writes runs as one; the version check
refuses a missing (422) or stale (409) version."""

import ast
import pathlib

import pytest
from django.core.exceptions import ValidationError
from django.db import transaction

from rmdesk.core import actions as actions_module, audit
from rmdesk.core.actions import StaleVersion, after_commit, business_action, check_version
from rmdesk.core.models import AuditEvent

SRC = pathlib.Path(__file__).resolve().parents[2] / "src" / "rmdesk"


def _service_modules():
    for path in sorted(SRC.rglob("*.py")):
        rel = path.relative_to(SRC)
        if "migrations" in rel.parts:
            continue
        if rel.name in ("services.py", "approvals.py", "churn.py", "surveys.py") or "services" in rel.parts[:-1]:
            yield path


def test_no_service_uses_a_bare_transaction_decorator():
    """Service functions are business actions (`@business_action`), not hand-rolled transactions."""
    offenders = []
    for path in _service_modules():
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.FunctionDef):
                for dec in node.decorator_list:
                    if ast.unparse(dec) in ("transaction.atomic", "atomic", "transaction.atomic()"):
                        offenders.append(f"{path.relative_to(SRC)}:{node.lineno} {node.name}")
    assert offenders == []
    assert any(True for _ in _service_modules())


class Doc:
    version = 3


def test_check_version_requires_and_compares():
    check_version(Doc(), 3)
    check_version(Doc(), "3")
    with pytest.raises(ValidationError) as missing:
        check_version(Doc(), None)
    assert not isinstance(missing.value, StaleVersion) and "version" in missing.value.message_dict
    with pytest.raises(ValidationError):
        check_version(Doc(), "x")
    with pytest.raises(StaleVersion):
        check_version(Doc(), 2)


@pytest.mark.django_db
def test_an_action_rolls_back_whole_and_side_effects_wait_for_commit(
    world, django_capture_on_commit_callbacks, monkeypatch
):
    monkeypatch.setattr(actions_module, "REGISTRY", dict(actions_module.REGISTRY))  # the test's actions leave no trace
    told = []

    @business_action
    def failing(actor):
        audit.record(actor, "test.action", actor)
        after_commit(told.append, "sent")
        raise ValidationError("bad")

    @business_action
    def working(actor):
        audit.record(actor, "test.action", actor)
        after_commit(told.append, "sent")

    before = AuditEvent.objects.count()
    with django_capture_on_commit_callbacks(execute=True):
        with pytest.raises(ValidationError):
            with transaction.atomic():
                failing(world.rm)
    assert AuditEvent.objects.count() == before and told == []
    with django_capture_on_commit_callbacks(execute=True):
        working(world.rm)
    assert AuditEvent.objects.count() == before + 1 and told == ["sent"]
    assert working.business_action.endswith(".working")
