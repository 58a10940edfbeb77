"""The access audit page (SPEC §8): compliance officers see who viewed, revealed or exported which
customer in their subtree, with labels not codes, filterable and exportable; nobody else sees it."""

import io

import pytest
from openpyxl import load_workbook

from rmdesk.customers.services import reveal_field
from rmdesk.org.models import RoleCode
from tests.conftest import make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def trail(world, make_customer, seeded):
    c1 = make_customer(world.rm, world.t1, name="张三丰", mobile="13800000001")
    c2 = make_customer(world.rm2, world.t2, name="李四海", mobile="13800000002")
    reveal_field(world.rm, c1.pk, "mobile", "核实客户身份")
    reveal_field(world.rm2, c2.pk, "mobile", "回访客户")
    return c1, c2


def test_the_page_lists_its_subtree_with_labels(client, world, trail):
    client.force_login(world.compliance)
    html = client.get("/compliance/audit/").content.decode()
    table = html.split('data-testid="audit-table"')[1]
    assert "查看敏感信息明文" in table and "张三丰" in table and "核实客户身份" in table and "手机号码" in table
    assert "李四海" not in table and "customers." not in table and "mobile" not in table
    html = client.get("/compliance/audit/?action=customers.view").content.decode()
    assert "张三丰" not in html
    html = client.get("/compliance/audit/?person=rm").content.decode()
    assert "张三丰" in html


def test_other_roles_do_not_see_it(client, world, trail):
    for user in (world.rm, world.manager, world.admin, world.risk):
        client.force_login(user)
        assert client.get("/compliance/audit/").status_code == 404
        assert client.get("/compliance/audit/export/").status_code == 404


def test_export_to_excel(client, world, trail):
    client.force_login(world.compliance)
    resp = client.get("/compliance/audit/export/")
    assert resp.status_code == 200
    sheet = load_workbook(io.BytesIO(b"".join(resp.streaming_content)), read_only=True).worksheets[0]
    rows = [list(r) for r in sheet.iter_rows(values_only=True)]
    assert rows[0][:4] == ["时间", "人员", "用户名", "操作"]
    assert [r[3] for r in rows[1:]] == ["查看敏感信息明文"] and "张三丰" in rows[1][4]


def test_an_officer_of_the_other_branch_sees_theirs(client, world, trail):
    other = make_user("compliance2", [RoleCode.COMPLIANCE], world.s2, qualified=False)
    client.force_login(other)
    html = client.get("/compliance/audit/").content.decode()
    assert "李四海" in html and "张三丰" not in html
