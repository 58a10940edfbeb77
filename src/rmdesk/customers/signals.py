"""Signals of the customer archive that other apps listen to (SPEC §2, §3, §9).

- tier_changed(customer, old_tier, new_tier, change): sent after a TierChange row is written
  (upgrade/downgrade/first tier); the work app recomputes cadence, indicators count upgrades.
- customers_handed_over(actor, customers, from_rm, to_rm, notes, handover): sent after a bulk
  handover is carried out; `notes` maps customer id -> handover note. The work app creates the
  follow-up task for the receiving RM.
- customer_created(actor, customer): sent after an archive is created through the services.

All are sent inside the business action's transaction: a receiver's failure rolls the action back.
"""
from django.dispatch import Signal

tier_changed = Signal()
customers_handed_over = Signal()
customer_created = Signal()
