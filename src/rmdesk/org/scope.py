"""Visibility of the organisation itself: org units and staff (SPEC §1).

The data-scope rule for business records lives in the kernel (`rmdesk.core.scope`); this module
only says which parts of the org tree and which staff records a person may look at.
"""

from django.db.models import Q

from rmdesk.core.roles import is_admin

from .models import OrgUnit, User


def home_unit(user):
    """The unit whose subtree frames what the user sees of the organisation."""
    return user.unit or user.team


def visible_units(user):
    """Org units a user may look at: administrators all, others their home unit's subtree."""
    if not getattr(user, "is_authenticated", False):
        return OrgUnit.objects.none()
    if is_admin(user):
        return OrgUnit.objects.all()
    unit = home_unit(user)
    if unit is None:
        return OrgUnit.objects.none()
    return OrgUnit.objects.filter(path__startswith=unit.path)


def visible_staff(user):
    """Staff a user may look at: those whose unit lies in the user's visible units."""
    if not getattr(user, "is_authenticated", False):
        return User.objects.none()
    if is_admin(user):
        return User.objects.all()
    unit = home_unit(user)
    if unit is None:
        return User.objects.filter(pk=user.pk)
    return User.objects.filter(Q(unit__path__startswith=unit.path) | Q(pk=user.pk))
