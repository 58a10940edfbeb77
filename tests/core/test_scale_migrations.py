"""Migrations safe to run while the old version still serves (issue 17; docs/operations.md "Upgrade").

Expand/contract: a release only adds (tables, nullable columns or columns with a database default,
indexes); removing, renaming or tightening comes in a later release, once no running code uses the
old shape. This test reads every migration after the baseline below (the migrations that existed when
the rule was introduced) and fails on a destructive operation — RemoveField, DeleteModel, RenameField,
RenameModel, AddField of a NOT NULL column without a database default (`db_default`: the old code's inserts
do not name the column), or AlterField that makes a nullable column NOT NULL without a default — unless the
migration says why it is safe with a class attribute `expand_contract_ok = "<reason>"` (the contract
step of an earlier expand).
"""

from django.db import migrations
from django.db.migrations.loader import MigrationLoader

BASELINE = {
    ("analytics", "0001_initial"),
    ("compliance", "0001_initial"),
    ("compliance", "0002_seed_defaults"),
    ("contracts", "0001_initial"),
    ("contracts", "0002_seed_defaults"),
    ("contracts", "0003_contract_opportunity"),
    ("core", "0001_initial"),
    ("core", "0002_seed_one_step_chains"),
    ("core", "0003_calendar_year"),
    ("core", "0004_notice_channels_calendar_feed"),
    ("credit", "0001_initial"),
    ("credit", "0002_seed_defaults"),
    ("credit", "0003_credit_rating"),
    ("credit", "0004_visits_submission_sla_supervisor_line"),
    ("customers", "0001_initial"),
    ("customers", "0002_initial"),
    ("customers", "0003_archive_details"),
    ("customers", "0004_seed_bank_tiers_products"),
    ("customers", "0005_tier_change_at_index"),
    ("customers", "0006_drop_redundant_prefix_indexes"),
    ("customers", "0007_merged_into_no_index"),
    ("customers", "0008_holding_matures_on"),
    ("customers", "0009_kind_tier_sets_id_type_import_progress"),
    ("customers", "0010_product_catalogue_risk_assessed_on"),
    ("org", "0001_initial"),
    ("org", "0002_models_moved_to_core"),
    ("people", "0001_initial"),
    ("people", "0002_seed_defaults"),
    ("performance", "0001_initial"),
    ("performance", "0002_seed_defaults"),
    ("sales", "0001_initial"),
    ("sales", "0002_seed_defaults"),
    ("service", "0001_initial"),
    ("service", "0002_seed_defaults"),
    ("service", "0003_top_tier_churn_targets"),
    ("service", "0004_response_version"),
    ("work", "0001_initial"),
    ("work", "0002_notification"),
    ("work", "0003_daily_work"),
    ("work", "0004_seed_defaults"),
    ("work", "0005_cadence_overdue_index"),
    ("work", "0006_contact_counters"),
    ("work", "0007_models_moved_to_core"),
    ("work", "0008_cadence_per_customer_kind"),
}

DESTRUCTIVE = (migrations.RemoveField, migrations.DeleteModel, migrations.RenameField, migrations.RenameModel)


def destructive_operations(loader, key):
    """Descriptions of the destructive operations of one migration."""
    migration = loader.graph.nodes[key]
    state = loader.project_state(key, at_end=False)
    found = []
    for op in migration.operations:
        if isinstance(op, DESTRUCTIVE):
            found.append(f"{type(op).__name__} {op.describe()}")
        elif isinstance(op, migrations.AddField) and _needs_db_default(op.field):
            # the old code's INSERTs do not name the new column: only a default in the database fills it
            # (Django's `default=` is applied by the new code and dropped from the table after the migration)
            found.append(f"AddField {op.model_name}.{op.name} NOT NULL without db_default")
        elif isinstance(op, migrations.AlterField):
            model_key = (key[0], op.model_name_lower)
            old = state.models[model_key].fields.get(op.name) if model_key in state.models else None
            new = op.field
            if old is not None and old.null and not new.null and not new.has_default() and not new.has_db_default():
                found.append(f"AlterField {op.model_name}.{op.name} to NOT NULL without a default")
        state = state.clone()
        op.state_forwards(key[0], state)
    return found


def _needs_db_default(field) -> bool:
    return not (field.null or field.many_to_many or field.has_db_default() or field.primary_key)


def _rmdesk_migrations(loader):
    return sorted(k for k, m in loader.graph.nodes.items() if type(m).__module__.startswith("rmdesk."))


def test_new_migrations_are_expand_only():
    loader = MigrationLoader(None, ignore_no_migrations=True)
    offenders = []
    for key in _rmdesk_migrations(loader):
        if key in BASELINE:
            continue
        if getattr(loader.graph.nodes[key], "expand_contract_ok", ""):
            continue
        for what in destructive_operations(loader, key):
            offenders.append(f"{key[0]}.{key[1]}: {what}")
    assert not offenders, "destructive migrations (see docs/operations.md, expand/contract):\n" + "\n".join(offenders)


def test_the_check_finds_destructive_operations():
    """The detector itself: it reports each kind the rule forbids, and not a safe AlterField."""
    from django.db import models

    loader = MigrationLoader(None, ignore_no_migrations=True)
    target = ("org", "zz_test_destructive")

    class Migration(migrations.Migration):
        operations = [
            migrations.AddField("orgunit", "zz_note", models.CharField(max_length=5, null=True)),
            migrations.AlterField("orgunit", "zz_note", models.CharField(max_length=5)),
            migrations.AlterField("orgunit", "code", models.CharField(max_length=40, default="x")),
            migrations.RemoveField("orgunit", "code"),
            migrations.RenameModel("orgunit", "orgunit2"),
        ]

    last = max(k for k in loader.graph.nodes if k[0] == "org")
    Migration.dependencies = [last]
    loader.graph.add_node(target, Migration(target[1], target[0]))
    loader.graph.add_dependency(target, target, last)
    found = destructive_operations(loader, target)
    assert [f.split()[0] for f in found] == ["AlterField", "RemoveField", "RenameModel"]
    assert "zz_note to NOT NULL" in found[0]


def test_baseline_lists_existing_migrations():
    loader = MigrationLoader(None, ignore_no_migrations=True)
    assert BASELINE <= set(_rmdesk_migrations(loader))
