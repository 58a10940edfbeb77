"""Business actions of the customer archive (SPEC §2). One function per action, acting user first,
audit event in the same transaction; validation errors in Chinese next to the field; nothing half-written.

One module per concern; this package re-exports the public names, so callers write
`from rmdesk.customers import services; services.create_customer(...)`:
- permissions: who may create, import, export, reveal, anonymise, supervise (SPEC §1, §2);
- cleaning: validation and normalisation of archive data, duplicates, completeness, the version check;
- archive: open and edit an archive, tags, notes, needs, contacts, key dates, financials, documents,
  related parties, the view log;
- tiers: rule sets, re-tiering and the tier history;
- holdings: holdings and the AUM, deposits and loans derived from them;
- privacy: reveal a sensitive field, personal-data export, anonymisation (PIPL);
- ownership: A/B-post assignment and bulk handover with maker-checker approval;
- conflicts: duplicate claims (不争夺客户), their settlement, the unassigned pool;
- imports: the upload limits and `start_import`.
"""

from .archive import (
    add_contact,
    add_document,
    add_financial_year,
    add_key_date,
    add_need,
    add_note,
    create_customer,
    link_related,
    record_view,
    set_tags,
    sync_birthday,
    update_customer,
)
from .cleaning import (
    DUPLICATE_FIELDS,
    EDITABLE_FIELDS,
    REQUIRED_DOCS,
    REQUIRED_FIELDS,
    StaleVersionError,
    check_archive_version,
    clean_customer_data,
    completeness_of,
    customer_values,
    find_duplicate,
    parse_amount,
    parse_date,
    refresh_completeness,
)
from .conflicts import (
    CONFLICT_SCOPE,
    coverage_gaps,
    mark_existing_visibility,
    open_conflict,
    pool_customers,
    resolve_conflict,
    visible_conflicts,
)
from .holdings import recompute_aggregates, save_holding
from .imports import (
    IMPORT_EXTENSIONS,
    IMPORT_KINDS,
    IMPORT_MAX_BYTES,
    start_import,
    validate_import_file,
    validate_import_kind,
)
from .ownership import (
    HANDOVER_MAX_CUSTOMERS,
    handover_candidates,
    handover_preview,
    request_assignment,
    request_handover,
    validate_handover_size,
)
from .permissions import (
    CREATE_ROLES,
    EXPORT_ROLES,
    IMPORT_ROLES,
    PRIVACY_ROLES,
    REVEAL_ROLES,
    SUPERVISOR_ROLES,
    can_create,
    can_export,
    can_import,
    can_privacy,
    can_reveal,
    is_supervisor,
    supervises_all,
)
from .privacy import anonymise_customer, personal_data, reveal_field
from .tiers import (
    activate_rule_set,
    active_rule_set,
    active_rule_sets,
    metric_value,
    recompute_all_tiers,
    recompute_tier,
    retier_after_edit,
    tier_for_value,
)

__all__ = [
    "CONFLICT_SCOPE",
    "CREATE_ROLES",
    "DUPLICATE_FIELDS",
    "EDITABLE_FIELDS",
    "EXPORT_ROLES",
    "HANDOVER_MAX_CUSTOMERS",
    "IMPORT_EXTENSIONS",
    "IMPORT_KINDS",
    "IMPORT_MAX_BYTES",
    "IMPORT_ROLES",
    "PRIVACY_ROLES",
    "REQUIRED_DOCS",
    "REQUIRED_FIELDS",
    "REVEAL_ROLES",
    "SUPERVISOR_ROLES",
    "StaleVersionError",
    "activate_rule_set",
    "active_rule_set",
    "active_rule_sets",
    "add_contact",
    "add_document",
    "add_financial_year",
    "add_key_date",
    "add_need",
    "add_note",
    "anonymise_customer",
    "can_create",
    "can_export",
    "can_import",
    "can_privacy",
    "can_reveal",
    "check_archive_version",
    "clean_customer_data",
    "completeness_of",
    "coverage_gaps",
    "create_customer",
    "customer_values",
    "find_duplicate",
    "handover_candidates",
    "handover_preview",
    "is_supervisor",
    "link_related",
    "metric_value",
    "open_conflict",
    "parse_amount",
    "parse_date",
    "personal_data",
    "pool_customers",
    "recompute_aggregates",
    "recompute_all_tiers",
    "recompute_tier",
    "retier_after_edit",
    "record_view",
    "refresh_completeness",
    "request_assignment",
    "request_handover",
    "resolve_conflict",
    "reveal_field",
    "save_holding",
    "set_tags",
    "start_import",
    "supervises_all",
    "sync_birthday",
    "tier_for_value",
    "mark_existing_visibility",
    "update_customer",
    "validate_handover_size",
    "validate_import_file",
    "validate_import_kind",
    "visible_conflicts",
]
