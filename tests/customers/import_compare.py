"""What the import differential tests compare (issue 18, decisions 94 and 95): a file imported with the fast
path and without it, from the same database state, must leave the same rows and the same job."""

from django.core.files.base import ContentFile
from django.db import models

from rmdesk.customers import importer
from rmdesk.customers.models import Customer, ImportJob


def run_file(world, kind, content, name):
    """Import `content` as the team lead, through the job runner (`importer.run_import`)."""
    job = ImportJob(kind=kind, original_name=name, created_by=world.lead)
    job.file.save(name, ContentFile(content), save=False)
    job.save()
    return importer.run_import(job.pk)


def plain_rows(model, qs=None, exclude=()):
    """Every row of `model` (or of `qs`) in id order as comparable values: no ids or timestamps, an
    archive named by its number."""
    numbers = dict(Customer.objects.values_list("pk", "customer_no"))
    out = []
    for obj in (qs if qs is not None else model.objects.all()).order_by("pk"):
        values = []
        for f in model._meta.concrete_fields:
            if f.primary_key or isinstance(f, models.DateTimeField) or f.attname in exclude:
                continue
            v = getattr(obj, f.attname)
            if isinstance(f, models.ForeignKey) and f.related_model is Customer and v is not None:
                v = numbers[v]
            values.append((f.attname, repr(v)))
        out.append(tuple(values))
    return out


def job_outcome(job):
    """The job as a user sees it once it has run: status, counts, errors and message."""
    job.refresh_from_db()
    return (
        job.status,
        job.total_rows,
        job.processed_rows,
        job.created_count,
        job.updated_count,
        job.unchanged_count,
        job.conflict_count,
        job.error_count,
        job.errors,
        job.message,
    )
