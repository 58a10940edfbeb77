"""The platform kernel (ARCHITECTURE.md "Layout"): what belongs to no single domain.

Public contract, used by every domain app (docs/decisions.md 9):
- `roles`          role codes and the role groups every app uses
- `scope`          the data-scope rule: ScopeSpec, visible(), subtree_paths(), covers()
- `audit`          the append-only, hash-chained audit trail
- `actions`        business actions: one transaction, audit inside, side effects after commit,
                   a required version check for edits of shared records
- `hooks`          the one registry for menu items, header counters, home panels, 360° slots,
                   list filters and approval handlers
- `approvals`      configurable approval chains and the one inbox (审批中心)
- `notifications`  the notification centre every app sends through
- `calendar`       the business calendar (working days and working time)
"""
