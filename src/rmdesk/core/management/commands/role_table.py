"""Print the role × action table (docs/roles.md) from the business actions themselves, so the document
cannot drift from what the services enforce (SPEC §1 roles; docs/decisions.md 24).

    python manage.py role_table > docs/roles-table.md   # or compare: tests/core/test_role_actions.py
"""

from django.core.management.base import BaseCommand

from rmdesk.core.actions import load_all_actions, role_table


class Command(BaseCommand):
    help = "Print the role × action table (Markdown) from the business actions' declared roles."

    def handle(self, *args, **options):
        load_all_actions()
        self.stdout.write(role_table())
