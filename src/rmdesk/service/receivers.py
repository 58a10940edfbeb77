"""The service app's receivers of other apps' domain events (rmdesk.customers.signals), connected from
ServiceConfig.ready(). The app never listens to another app's `post_save` (docs/decisions.md 11)."""

from rmdesk.customers import signals as customer_signals


def on_stage_changed(sender, customer, new_stage, actor=None, old_stage=None, **kwargs):
    """流失 records a churn event and puts the customer on the watch list; 流失预警 puts them on it."""
    from .churn import on_stage_changed as react

    react(actor, customer, new_stage)


def on_merged(sender, actor, source, target, **kwargs):
    """A duplicate archive was merged: its cases, watch entries, churn history and survey responses move
    to the archive it was merged into (SPEC §2 不争夺客户); the merge itself is not churn."""
    from .churn import absorb_merged_customer

    absorb_merged_customer(actor, source, target)


def connect():
    """Called once from ServiceConfig.ready()."""
    customer_signals.stage_changed.connect(on_stage_changed, dispatch_uid="service.churn_on_stage_change")
    customer_signals.customers_merged.connect(on_merged, dispatch_uid="service.records_on_merge")
