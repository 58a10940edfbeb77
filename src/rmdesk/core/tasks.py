"""Background work of the kernel: sending a notification's channel deliveries (rmdesk.core.channels)."""

from django_tasks import task


@task(queue_name="notifications")
def deliver_notification(notification_id: int) -> list[str]:
    """Send the pending deliveries of one notification; retries are the periodic sweep's (run_notices)."""
    from .channels import deliver_for

    return deliver_for(notification_id)
