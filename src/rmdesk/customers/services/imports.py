"""Bulk import of customers and holdings from Excel/CSV (SPEC §2): the upload is checked here (one set
of limits for the page and the API), kept as an ImportJob and handed to the background task, which
validates every row and writes all or nothing (customers/importer.py)."""

import os

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils.translation import gettext as _

from rmdesk.core import audit

from ..models import ImportJob
from ..tasks import run_import
from .permissions import can_import, require

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
