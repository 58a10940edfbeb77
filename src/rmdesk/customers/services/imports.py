"""Bulk import of customers and holdings from Excel/CSV (SPEC §2): the upload is checked here (one set
of limits for the page and the API), kept as an ImportJob and handed to the background task, which
validates every row and writes all or nothing (customers/importer.py)."""

import os
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import Q
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from rmdesk.core import audit
from rmdesk.org.scope import visible_staff

from ..models import ImportJob, ImportStatus
from ..tasks import run_import
from .permissions import can_import, is_supervisor, require

#: what an import file may hold
IMPORT_KINDS = ("customers", "holdings")
#: the file types the importer reads
IMPORT_EXTENSIONS = (".xlsx", ".csv")
#: the largest upload accepted (a core-banking dump of 100,000 rows is about 15 MB as xlsx)
IMPORT_MAX_BYTES = 50 * 1024 * 1024


def _size(n: int) -> str:
    return f"{n // (1024 * 1024)} MB" if n >= 1024 * 1024 else f"{n} B"


def validate_import_kind(kind):
    if kind not in IMPORT_KINDS:
        raise ValidationError(_("导入内容无效。"), code="invalid_kind")


def validate_import_file(upload):
    """The page's form, the API and `start_import` refuse the same files with the same message."""
    if not (upload.name or "").lower().endswith(IMPORT_EXTENSIONS):
        raise ValidationError(_("只支持 .xlsx 或 .csv 文件。"), code="file_type")
    if upload.size > IMPORT_MAX_BYTES:
        raise ValidationError(_("文件不能超过 %(max)s。") % {"max": _size(IMPORT_MAX_BYTES)}, code="file_size")


def start_import(actor, upload, kind):
    """Keep an uploaded file as an ImportJob (audited) and enqueue the background import (SPEC §2).

    Back-office import roles only (403 otherwise); a bad kind or file is refused on its field (422)."""
    require(can_import(actor), _("您无权导入客户数据。"))
    errors = {}
    for field, check, value in (("kind", validate_import_kind, kind), ("file", validate_import_file, upload)):
        try:
            check(value)
        except ValidationError as exc:
            errors[field] = exc.error_list
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        job = ImportJob(kind=kind, original_name=os.path.basename(upload.name)[:200], created_by=actor)
        job.file.save(job.original_name, ContentFile(upload.read()), save=False)
        job.save()
        audit.record(actor, "customers.import_upload", job, after={"file": job.original_name, "kind": kind})
    run_import.enqueue(job.pk)  # once the job row is written: the task reads it
    job.refresh_from_db()
    return job


# --- jobs whose worker died (issue 10) ---------------------------------------------------------------

#: minutes without progress after which a validating/writing job counts as dead (settings override)
IMPORT_STALL_MINUTES_DEFAULT = 10


def stall_timeout() -> timedelta:
    return timedelta(minutes=getattr(settings, "RMDESK_IMPORT_STALL_MINUTES", IMPORT_STALL_MINUTES_DEFAULT))


def stalled_message() -> str:
    return _("导入任务长时间无进展，已标记为失败，未写入任何数据，可重新导入。")


def sweep_stalled_imports(now=None) -> int:
    """Fail the import jobs whose worker stopped making progress (SPEC §2: no half-imported file).

    A job validating or writing whose `progress_at` is older than the timeout is marked failed with a
    clear message; nothing of it was written (the write is one transaction, rolled back when its
    worker dies). A writer that is alive holds its job row locked, and the sweep skips locked rows
    (PostgreSQL), so a long write is never failed under it. Returns the number of jobs failed."""
    now = now or timezone.now()
    cutoff = now - stall_timeout()
    stale = Q(progress_at__lt=cutoff) | Q(progress_at__isnull=True, created_at__lt=cutoff)
    failed = 0
    with transaction.atomic():
        jobs = list(
            ImportJob.objects.select_for_update(skip_locked=True)
            .filter(stale, status__in=(ImportStatus.VALIDATING, ImportStatus.WRITING))
            .order_by("id")
        )
        for job in jobs:
            was = job.status
            job.status = ImportStatus.FAILED
            job.message = stalled_message()
            job.finished_at = now
            job.errors = [{"row": 0, "customer_no": "", "field": "", "message": job.message}]
            job.error_count = 0
            job.save(update_fields=["status", "message", "finished_at", "errors", "error_count"])
            audit.record(
                None,
                "customers.import_stalled",
                job,
                after={"file": job.original_name, "was": was, "progress_at": str(job.progress_at or "")},
            )
            failed += 1
    return failed


def may_retry_import(user, job) -> bool:
    """The uploader, or a team lead / branch manager whose staff scope holds the uploader."""
    if job.created_by_id == user.pk:
        return True
    return is_supervisor(user) and visible_staff(user).filter(pk=job.created_by_id).exists()


def retry_import(actor, job) -> ImportJob:
    """Re-queue a failed import job (SPEC §2; issue 10: a job whose worker died can be run again).

    Only a failed job; only its uploader or a supervisor whose scope holds the uploader (anyone
    else: 404, as a missing job). The file is read again from the start; counts, errors and the
    error report are cleared. Audited `customers.import_retry`; the task is enqueued once the reset is
    written."""
    if not isinstance(job, ImportJob):
        job = ImportJob.objects.filter(pk=job).first() if str(job).isdigit() else None
    if job is None or not may_retry_import(actor, job):
        raise Http404
    require(can_import(actor), _("您无权导入客户数据。"))
    with transaction.atomic():
        job = ImportJob.objects.select_for_update().get(pk=job.pk)
        if job.status != ImportStatus.FAILED:
            raise ValidationError({"status": [_("只有未导入的任务可以重新导入。")]}, code="not_failed")
        if job.error_report:
            job.error_report.delete(save=False)
        job.status = ImportStatus.PENDING
        job.processed_rows = job.total_rows = job.error_count = 0
        job.created_count = job.updated_count = job.unchanged_count = job.conflict_count = 0
        job.errors, job.message, job.finished_at = [], _("已重新排队导入。"), None
        job.progress_at = timezone.now()
        job.save()
        audit.record(actor, "customers.import_retry", job, after={"file": job.original_name, "attempts": job.attempts})
    run_import.enqueue(job.pk)  # once the reset is written, as start_import does: the task reads it
    job.refresh_from_db()
    return job
