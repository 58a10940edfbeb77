"""Customer documents are downloaded through the archive's scope, audited, never from a media URL."""

from django.core.files.base import ContentFile
from django.urls import reverse

from rmdesk.core.models import AuditEvent
from rmdesk.customers.models import Document


def test_the_rm_downloads_a_document_from_the_360_page_and_it_is_audited(client, world, make_customer):
    customer = make_customer(world.rm, world.t1)
    doc = Document.objects.create(customer=customer, kind="license", file=ContentFile(b"%PDF-1", name="lic.pdf"))
    client.force_login(world.rm)
    page = client.get(reverse("customers:detail", args=[customer.pk])).content.decode()
    link = reverse("customers:document", args=[customer.pk, doc.pk])
    assert link in page and "/media/" not in page
    r = client.get(link)
    assert r.status_code == 200 and b"".join(r.streaming_content) == b"%PDF-1"
    assert AuditEvent.objects.filter(action="customers.document_download", actor=world.rm).count() == 1


def test_a_document_of_another_customer_or_a_lost_file_is_a_404(client, world, make_customer):
    mine, other = make_customer(world.rm, world.t1), make_customer(world.rm2, world.t2)
    doc = Document.objects.create(customer=other, kind="other", file=ContentFile(b"x", name="x.pdf"))
    client.force_login(world.rm)
    assert client.get(reverse("customers:document", args=[mine.pk, doc.pk])).status_code == 404
    assert client.get(reverse("customers:document", args=[other.pk, doc.pk])).status_code == 404
    doc.file.delete(save=False)
    client.force_login(world.rm2)
    assert client.get(reverse("customers:document", args=[other.pk, doc.pk])).status_code == 404
