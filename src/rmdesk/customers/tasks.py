"""Background work of the customer archive (django-tasks): imports and the periodic tier recompute."""

from django_tasks import task


@task(queue_name="imports")
def run_import(job_id: int):
    """Validate and write one uploaded import file (all-or-nothing), SPEC §2."""
    from .importer import run_import as _run

    job = _run(job_id)
    return {"status": job.status, "created": job.created_count, "updated": job.updated_count}


@task(queue_name="periodic")
def recompute_tiers():
    """Periodic task: re-tier every archive against the active rule set (SPEC §2). Schedule it daily
    (cron: `manage.py recompute_tiers` or enqueue this task)."""
    from .services import recompute_all_tiers

    return {"changes": recompute_all_tiers()}
