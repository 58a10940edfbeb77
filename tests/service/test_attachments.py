"""Case evidence is downloaded through the case's scope, never a public media URL (issue 10)."""

from django.core.files.base import ContentFile
from django.urls import reverse

from rmdesk.service.models import CaseAttachment


def test_the_owner_downloads_the_evidence_from_the_case_page(client, world, make_case):
    case = make_case(world.rm)
    att = CaseAttachment.objects.create(
        case=case, file=ContentFile(b"%PDF-evidence", name="e.pdf"), name="聊天记录.pdf", uploaded_by=world.rm
    )
    client.force_login(world.rm)
    page = client.get(reverse("service:case_detail", args=[case.pk])).content.decode()
    link = reverse("service:attachment", args=[case.pk, att.pk])
    assert link in page and "/media/" not in page
    r = client.get(link)
    assert r.status_code == 200 and b"".join(r.streaming_content) == b"%PDF-evidence"
    assert "attachment" in r["Content-Disposition"]


def test_evidence_of_another_case_or_a_lost_file_is_a_404(client, world, make_case, make_customer):
    mine, other = make_case(world.rm), make_case(world.rm2, customer=make_customer(world.rm2, world.t2))
    att = CaseAttachment.objects.create(
        case=other, file=ContentFile(b"x", name="x.txt"), name="x.txt", uploaded_by=world.rm2
    )
    client.force_login(world.rm)
    assert client.get(reverse("service:attachment", args=[mine.pk, att.pk])).status_code == 404
    assert client.get(reverse("service:attachment", args=[other.pk, att.pk])).status_code == 404
    att.file.delete(save=False)
    client.force_login(world.rm2)
    assert client.get(reverse("service:attachment", args=[other.pk, att.pk])).status_code == 404
