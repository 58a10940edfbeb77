"""Django settings for RM Desk.

Embedded default: SQLite (WAL) in var/, no other server, DEBUG off (RMDESK_DEBUG=1 turns it on for
development). Production: set DATABASE_URL to a PostgreSQL URL, RMDESK_SECRET_KEY,
RMDESK_ALLOWED_HOSTS and, behind TLS, RMDESK_HTTPS=1 (secure cookies) (SPEC §12).
The test suite runs on rmdesk.settings_test, which starts from these.
"""

import os
from datetime import timedelta
from pathlib import Path

import dj_database_url

BASE_DIR = Path(__file__).resolve().parent.parent.parent
VAR_DIR = Path(os.environ.get("RMDESK_VAR_DIR", BASE_DIR / "var"))
VAR_DIR.mkdir(parents=True, exist_ok=True)

# SECRET_KEY: set in the "security" section below (RMDESK_SECRET_KEY, or var/secret_key when embedded).
# DEBUG only when asked for: the embedded default (`make run`) serves the Chinese error pages, not
# Django's debug page with every URL pattern (docs/decisions.md).
DEBUG = os.environ.get("RMDESK_DEBUG", "0") == "1"
# Served over TLS (directly or behind a proxy that terminates it): cookies are then sent only over
# https. Off by default, so logging in over plain http on 127.0.0.1 works.
HTTPS = os.environ.get("RMDESK_HTTPS", "0") == "1"
ALLOWED_HOSTS = [
    h.strip()
    for h in os.environ.get("RMDESK_ALLOWED_HOSTS", "127.0.0.1,localhost,[::1],testserver").split(",")
    if h.strip()
]
CSRF_TRUSTED_ORIGINS = [o for o in os.environ.get("RMDESK_CSRF_TRUSTED_ORIGINS", "").split(",") if o]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_htmx",
    "treebeard",
    "axes",
    "csp",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "ninja",  # its own copy of Swagger UI for /api/docs (no CDN, no inline script: CSP)
    "django_tasks",
    "django_tasks_db",
    # RM Desk domain apps, one per SPEC area (ARCHITECTURE.md "Layout").
    "rmdesk.core",
    "rmdesk.org",
    "rmdesk.customers",
    "rmdesk.work",
    "rmdesk.service",
    "rmdesk.sales",
    "rmdesk.credit",
    "rmdesk.contracts",
    "rmdesk.compliance",
    "rmdesk.people",
    "rmdesk.performance",
    "rmdesk.analytics",
    "rmdesk.packs",  # industry packs: loadable configuration (docs/decisions.md 51)
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "rmdesk.org.locale_middleware.ChineseFirstLocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "rmdesk.org.gate.SecurityGateMiddleware",
    "rmdesk.core.middleware.RobustInputMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "axes.middleware.AxesMiddleware",
    "rmdesk.org.middleware.AuditContextMiddleware",
]

ROOT_URLCONF = "rmdesk.urls"
WSGI_APPLICATION = "rmdesk.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "src" / "rmdesk" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
                "rmdesk.org.context_processors.shell",
                "rmdesk.packs.context_processors.pack_words",  # the pack's words (客户 / 用户 / 零售户)
            ],
        },
    },
]

# --- database -------------------------------------------------------------------------------
_sqlite_path = VAR_DIR / "rmdesk.sqlite3"
DATABASES = {
    "default": dj_database_url.config(env="DATABASE_URL", default=f"sqlite:///{_sqlite_path}", conn_max_age=60)
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["OPTIONS"] = {
        "init_command": (
            "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=5000;"
            " PRAGMA foreign_keys=ON; PRAGMA optimize=0x10002;"
        ),
        "transaction_mode": "IMMEDIATE",
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- auth -----------------------------------------------------------------------------------
AUTH_USER_MODEL = "org.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "rmdesk.core.auth.TeamAndUnitBackend",  # Django's ModelBackend, reading team and unit with the user (issue 18)
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 8}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"
SESSION_COOKIE_AGE = int(os.environ.get("RMDESK_SESSION_SECONDS", 8 * 3600))
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_SAVE_EVERY_REQUEST = False  # idle expiry without a write per request: rmdesk.org.gate (issue 18)
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = HTTPS
CSRF_COOKIE_SECURE = HTTPS

# django-axes: lock the username out after 5 failures for 30 minutes.
AXES_FAILURE_LIMIT = 5
AXES_COOLOFF_TIME = timedelta(minutes=30)
AXES_LOCKOUT_PARAMETERS = ["username"]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_VERBOSE = False

API_TOKEN_DAYS = int(os.environ.get("RMDESK_API_TOKEN_DAYS", 30))
# --- security (issue 17) ------------------------------------------------------------------------
# OWASP ASVS L2 / 等保 level 3 (docs/decisions.md, docs/operations.md "Security"). Every value below
# can be set by an environment variable; the defaults follow ASVS and are listed in the README.
# Production is RMDESK_ENV=production (the deploy/ units and compose file set it): it refuses to start
# without RMDESK_SECRET_KEY. Anything else is the embedded default (`make run`, development, tests):
# the key is generated once into var/secret_key (mode 0600) and reused.
RMDESK_ENV = os.environ.get("RMDESK_ENV", "embedded").strip().lower()
PRODUCTION = RMDESK_ENV == "production"


def _secret_key() -> str:
    key = os.environ.get("RMDESK_SECRET_KEY", "").strip()
    if key:
        return key
    if PRODUCTION:
        from django.core.exceptions import ImproperlyConfigured

        raise ImproperlyConfigured(
            "RMDESK_ENV=production: set RMDESK_SECRET_KEY (50+ random characters) / 生产环境必须设置 RMDESK_SECRET_KEY"
        )
    import secrets

    path = VAR_DIR / "secret_key"
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_text().strip()
    with os.fdopen(fd, "w") as f:
        f.write(secrets.token_urlsafe(50))
    return path.read_text().strip()


SECRET_KEY = _secret_key()

# Content-Security-Policy (django-csp): scripts only from this site, never inline; styles from this
# site plus inline style attributes (decision in docs/decisions.md: they cannot run script).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'", "'unsafe-inline'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
# HSTS and the https redirect only when served over TLS (RMDESK_HTTPS=1). Behind nginx the proxy
# terminates TLS and sets X-Forwarded-Proto (deploy/nginx).
if HTTPS:
    SECURE_HSTS_SECONDS = int(os.environ.get("RMDESK_HSTS_SECONDS", 31536000))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = os.environ.get("RMDESK_HSTS_SUBDOMAINS", "1") == "1"
    SECURE_HSTS_PRELOAD = os.environ.get("RMDESK_HSTS_PRELOAD", "1") == "1"
    SECURE_SSL_REDIRECT = os.environ.get("RMDESK_SSL_REDIRECT", "1") == "1"
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$"]

# Two-factor login (django-otp): required for these role codes (comma separated; "" = nobody),
# available to everyone from the account security page.
RMDESK_OTP_REQUIRED_ROLES = [
    r.strip()
    for r in os.environ.get("RMDESK_OTP_REQUIRED_ROLES", "admin,compliance,branch_manager").split(",")
    if r.strip()
]
OTP_TOTP_ISSUER = os.environ.get("RMDESK_OTP_ISSUER", "RM Desk")

# Password policy. Defaults = ASVS L2 (length >= 12, no composition rule, no forced rotation);
# 等保 level 3: RMDESK_PASSWORD_CLASSES=3 RMDESK_PASSWORD_MAX_AGE_DAYS=90 RMDESK_PASSWORD_HISTORY=5.
RMDESK_PASSWORD_MIN_LENGTH = int(os.environ.get("RMDESK_PASSWORD_MIN_LENGTH", 12))
RMDESK_PASSWORD_CLASSES = int(os.environ.get("RMDESK_PASSWORD_CLASSES", 0))
RMDESK_PASSWORD_MAX_AGE_DAYS = int(os.environ.get("RMDESK_PASSWORD_MAX_AGE_DAYS", 0))
RMDESK_PASSWORD_HISTORY = int(os.environ.get("RMDESK_PASSWORD_HISTORY", 5))
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": RMDESK_PASSWORD_MIN_LENGTH},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
    {"NAME": "rmdesk.org.passwords.CharacterClassesValidator", "OPTIONS": {"min_classes": RMDESK_PASSWORD_CLASSES}},
    {"NAME": "rmdesk.org.passwords.PasswordHistoryValidator", "OPTIONS": {"count": RMDESK_PASSWORD_HISTORY}},
]

# Sessions: idle and absolute timeouts (rmdesk.org.gate); the session row lives as long as the
# absolute timeout. RMDESK_SESSION_SECONDS is the older name of the absolute timeout.
RMDESK_SESSION_IDLE_SECONDS = int(os.environ.get("RMDESK_SESSION_IDLE_SECONDS", 30 * 60))
RMDESK_SESSION_ABSOLUTE_SECONDS = int(
    os.environ.get("RMDESK_SESSION_ABSOLUTE_SECONDS", os.environ.get("RMDESK_SESSION_SECONDS", 8 * 3600))
)
SESSION_COOKIE_AGE = RMDESK_SESSION_ABSOLUTE_SECONDS
SESSION_COOKIE_SAMESITE = "Lax"

# /api/docs and /api/openapi.json: public only with DEBUG (or RMDESK_API_DOCS_PUBLIC=1), else login.
RMDESK_API_DOCS_PUBLIC = os.environ.get("RMDESK_API_DOCS_PUBLIC", "1" if DEBUG else "0") == "1"

# --- i18n -----------------------------------------------------------------------------------
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "src" / "rmdesk" / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

# --- static ---------------------------------------------------------------------------------
STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
STATIC_ROOT.mkdir(exist_ok=True)
STATICFILES_DIRS = [BASE_DIR / "src" / "rmdesk" / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
MEDIA_ROOT = VAR_DIR / "media"
MEDIA_URL = "media/"
# WhiteNoise serves static files whatever DEBUG says: from the finders (no collectstatic needed for
# `make run`, which still collects them), and from STATIC_ROOT after `manage.py collectstatic`.
WHITENOISE_USE_FINDERS = True

# --- background work ------------------------------------------------------------------------
TASKS = {
    "default": {
        "BACKEND": os.environ.get("RMDESK_TASKS_BACKEND", "django_tasks_db.backend.DatabaseBackend"),
    }
}

# --- e-mail ---------------------------------------------------------------------------------
# Embedded default (no SMTP host configured): mails are files in var/mail/ (RMDESK_EMAIL_FILE_PATH);
# SMTP as soon as RMDESK_EMAIL_HOST is set; RMDESK_EMAIL_BACKEND overrides both.
EMAIL_BACKEND = os.environ.get(
    "RMDESK_EMAIL_BACKEND",
    "django.core.mail.backends.smtp.EmailBackend"
    if os.environ.get("RMDESK_EMAIL_HOST")
    else "django.core.mail.backends.filebased.EmailBackend",
)
EMAIL_FILE_PATH = Path(os.environ.get("RMDESK_EMAIL_FILE_PATH") or VAR_DIR / "mail")
EMAIL_HOST = os.environ.get("RMDESK_EMAIL_HOST", "localhost")
EMAIL_PORT = int(os.environ.get("RMDESK_EMAIL_PORT", 25))
DEFAULT_FROM_EMAIL = os.environ.get("RMDESK_FROM_EMAIL", "rmdesk@localhost")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": "WARNING"},
}

# Lock-out is per username on purpose: bank branches sit behind shared NAT addresses, so locking an
# address would lock a whole branch out after one person's typos (docs/decisions.md).
SILENCED_SYSTEM_CHECKS = ["axes.W006"]

# Working hours of a working day, for SLA timers in working time (SPEC §3, §5).
RMDESK_WORK_HOURS = (os.environ.get("RMDESK_WORK_START", "09:00"), os.environ.get("RMDESK_WORK_END", "17:00"))

# --- scale-out (issue 17) -------------------------------------------------------------------
# Several app servers, Redis, a read replica and pooling (docs/operations.md "Scaling out"). Every
# piece is off until its variable is set, so the embedded default stays a single SQLite file.
# Named task queues: every backend serves all of them (db_worker --queue-name '*' in the embedded default).
TASK_QUEUES = ["default", "imports", "notifications", "periodic", "reports"]
REDIS_URL = os.environ.get("RMDESK_REDIS_URL", "")
_TASK_BACKENDS = {
    "db": "django_tasks_db.backend.DatabaseBackend",
    "rq": "django_tasks_rq.RQBackend",
    "immediate": "django_tasks.backends.immediate.ImmediateBackend",
}
_tasks_choice = os.environ.get("RMDESK_TASKS_BACKEND") or ("rq" if REDIS_URL else "db")
TASKS["default"]["BACKEND"] = _TASK_BACKENDS.get(_tasks_choice, _tasks_choice)
TASKS["default"]["QUEUES"] = TASK_QUEUES
# django-rq holds the Redis connection of every queue; workers: `manage.py rqworker --job-class
# django_tasks_rq.Job imports notifications periodic reports default`.
RQ_QUEUES = {name: {"URL": REDIS_URL or "redis://127.0.0.1:6379/0", "DEFAULT_TIMEOUT": 3600} for name in TASK_QUEUES}
if TASKS["default"]["BACKEND"] == _TASK_BACKENDS["rq"]:
    INSTALLED_APPS += ["django_rq", "django_tasks_rq"]
# Any node serves any request: cache and sessions shared through Redis (sessions also in the database).
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "rmdesk",
        }
    }
    SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
# The scheduler's advisory lock needs a session of its own on PostgreSQL itself, not through
# pgbouncer's transaction pooling: RMDESK_DB_DIRECT_URL (default: DATABASE_URL).
DB_DIRECT_URL = os.environ.get("RMDESK_DB_DIRECT_URL", "")
# Background workers (RMDESK_DB_SESSIONS=1, set by deploy/systemd/rmdesk-worker@.service) connect to PostgreSQL
# itself when a direct URL is given: an import stages its file in TEMPORARY tables across several transactions
# (validation, then the write), which a transaction pooler would hand to different server sessions. Workers are
# few, so their connections do not need the pooler (decision 100).
_DEFAULT_DIRECT = os.environ.get("RMDESK_DB_SESSIONS", "0") == "1" and bool(DB_DIRECT_URL)
if _DEFAULT_DIRECT:
    DATABASES["default"] = dj_database_url.parse(DB_DIRECT_URL, conn_max_age=60)
# Pooling: pgbouncer in transaction mode in front of PostgreSQL (RMDESK_PGBOUNCER=1). A transaction
# pooler cannot keep a server-side cursor or a prepared statement across transactions, so Django uses
# client-side cursors and psycopg never prepares (decision 55).
if (
    os.environ.get("RMDESK_PGBOUNCER", "0") == "1"
    and not _DEFAULT_DIRECT
    and DATABASES["default"]["ENGINE"].endswith("postgresql")
):
    DATABASES["default"]["DISABLE_SERVER_SIDE_CURSORS"] = True
    DATABASES["default"].setdefault("OPTIONS", {})["prepare_threshold"] = None
# Optional streaming replica: reports and dashboards read from it, a user who just wrote reads the
# primary for RMDESK_REPLICA_PIN_SECONDS (rmdesk.core.db_router).
if os.environ.get("DATABASE_REPLICA_URL"):
    DATABASES["replica"] = {
        **dj_database_url.parse(os.environ["DATABASE_REPLICA_URL"], conn_max_age=60),
        "TEST": {"MIRROR": "default"},
    }
    if os.environ.get("RMDESK_PGBOUNCER", "0") == "1":
        DATABASES["replica"]["DISABLE_SERVER_SIDE_CURSORS"] = True
        DATABASES["replica"].setdefault("OPTIONS", {})["prepare_threshold"] = None
DATABASE_ROUTERS = ["rmdesk.core.db_router.PrimaryReplicaRouter"]
RMDESK_REPLICA_PATHS = [
    p.strip() for p in os.environ.get("RMDESK_REPLICA_PATHS", "/analytics/,/api/analytics/").split(",") if p.strip()
]
RMDESK_REPLICA_PIN_SECONDS = int(os.environ.get("RMDESK_REPLICA_PIN_SECONDS", 15))
# The home page's panels are drawn once per person and reused for this many seconds (0 = never), unless the
# person wrote within RMDESK_REPLICA_PIN_SECONDS or asks for ?refresh=1 (issue 18; docs/decisions.md).
RMDESK_HOME_CACHE_SECONDS = int(os.environ.get("RMDESK_HOME_CACHE_SECONDS", 60))
# The analytics dashboards' figures are reused this many seconds per person, role, language and login.
RMDESK_DASHBOARD_CACHE_SECONDS = int(os.environ.get("RMDESK_DASHBOARD_CACHE_SECONDS", 60))
MIDDLEWARE += ["rmdesk.core.db_router.ReplicaPinMiddleware"]
if os.environ.get("RMDESK_IMPORT_STALL_MINUTES"):
    RMDESK_IMPORT_STALL_MINUTES = float(os.environ["RMDESK_IMPORT_STALL_MINUTES"])
# a clean customers file's new archives screened in SQL and written with INSERT … SELECT (decision 92)
RMDESK_IMPORT_FAST_PATH = os.environ.get("RMDESK_IMPORT_FAST_PATH", "1") != "0"
# The periodic jobs' leader (manage.py run_scheduler) keeps their last starts here (and in the shared
# cache when Redis is configured), so a standby that takes over does not rerun today's daily jobs.
RMDESK_SCHEDULER_STATE = Path(os.environ.get("RMDESK_SCHEDULER_STATE") or VAR_DIR / "scheduler-cluster.json")

# --- audit (issues 17, 18) ---
# The audit chain's HMAC key lives outside the database: RMDESK_AUDIT_KEY (the key) or
# RMDESK_AUDIT_KEY_FILE (a file holding it). With neither, the embedded default creates
# var/audit.key (mode 0600) on first use; production sets RMDESK_AUDIT_KEY_REQUIRED=1 and then
# refuses to start without a key (docs/operations.md, key handling).
RMDESK_AUDIT_KEY = os.environ.get("RMDESK_AUDIT_KEY", "")
RMDESK_AUDIT_KEY_FILE = os.environ.get("RMDESK_AUDIT_KEY_FILE", "")
if os.environ.get("RMDESK_AUDIT_KEY_REQUIRED", "0") == "1" and not (RMDESK_AUDIT_KEY or RMDESK_AUDIT_KEY_FILE):
    from django.core.exceptions import ImproperlyConfigured

    raise ImproperlyConfigured("RMDESK_AUDIT_KEY_REQUIRED=1: set RMDESK_AUDIT_KEY or RMDESK_AUDIT_KEY_FILE")
# Signed checkpoints of the chain's head (and the archive) are appended here, outside the database.
RMDESK_AUDIT_CHECKPOINT_DIR = Path(os.environ.get("RMDESK_AUDIT_CHECKPOINT_DIR") or VAR_DIR / "audit")
RMDESK_AUDIT_CHECKPOINTS = True
RMDESK_AUDIT_ARCHIVE_DIR = Path(os.environ.get("RMDESK_AUDIT_ARCHIVE_DIR") or RMDESK_AUDIT_CHECKPOINT_DIR / "archive")
# Events stay in the hot table at least this long; archive_audit moves older ones to signed files,
# never deletes them. 网络安全法 asks for at least six months.
RMDESK_AUDIT_RETENTION_DAYS = int(os.environ.get("RMDESK_AUDIT_RETENTION_DAYS", 366))
if RMDESK_AUDIT_RETENTION_DAYS < 183:
    from django.core.exceptions import ImproperlyConfigured

    raise ImproperlyConfigured("RMDESK_AUDIT_RETENTION_DAYS must be at least 183 (six months, 网络安全法)")
# Read events (views, reveals, exports) are written unchained and sealed by `seal_audit --loop`
# every RMDESK_AUDIT_SEAL_INTERVAL seconds; RMDESK_AUDIT_SEAL_SYNC=1 seals them in the request instead.
RMDESK_AUDIT_SEAL_SYNC = os.environ.get("RMDESK_AUDIT_SEAL_SYNC", "0") == "1"
RMDESK_AUDIT_SEAL_INTERVAL = float(os.environ.get("RMDESK_AUDIT_SEAL_INTERVAL", 2))
RMDESK_AUDIT_CHECKPOINT_INTERVAL = float(os.environ.get("RMDESK_AUDIT_CHECKPOINT_INTERVAL", 300))
# Benchmark only (item 11): RMDESK_AUDIT_READS=0 records no read event at all.
RMDESK_AUDIT_READS = os.environ.get("RMDESK_AUDIT_READS", "1") != "0"
RMDESK_BACKUP_DIR = Path(os.environ.get("RMDESK_BACKUP_DIR") or VAR_DIR / "backups")
