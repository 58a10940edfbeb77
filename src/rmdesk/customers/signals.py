"""Signals of the customer archive that other apps listen to (SPEC §2, §3, §9).

- tier_changed(customer, old_tier, new_tier, change): sent after a TierChange row is written
  (upgrade/downgrade/first tier); the work app recomputes cadence, indicators count upgrades.
- customers_handed_over(actor, customers, from_rm, to_rm, notes, handover): sent after a bulk
  handover is carried out; `notes` maps customer id -> handover note. The work app creates the
  follow-up task for the receiving RM.
- customer_created(actor, customer): sent after an archive is created through the services.
- customers_imported(actor, customer_ids): sent once after an import file's rows are written, with
  the ids of every archive it created or updated. The import does not send `customer_created` or
  `tier_changed` per row (a file has up to 100,000 rows): receivers refresh what they derive from
  customers (cadence, counters) for the whole set at once.

All are sent inside the business action's transaction: a receiver's failure rolls the action back.
"""
from django.dispatch import Signal

tier_changed = Signal()
customers_handed_over = Signal()
customer_created = Signal()
customers_imported = Signal()
