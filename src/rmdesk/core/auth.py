"""The session's person, read with what every page asks of them (issue 18).

Django's ModelBackend reads the signed-in user alone; the shell then reads their team (the unit shown in the
header) and the scope functions their unit (`home_unit`, subtree scope): two more queries on every page. This
backend reads both in the same query. Everything else (passwords, permissions, `user_can_authenticate`) is
Django's.
"""

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend


class TeamAndUnitBackend(ModelBackend):
    def get_user(self, user_id):
        model = get_user_model()
        try:
            user = model._default_manager.select_related("team", "unit").get(pk=user_id)
        except model.DoesNotExist:
            return None
        return user if self.user_can_authenticate(user) else None
