"""Background work of the service app (SPEC §5): the SLA run and the churn scan.

Enqueue from a scheduler (`run_sla_task.enqueue()`), or run `manage.py run_sla` from cron every
few minutes; both are idempotent.
"""

from django_tasks import task

from . import churn, sla


@task(queue_name="periodic")
def run_sla_task():
    """At-risk and breach notices, escalation one level up per further breach interval."""
    return sla.run()


@task(queue_name="periodic")
def scan_churn_task():
    """Churn events for lost customers, watch-list entries for customers at risk."""
    return churn.scan()
