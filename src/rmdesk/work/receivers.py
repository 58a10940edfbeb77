"""The work app's receivers of other apps' domain events (rmdesk.customers.signals), connected from
WorkConfig.ready(). The app never listens to another app's `post_save` (docs/decisions.md 11); the one
model signal here is on its own ContactStatus."""

from django.db.models.signals import post_delete

from rmdesk.customers import signals as customer_signals


def on_tier_changed(sender, customer, old_tier=None, new_tier=None, **kwargs):
    """A tier change changes the cadence rule: recompute the customer's row at once."""
    from .cadence import refresh_one

    refresh_one(customer)


def on_imported(sender, customer_ids, **kwargs):
    """An import file's archives (new ones, changed tiers): their cadence rows in a few set-based
    statements, not one refresh per row."""
    from .cadence import recompute_all

    if customer_ids:
        recompute_all(customer_ids=customer_ids)


def on_handed_over(sender, actor, customers, from_rm, to_rm, notes=None, **kwargs):
    """Handover: a follow-up task (待办) per customer for the receiving RM (SPEC §2)."""
    from .services import handover_tasks

    handover_tasks(actor, customers, from_rm, to_rm, notes)


def on_merged(sender, actor, source, target, **kwargs):
    """A duplicate archive was merged: its interactions, appointments, tasks, schedule items and
    cadence row move to the archive it was merged into (SPEC §2 不争夺客户)."""
    from .services import absorb_merged_customer

    absorb_merged_customer(actor, source, target)


def on_status_deleted(sender, instance, **kwargs):
    """A cadence row goes (its customer was deleted or merged): its counter bucket loses one."""
    from .cadence import bump_counter

    bump_counter(instance.a_rm_id, instance.org_path, instance.status, -1)


def connect():
    """Called once from WorkConfig.ready()."""
    from .models import ContactStatus

    customer_signals.tier_changed.connect(on_tier_changed, dispatch_uid="work.cadence_on_tier_change")
    customer_signals.customers_imported.connect(on_imported, dispatch_uid="work.cadence_on_import")
    customer_signals.customers_handed_over.connect(on_handed_over, dispatch_uid="work.tasks_on_handover")
    customer_signals.customers_merged.connect(on_merged, dispatch_uid="work.records_on_merge")
    post_delete.connect(on_status_deleted, sender=ContactStatus, dispatch_uid="work.counter_on_status_delete")
