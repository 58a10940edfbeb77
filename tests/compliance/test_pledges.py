"""Pledges (SPEC §8): the seeded texts word for word, rounds, e-signature with the SHA-256 of the
stored text, and the refusals (twice, for someone else, a changed text, editing a signed pledge)."""

import hashlib
import pathlib
from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from rmdesk.compliance import services
from rmdesk.compliance.models import ImmutableRecord, Obligation, Signature
from rmdesk.core.models import AuditEvent, Notification

from .conftest import sign_as

pytestmark = pytest.mark.django_db

SEED = pathlib.Path("/work/shared/seeds/001_ed6ede9c908b0414.txt")


def _seed_lines(a, b):
    return SEED.read_text(encoding="utf-8").split("\n")[a - 1 : b]


@pytest.mark.skipif(not SEED.exists(), reason="the seed documents are outside the repository")
def test_integrity_and_duty_texts_are_the_seed_word_for_word(seeded):
    for kind, (a, b) in (("integrity", (27, 55)), ("duty", (65, 85))):
        seed_text = "".join(line for line in _seed_lines(a, b) if line.strip() not in ("", "1"))
        # the PDF's page numbers ("1 ") that split one sentence are the only thing removed
        seed_text = seed_text.replace("争夺客1 户", "争夺客户").replace("规范,1 认真", "规范,认真")
        assert seeded[kind].body.replace("\n", "") == seed_text
    assert "不收受客户赠送钱物,不接受可能影响公平交易的礼物馈赠和宴请,不变相敛取客户财物" in seeded["integrity"].body
    assert "经济处罚、降低薪酬系数、免职直至解除劳动合同" in seeded["duty"].body
    assert seeded["integrity"].body.count("、") >= 10 and "10、认真履行岗位职责" in seeded["integrity"].body


def test_round_targets_staff_of_the_unit_by_role(world, make_round, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        rnd = make_round(unit=world.s1, roles=("rm",))
    assert {o.signer.username for o in rnd.obligations.all()} == {"rm", "rm_b", "rm_t1b"}
    with django_capture_on_commit_callbacks(execute=True):
        rnd2 = make_round(kind="duty", unit=world.o1, roles=("rm", "team_lead"))
    assert {o.signer.username for o in rnd2.obligations.all()} == {"rm", "rm_b", "rm_t1b", "lead"}
    assert Notification.objects.filter(recipient=world.rm, kind="compliance.sign").count() == 2


def test_round_outside_the_officers_subtree_is_refused(world, make_round):
    with pytest.raises(ValidationError) as exc:
        make_round(unit=world.s2)
    assert "unit_id" in exc.value.error_dict
    with pytest.raises(PermissionDenied):
        make_round(by=world.rm)


def test_signature_hash_is_sha256_of_the_stored_text(world, make_round):
    rnd = make_round()
    ob = rnd.obligations.get(signer=world.rm)
    sig = sign_as(world.rm, ob)
    sig = Signature.objects.get(pk=sig.pk)
    assert sig.sha256 == hashlib.sha256(sig.text.encode("utf-8")).hexdigest()
    assert sig.text.startswith("客户经理诚信服务承诺书") and "客户经理:(签字)rm" in sig.text
    assert sig.ip == "10.0.0.8" and sig.signer == world.rm and sig.intact
    assert Obligation.objects.get(pk=ob.pk).signed_at == sig.signed_at
    event = AuditEvent.objects.get(action="compliance.pledge_sign")
    assert event.summary["after"]["sha256"] == sig.sha256


def test_signing_twice_is_refused_and_writes_nothing(world, make_round):
    ob = make_round().obligations.get(signer=world.rm)
    sign_as(world.rm, ob)
    with pytest.raises(ValidationError) as exc:
        sign_as(world.rm, ob)
    assert "不能重复签署" in str(exc.value)
    assert Signature.objects.count() == 1 and AuditEvent.objects.filter(action="compliance.pledge_sign").count() == 1


def test_signing_for_someone_else_is_refused(world, make_round):
    ob = make_round().obligations.get(signer=world.rm)
    with pytest.raises(PermissionDenied) as exc:
        services.sign(world.compliance, ob.pk, text_sha256="0" * 64, read_confirmed=True)
    assert "不能代他人签署" in str(exc.value)
    from django.http import Http404

    with pytest.raises(Http404):  # rm2 cannot see rm's obligation at all
        services.sign(world.rm2, ob.pk, text_sha256="0" * 64, read_confirmed=True)
    assert not Signature.objects.exists()


def test_a_text_other_than_the_one_read_is_refused(world, make_round):
    ob = make_round().obligations.get(signer=world.rm)
    with pytest.raises(ValidationError) as exc:
        services.sign(world.rm, ob.pk, text_sha256=hashlib.sha256(b"other").hexdigest(), read_confirmed=True)
    assert "text_sha256" in exc.value.error_dict
    with pytest.raises(ValidationError) as exc:
        text = services.signing_text(ob.round.template, world.rm, timezone.localdate())
        services.sign(world.rm, ob.pk, text_sha256=Signature.digest(text), read_confirmed=False)
    assert "read_confirmed" in exc.value.error_dict
    assert not Signature.objects.exists()


def test_a_signed_text_cannot_be_edited_or_deleted(world, make_round):
    sig = sign_as(world.rm, make_round().obligations.get(signer=world.rm))
    sig.text = "改过的文本"
    with pytest.raises(ImmutableRecord):
        sig.save()
    with pytest.raises(ImmutableRecord):
        Signature.objects.filter(pk=sig.pk).update(text="改过的文本")
    with pytest.raises(ImmutableRecord):
        Signature.objects.get(pk=sig.pk).delete()
    assert Signature.objects.get(pk=sig.pk).intact


def test_outstanding_list_per_unit_shrinks_and_reminds(world, make_round, django_capture_on_commit_callbacks):
    rnd = make_round(unit=world.o1, roles=("rm", "team_lead"))
    rows = {r["unit_name"]: r for r in services.outstanding_by_unit(rnd, world.compliance)}
    assert (rows["一队"]["total"], rows["一队"]["outstanding"]) == (3, 3)
    assert (rows["一队乙"]["total"], rows["一队乙"]["outstanding"]) == (1, 1)
    sign_as(world.rm, rnd.obligations.get(signer=world.rm))
    rows = {r["unit_name"]: r for r in services.outstanding_by_unit(rnd, world.compliance)}
    assert rows["一队"]["outstanding"] == 2 and world.rm not in rows["一队"]["people"]
    Notification.objects.all().update(read_at=timezone.now())
    with django_capture_on_commit_callbacks(execute=True):
        assert services.remind_round(world.compliance, rnd.pk) == 3
    assert set(Notification.objects.filter(read_at__isnull=True).values_list("recipient__username", flat=True)) == {
        "rm_b",
        "lead",
        "rm_t1b",
    }


def test_publishing_a_template_makes_a_new_version(world, seeded):
    t = services.publish_template(
        world.compliance,
        kind="integrity",
        title="客户经理诚信服务承诺书",
        body=seeded["integrity"].body + "\n\n补充条款。",
    )
    assert t.version == 2 and seeded["integrity"].body != t.body
    with pytest.raises(ValidationError) as exc:
        services.publish_template(world.compliance, kind="x", title="", body="短")
    assert set(exc.value.error_dict) == {"kind", "title", "body"}


def test_closed_round_refuses_signatures(world, make_round):
    rnd = make_round(deadline=timezone.localdate() + timedelta(days=1))
    services.close_round(world.compliance, rnd.pk)
    with pytest.raises(ValidationError):
        sign_as(world.rm, rnd.obligations.get(signer=world.rm))


def test_pages_sign_and_print(client, world, make_round):
    ob = make_round().obligations.get(signer=world.rm)
    client.force_login(world.rm)
    page = client.get(f"/compliance/obligations/{ob.pk}/")
    assert page.status_code == 200 and "电子签署" in page.content.decode()
    digest = page.context["form"].initial["text_sha256"]
    bad = client.post(f"/compliance/obligations/{ob.pk}/", {"text_sha256": digest})
    assert bad.status_code == 422 and "请先阅读承诺书全文并确认" in bad.content.decode()
    ok = client.post(f"/compliance/obligations/{ob.pk}/", {"text_sha256": digest, "read_confirmed": "on"})
    assert ok.status_code == 302
    sig = Signature.objects.get()
    printed = client.get(f"/compliance/signatures/{sig.pk}/print/").content.decode()
    assert printed.count(sig.sha256) == 2 and "公司留存联" in printed and "客户经理留存联" in printed
    notice = client.get(f"/compliance/signatures/{sig.pk}/notice/")
    assert notice.status_code == 200 and "客户经理诚信服务承诺（公示）" in notice.content.decode()
    pdf = client.get(f"/compliance/signatures/{sig.pk}/pdf/")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
