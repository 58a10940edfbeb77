"""The one adapter between this app and the kernel's notification centre (SPEC §3, §5).

Everything the service app tells people goes through `send()`, so the SLA engine's own SlaEvent rows
and the notices it sends stay side by side in one place.
"""

from rmdesk.core.notifications import notify


def send(
    recipient, kind: str, title: str, *, body: str = "", url: str = "", obj=None, due_at=None, dedupe_key: str = ""
):
    """Notify `recipient` (nobody when None)."""
    if recipient is None:
        return None
    return notify(recipient, kind, title, body=body, url=url, obj=obj, due_at=due_at, dedupe_key=dedupe_key)
