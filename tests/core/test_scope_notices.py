"""Scope of the notice pages (SPEC §1, §3): the channel and delivery pages exist for administrators only; for
everyone else they answer 404 like out-of-scope data."""

import pytest

from rmdesk.core import notices
from rmdesk.core.models import NoticeDelivery
from rmdesk.core.notifications import notify
from tests.scope_matrix import Matrix, Sample

pytestmark = pytest.mark.django_db

# --- scope: the administrator's channel pages are the administrator's only -------------------------------

matrix = Matrix("core", samples="notice_samples")


@pytest.fixture
def notice_samples(world):
    channel = notices.save_notice_channel(
        world.admin, None, {"name": "邮件", "kind": "email", "enabled": True, "unit_path": ""}
    )
    n = notify(world.rm, "task_due", "x", url="/")
    delivery = NoticeDelivery.objects.create(notification=n, channel=channel, status="dead")
    return [Sample("notices", {"admin"}, {"admin"}, channel=channel, delivery=delivery)]


matrix.page("core:notice_channel_edit", obj="channel")
matrix.page("core:notice_channel_test", obj="channel", method="post", write=True, ok=302)
matrix.page("core:notice_resend", obj="delivery", method="post", write=True, ok=302)
test_scope_matrix = matrix.test()
