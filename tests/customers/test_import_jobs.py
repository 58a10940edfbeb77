"""Import jobs whose worker dies, retry, and the error report in labels (SPEC §2, issue 10)."""

import io
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from rmdesk.core.models import AuditEvent
from rmdesk.customers import importer, services
from rmdesk.customers.importer import CUSTOMER_COLUMNS
from rmdesk.customers.models import Customer, ImportJob, Stage, TierChange

from .test_import import good_rows, row, upload, xlsx

pytestmark = pytest.mark.django_db


@pytest.fixture
def lead_client(client, world):
    client.force_login(world.lead)
    return client


class WorkerKilled(BaseException):
    """What a SIGKILL looks like from inside the worker: nothing after it runs, no `except` catches it."""


def _job(world, ids):
    from django.core.files.base import ContentFile

    job = ImportJob(kind="customers", original_name="客户.xlsx", created_by=world.lead)
    job.file.save("客户.xlsx", ContentFile(xlsx(good_rows(world, ids))), save=False)
    job.save()
    return job


def _age(job, minutes):
    ImportJob.objects.filter(pk=job.pk).update(progress_at=timezone.now() - timedelta(minutes=minutes))


def test_worker_killed_while_writing_writes_nothing_and_the_sweep_fails_the_job(world, ids, monkeypatch):
    job = _job(world, ids)
    before = (Customer.objects.count(), TierChange.objects.count())

    def die(*args, **kwargs):
        raise WorkerKilled

    # the updates of earlier rows are written in the same transaction as the new archives: die after them
    monkeypatch.setattr(importer, "_insert_new_customers", die)
    with pytest.raises(WorkerKilled):
        importer.run_import(job.pk)
    job.refresh_from_db()
    assert job.status == "writing" and job.progress_at is not None
    assert (Customer.objects.count(), TierChange.objects.count()) == before  # rolled back whole
    # a recent job is left alone
    assert services.sweep_stalled_imports() == 0
    assert ImportJob.objects.get(pk=job.pk).status == "writing"
    # past the timeout it is failed, with a clear message and nothing written
    _age(job, 11)
    assert services.sweep_stalled_imports() == 1
    job.refresh_from_db()
    assert job.status == "failed" and job.finished_at is not None
    assert job.message == "导入任务长时间无进展，已标记为失败，未写入任何数据，可重新导入。"
    assert (Customer.objects.count(), TierChange.objects.count()) == before
    assert AuditEvent.objects.filter(action="customers.import_stalled", object_id=str(job.pk)).exists()
    assert services.sweep_stalled_imports() == 0  # failed once


def test_the_timeout_is_a_setting_and_validating_jobs_are_swept_too(world, ids, settings):
    settings.RMDESK_IMPORT_STALL_MINUTES = 30
    job = _job(world, ids)
    ImportJob.objects.filter(pk=job.pk).update(status="validating")
    _age(job, 20)
    assert services.sweep_stalled_imports() == 0
    _age(job, 31)
    pending = _job(world, ids)  # queued, not started: the worker will pick it up, not the sweep
    ImportJob.objects.filter(pk=pending.pk).update(created_at=timezone.now() - timedelta(hours=2))
    assert services.sweep_stalled_imports() == 1
    assert ImportJob.objects.get(pk=job.pk).status == "failed"
    assert ImportJob.objects.get(pk=pending.pk).status == "pending"


def test_a_worker_that_wakes_after_the_sweep_writes_nothing(world, ids, monkeypatch):
    """A worker that was only frozen (not dead) finds its job failed at its next progress report."""
    job = _job(world, ids)
    real = importer._validate_customer_rows

    def frozen(job_, actor, rows, errors):
        _age(job_, 60)
        services.sweep_stalled_imports()
        return real(job_, actor, rows, errors)

    monkeypatch.setattr(importer, "_validate_customer_rows", frozen)
    monkeypatch.setattr(importer, "PROGRESS_EVERY", 1)
    before = Customer.objects.count()
    result = importer.run_import(job.pk)
    assert result.status == "failed" and "长时间无进展" in result.message
    assert Customer.objects.count() == before


def test_retry_reruns_a_failed_job_to_done(world, ids, lead_client, monkeypatch):
    job = _job(world, ids)
    monkeypatch.setattr(importer, "_insert_new_customers", lambda *a, **k: (_ for _ in ()).throw(WorkerKilled()))
    with pytest.raises(WorkerKilled):
        importer.run_import(job.pk)
    monkeypatch.undo()
    _age(job, 15)
    services.sweep_stalled_imports()
    page = lead_client.get(reverse("customers:import_detail", args=[job.pk])).content.decode()
    assert "长时间无进展" in page and 'data-testid="import-retry"' in page
    resp = lead_client.post(reverse("customers:import_retry", args=[job.pk]))
    assert resp.status_code == 302
    job.refresh_from_db()
    assert job.status == "done" and job.created_count == 4 and job.attempts == 2, job.errors
    assert Customer.objects.filter(customer_no__in=["K001", "K002", "K003", "K004"]).count() == 4
    assert AuditEvent.objects.filter(action="customers.import_retry", object_id=str(job.pk)).exists()
    # a finished job is not re-run
    with pytest.raises(Exception) as exc:
        services.retry_import(world.lead, job)
    assert "只有未导入的任务" in str(exc.value)


def test_who_may_retry(world, ids):
    from django.core.exceptions import PermissionDenied
    from django.http import Http404

    job = _job(world, ids)
    ImportJob.objects.filter(pk=job.pk).update(status="failed")
    for outsider in (world.lead2, world.rm2, world.rm):
        with pytest.raises((Http404, PermissionDenied)):
            services.retry_import(outsider, job.pk)
    assert ImportJob.objects.get(pk=job.pk).status == "failed"
    # the branch manager over the uploader's unit may
    assert services.may_retry_import(world.manager, job)
    assert services.retry_import(world.manager, job.pk).status == "done"


def test_error_report_shows_labels_not_codes(world, ids, lead_client, client):
    rows = good_rows(world, ids) + [
        row("K005", "坏证件", id_number="110105194912310021"),
        row("K006", "无工号", mobile="13900000006", a_rm_no="NOSUCH"),
        row("K007", "坏阶段", mobile="13900000007", stage="potential-x"),
        row("K008", "", mobile="13900000008"),
    ]
    job = upload(lead_client, xlsx(rows))
    assert job.status == "failed"
    fields = {e["field"] for e in job.errors}
    assert {"id_number", "a_rm_no", "name"} <= fields
    raw = set(fields) | {f for f, _l in CUSTOMER_COLUMNS} | set(Stage.values) | {"individual", "resident_id"}
    raw.discard("")

    def no_raw(texts):
        bad = [t for t in texts if t in raw]
        assert not bad, bad

    page = lead_client.get(reverse("customers:import_detail", args=[job.pk]))
    cells = [e["field_label"] for e in page.context["error_rows"]]
    assert {"证件号码", "主办客户经理工号", "客户名称"} <= set(cells)
    no_raw(cells)
    html = page.content.decode()
    for code in ("id_number", "a_rm_no", ">name<"):
        assert code not in html
    report = lead_client.get(reverse("customers:import_errors", args=[job.pk]))
    lines = list(load_workbook(io.BytesIO(b"".join(report.streaming_content))).active.iter_rows(values_only=True))
    assert lines[0] == ("行号", "客户号", "字段", "错误说明")
    no_raw([c for line in lines for c in line if isinstance(c, str)])
    assert {"证件号码", "主办客户经理工号", "客户名称"} <= {line[2] for line in lines[1:]}
    # in English: English headers and labels
    lead_client.cookies["django_language"] = "en"
    report = lead_client.get(reverse("customers:import_errors", args=[job.pk]), HTTP_ACCEPT_LANGUAGE="en")
    lines = list(load_workbook(io.BytesIO(b"".join(report.streaming_content))).active.iter_rows(values_only=True))
    assert lines[0][0] == "Row" and "ID number" in {line[2] for line in lines[1:]}
    no_raw([c for line in lines for c in line if isinstance(c, str)])


def test_retry_through_the_api(world, ids, api_client):
    job = _job(world, ids)
    ImportJob.objects.filter(pk=job.pk).update(status="failed", message="x")
    url = f"/api/customers/imports/{job.pk}/retry"
    assert api_client(world.lead2).post(url).status_code == 404  # another team's lead: as if missing
    resp = api_client(world.lead).post(url)
    assert resp.status_code == 200, resp.content
    assert resp.json()["status"] == "done" and resp.json()["created_count"] == 4
    again = api_client(world.lead).post(url)
    assert again.status_code == 422 and "只有未导入的任务" in again.json()["detail"][0]["msg"]
    assert api_client(world.lead).post("/api/customers/imports/99999999/retry").status_code == 404
