"""The one adapter between this app and the notification centre (SPEC §3 "notification centre").

Everything the service app tells people goes through `send()`, so the SLA engine can be tested on
its own (its own SlaEvent rows record who was told what) and the notification centre can change.
"""
import logging

log = logging.getLogger(__name__)


def send(recipient, kind: str, title: str, *, body: str = "", url: str = "", obj=None, due_at=None, dedupe_key: str = ""):
    """Hand one notification to rmdesk.work.notifications.notify(); a missing centre is not an error."""
    if recipient is None:
        return None
    try:
        from rmdesk.work.notifications import notify
    except ImportError:  # the notification centre is not installed in this build
        log.info("notification (no centre): %s -> %s", title, recipient)
        return None
    return notify(recipient, kind, title, body=body, url=url, obj=obj, due_at=due_at, dedupe_key=dedupe_key)
