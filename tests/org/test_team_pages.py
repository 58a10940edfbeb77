"""Team pages list their members (SPEC §1 teams inside a unit, issue 10): name, employee no., roles,
position, link to the staff page; within the viewer's scope; an outlet lists its own staff."""

import pytest
from django.conf import settings

from tests.conftest import make_user

pytestmark = pytest.mark.django_db


def _rows(html: str) -> str:
    return html.split('id="members"', 1)[1].split("</table>", 1)[0]


def test_team_page_lists_its_members_with_their_details(client, world):
    world.rm.position = "理财客户经理"
    world.rm.save()
    client.force_login(world.lead)
    resp = client.get(f"/org/units/{world.t1.pk}/")
    assert resp.status_code == 200
    table = _rows(resp.content.decode())
    members = [world.rm, world.rm_b, world.lead]
    for m in members:
        assert m.display_name in table and m.employee_no in table
        assert f'href="/org/staff/{m.pk}/"' in table
    assert "理财客户经理" in table and "客户经理" in table and "团队长" in table
    for outsider in (world.rm_t1b, world.rm2, world.assistant, world.manager):
        assert outsider.employee_no not in table
    assert table.split("<tbody>")[1].count("<tr>") == len(members)


def test_outlet_page_lists_its_staff_with_their_team(client, world):
    client.force_login(world.manager)
    table = _rows(client.get(f"/org/units/{world.o1.pk}/").content.decode())
    for m in (world.rm, world.rm_b, world.rm_t1b, world.lead, world.assistant, world.referrer):
        assert m.employee_no in table
    assert f'href="/org/units/{world.t1b.pk}/"' in table
    assert world.rm2.employee_no not in table


def test_team_page_outside_scope_is_404_and_members_are_scoped(client, world):
    client.force_login(world.lead2)
    assert client.get(f"/org/units/{world.t1.pk}/").status_code == 404
    # a member whose home unit lies outside the viewer's subtree is not listed
    stranger = make_user("stranger", ["rm"], world.o2, world.t1)
    client.force_login(world.rm)
    table = _rows(client.get(f"/org/units/{world.t1.pk}/").content.decode())
    assert world.rm_b.employee_no in table and stranger.employee_no not in table


def test_team_page_in_english_shows_labels(client, world):
    client.force_login(world.lead)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    resp = client.get(f"/org/units/{world.t1.pk}/")
    text = resp.content.decode()
    assert world.rm.employee_no in text
    assert "Team members" in text and "Team lead" in text and "团队" not in text.split('id="members"')[1]
