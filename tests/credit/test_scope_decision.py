"""Scope matrix of the credit API's decision route (SPEC §1, §6; tests/scope_matrix.py): every demo user against
applications on both sides of the org tree. Readers of the application get an answer of the flow (the samples are
not in approval: 422; a decider's refusal would be 403 or 422, see test_decision_forbidden.py), everyone else 404."""

import pytest

from tests.scope_matrix import Matrix

from .test_scope import APPS, app_samples, credit_world  # noqa: F401  (fixtures)

pytestmark = pytest.mark.django_db

decision = Matrix("credit", samples="app_samples")
decision.api(
    "POST /api/credit/applications/{application_id}/decision",
    obj="app",
    write=False,  # who may decide is the chain's rule, answered inside the scope (403/422), never 404
    ok={200, 403, 422},
    body={"decision": "approve", "opinion": "同意", "version": 1},
)

test_decision_scope_matrix = decision.test()

assert APPS  # the samples' readers are test_scope.py's
