"""Settings of the test suite (pytest-django's DJANGO_SETTINGS_MODULE in pyproject.toml).

The production and development settings (rmdesk.settings) with what tests need changed; the
database is still chosen by DATABASE_URL, so the same suite runs on SQLite and PostgreSQL.
"""

import os

from rmdesk.settings import *  # noqa: F403
from rmdesk.settings import DATABASES, PASSWORD_HASHERS, TASK_QUEUES

# Argon2 is the production hasher; tests create hundreds of users, so they hash with a fast one
# first (the others stay listed, so stored Argon2 hashes still verify).
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher", *PASSWORD_HASHERS]

# Mail stays in memory (django.core.mail.outbox), whatever RMDESK_EMAIL_BACKEND says.
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"

# Tasks run at once, inside the request or test that enqueues them (no worker process in tests).
TASKS = {
    "default": {
        "BACKEND": os.environ.get("RMDESK_TASKS_BACKEND", "django_tasks.backends.immediate.ImmediateBackend"),
        "QUEUES": TASK_QUEUES,
    }
}

# No persistent connections: tests on PostgreSQL open and drop the test database per run.
DATABASES = {**DATABASES, "default": {**DATABASES["default"], "CONN_MAX_AGE": 0}}

# Channel deliveries are planned whenever a channel is on: no remembered "no channel" between tests.
RMDESK_CHANNEL_CACHE_SECONDS = 0
RMDESK_HOME_CACHE_SECONDS = 0  # tests that need the home cache turn it on themselves

# --- security (issue 17) ---
# Nobody must use two-factor login unless a test turns it on (the suite logs in with force_login);
# the API documents stay public for the schema tests (tests/org/test_security_* check both ways).
RMDESK_OTP_REQUIRED_ROLES = []
RMDESK_API_DOCS_PUBLIC = True

# --- audit (issues 17, 18) ---
# A fixed test key (no var/audit.key written by tests); read events sealed into the chain inside the
# request, so tests that query AuditEvent right after a view find it; no checkpoint files shared
# between tests whose databases are rolled back (the audit tests turn them on in a temp directory).
RMDESK_AUDIT_KEY = "rmdesk-test-audit-key"
RMDESK_AUDIT_SEAL_SYNC = True
RMDESK_AUDIT_CHECKPOINTS = False
