"""Background work of the work app (SPEC §3): the daily jobs and the appointment reminders.

The django-tasks database backend has no scheduler: cron runs `manage.py run_periodic` (daily jobs)
and `manage.py run_periodic --only appointments` (every 5 minutes), or enqueues these tasks.
"""

from django.utils import timezone
from django_tasks import task


def run_daily(today=None, only=None) -> dict:
    """The daily jobs in order: cadence recompute, required journals, reminders, digest e-mail."""
    from . import cadence, digest, reminders, services

    today = today or timezone.localdate()
    jobs = only or ["cadence", "journals", "reminders", "appointments", "digest"]
    out = {}
    if "cadence" in jobs:
        out["cadence"] = cadence.recompute_all(today=today)
    if "journals" in jobs:
        out["journals"] = services.ensure_required_journals(today)
    if "reminders" in jobs:
        out["reminders"] = reminders.generate_reminders(today)
    if "appointments" in jobs:
        out["appointments"] = reminders.appointment_reminders()
    if "digest" in jobs:
        out["digest"] = digest.send_digests(today)
    return out


@task(queue_name="periodic")
def daily_jobs():
    return {k: str(v) for k, v in run_daily().items()}


@task(queue_name="periodic")
def recompute_cadence():
    from . import cadence

    return cadence.recompute_all()


@task(queue_name="periodic")
def appointment_reminders():
    from . import reminders

    return reminders.appointment_reminders()
