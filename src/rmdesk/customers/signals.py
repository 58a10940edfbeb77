"""Domain events of the customer archive that other apps listen to (SPEC §2, §3, §5, §9).

Apps listen to these, never to `post_save` of the archive's models (docs/decisions.md 11).

- customer_created(actor, customer): an archive was created through the services.
- stage_changed(actor, customer, old_stage, new_stage): the lifecycle stage changed (潜在 → 新客户 →
  活跃 → 沉睡 → 流失预警 → 流失) through a service; the service app reacts to 流失 and 流失预警.
- tier_changed(customer, old_tier, new_tier, change): sent after a TierChange row is written
  (upgrade/downgrade/first tier); the work app recomputes cadence, indicators count upgrades.
- customers_merged(actor, source, target): a duplicate archive `source` was merged into `target`
  (SPEC §2 不争夺客户). Every app re-points the rows it holds for `source` to `target`. A merge is
  not churn: the source archive is closed as merged, not lost.
- customers_handed_over(actor, customers, from_rm, to_rm, notes, handover): sent after a bulk
  handover is carried out; `notes` maps customer id -> handover note. The work app creates the
  follow-up task for the receiving RM.
- customers_imported(actor, customer_ids): sent once after an import file's rows are written, with
  the ids of every archive it created or updated. The import does not send `customer_created` or
  `tier_changed` per row (a file has up to 100,000 rows): receivers refresh what they derive from
  customers (cadence, counters) for the whole set at once.

All are sent inside the business action's transaction: a receiver's failure rolls the action back.
"""

from django.dispatch import Signal

customer_created = Signal()
stage_changed = Signal()
tier_changed = Signal()
customers_merged = Signal()
customers_handed_over = Signal()
customers_imported = Signal()
