"""Password policy (issue 17, SPEC §12): Django password validators configured by environment
variables (settings "security" section), the history of the last N passwords and the maximum age.

- CharacterClassesValidator: at least K of the four classes (lower case, upper case, digits, symbols);
  K = RMDESK_PASSWORD_CLASSES (0 = no composition rule, as OWASP ASVS asks; 等保 level 3: 3).
- PasswordHistoryValidator: none of the last N passwords again (RMDESK_PASSWORD_HISTORY); its
  password_changed hook (called by Django on every save after set_password) records the new hash.
- password_expired(user): the newest history row is older than RMDESK_PASSWORD_MAX_AGE_DAYS (0 = never);
  checked at login, the gate middleware then sends the user to the change page (rmdesk.org.gate).
"""

import string
from datetime import timedelta

from django.conf import settings
from django.contrib.auth.hashers import check_password
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _, ngettext

from .security_models import PasswordHistory

CLASSES = (
    ("lower", lambda c: c in string.ascii_lowercase),
    ("upper", lambda c: c in string.ascii_uppercase),
    ("digit", lambda c: c.isdigit()),
    ("symbol", lambda c: not c.isalnum()),
)


def _class_names():
    return {"lower": _("小写字母"), "upper": _("大写字母"), "digit": _("数字"), "symbol": _("符号")}


class CharacterClassesValidator:
    """At least `min_classes` of lower case, upper case, digits and symbols (等保 complexity)."""

    def __init__(self, min_classes=0):
        self.min_classes = max(0, min(int(min_classes), len(CLASSES)))

    def validate(self, password, user=None):
        if not self.min_classes:
            return
        found = sum(1 for _name, test in CLASSES if any(test(c) for c in password))
        if found < self.min_classes:
            raise ValidationError(self.get_help_text(), code="password_too_simple")

    def get_help_text(self):
        names = "、".join(str(n) for n in _class_names().values())
        return ngettext(
            "密码须至少包含%(n)d类字符（%(names)s）。",
            "密码须至少包含%(n)d类字符（%(names)s）。",
            self.min_classes,
        ) % {"n": self.min_classes, "names": names}


class PasswordHistoryValidator:
    """Not one of the user's last `count` passwords; records each new one (password_changed)."""

    def __init__(self, count=0):
        self.count = max(0, int(count))

    def validate(self, password, user=None):
        if not self.count or user is None or not user.pk:
            return
        for encoded in recent_hashes(user, self.count):
            if check_password(password, encoded):
                raise ValidationError(
                    ngettext(
                        "不能使用最近%(n)d次用过的密码。",
                        "不能使用最近%(n)d次用过的密码。",
                        self.count,
                    )
                    % {"n": self.count},
                    code="password_reused",
                )

    def password_changed(self, password, user=None):
        if user is None or not user.pk:
            return
        PasswordHistory.objects.create(user=user, encoded=user.password)
        keep = max(self.count, 1)  # the newest row also dates the password (max age)
        rows = PasswordHistory.objects.filter(user=user).order_by("-created_at", "-id")
        stale = list(rows.values_list("id", flat=True)[keep:])
        if stale:
            PasswordHistory.objects.filter(id__in=stale).delete()

    def get_help_text(self):
        if not self.count:
            return ""
        return ngettext("不能使用最近%(n)d次用过的密码。", "不能使用最近%(n)d次用过的密码。", self.count) % {
            "n": self.count
        }


def recent_hashes(user, count):
    return list(
        PasswordHistory.objects.filter(user=user)
        .order_by("-created_at", "-id")
        .values_list("encoded", flat=True)[:count]
    )


def password_changed_at(user):
    """When the password was last set: the newest history row, else when the account was created."""
    last = PasswordHistory.objects.filter(user=user).order_by("-created_at").values_list("created_at", flat=True)
    return last.first() or user.date_joined


def password_expired(user, now=None) -> bool:
    days = int(getattr(settings, "RMDESK_PASSWORD_MAX_AGE_DAYS", 0) or 0)
    if days <= 0 or not user.has_usable_password():
        return False
    return password_changed_at(user) < (now or timezone.now()) - timedelta(days=days)
