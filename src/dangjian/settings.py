"""Settings, read from the environment so that the same code runs embedded and in production.

Every environment variable the platform reads (README.md lists the same; a test checks both):

Storage and processes:
  DATABASE_URL                            sqlite:///path or postgres://user:pass@host:5432/db
                                          (PostgreSQL 15+); default: SQLite var/dangjian.sqlite3
                                          (WAL mode)
  DANGJIAN_CONN_MAX_AGE                   seconds a database connection is kept between requests
  DANGJIAN_PG_PREPARE                     0: no server-side prepared statements on PostgreSQL
                                          (PostgreSQL 60, SQLite 600)
  REDIS_URL                               redis://host:6379/0 for the job queue (Huey), the
                                          shared cache and sessions read through it; unset =
                                          Huey's SQLite storage under var/, per-process cache
  DANGJIAN_FINDINGS_FOLLOW                1 (default): findings follow each act; 0: scans only
  DANGJIAN_VAR_DIR                        where the SQLite files, generated keys and uploads live
                                          (default: var/ in the checkout)
  DANGJIAN_BIND                           `dangjian serve`: the address to listen on
                                          (127.0.0.1:8000)
  DANGJIAN_WEB_WORKERS                    `dangjian serve`: the number of gunicorn workers (3)
  DANGJIAN_LOG_LEVEL                      the root log level (WARNING)

Keys and HTTP:
  DANGJIAN_SECRET_KEY                     Django's secret key; unset = generated once into
                                          var/secret_key
  DANGJIAN_FIELD_KEY                      the key encrypting ID numbers and phones (base64 of 32
                                          bytes, or a long passphrase); unset = generated into
                                          var/field_key. Back it up: without it the encrypted data
                                          cannot be read
  DANGJIAN_CRYPTO                         aes (default): AES-256-GCM field encryption, HMAC-SHA256
                                          blind indexes and audit chain; sm: the 国密 algorithms,
                                          SM4-GCM and HMAC-SM3. After changing it, run `dangjian
                                          reencrypt` (docs/security.md)
  DEBUG                                   1 only for development
  DANGJIAN_ALLOWED_HOSTS                  comma-separated host names (127.0.0.1,localhost)
  DANGJIAN_CSRF_TRUSTED_ORIGINS           comma-separated origins (https://host) allowed to post
                                          forms behind a proxy
  DANGJIAN_HTTPS                          1 behind TLS: secure cookies, HSTS, HTTPS redirect
  DANGJIAN_TRUSTED_PROXIES                comma-separated addresses of reverse proxies whose
                                          X-Forwarded-For is believed (127.0.0.1)
  DANGJIAN_PASSWORD_MAX_AGE_DAYS          days after which a password must be changed (90)
  DANGJIAN_SITE_URL                       the platform's address as users reach it, put in messages
                                          and QR codes (unset: the address of the requests)
  DANGJIAN_MAX_REQUEST_MB                 the largest request body a signed-in user may send, in
                                          MB (520: learning media up to 500 MB); larger answers 413
  DANGJIAN_AUDIT_SEAL_FILE                the append-only file receiving each signed audit seal,
                                          outside the database (var/audit-seals.log); keep it on
                                          other storage or ship it off the host
  DANGJIAN_SYSLOG_URL                     where audit and security events are also sent, as RFC
                                          5424 lines: tcp://host:514 or tls://host:6514 (unset:
                                          not sent)
  DANGJIAN_SYSLOG_CA                      the CA file verifying a tls:// collector (system CAs)
  DANGJIAN_LLM_URL                        the assistant's chat model, an OpenAI-compatible server on
                                          your network (http://host:8001/v1); unset = answers are
                                          the retrieved passages themselves
  DANGJIAN_LLM_MODEL                      the chat model's name (default)
  DANGJIAN_EMBED_URL                      an embeddings server (http://host:8002/v1) for hybrid
                                          ranking; unset = BM25 only
  DANGJIAN_EMBED_MODEL                    the embeddings model's name (default)
  DANGJIAN_MODEL_KEY                      a bearer token the model servers want (none)
  DANGJIAN_MODEL_TIMEOUT                  seconds before a model call is given up and the answer
                                          made without it (8)
  DANGJIAN_ASR_URL                        a speech-recognition server (http://host:8003/v1) for
                                          the assistant's hold-to-talk; unset = no voice input
  DANGJIAN_ASR_MODEL                      its model name (default)
  DANGJIAN_TTS_URL                        a speech-synthesis server (http://host:8004/v1) reading
                                          answers aloud; unset = Debian's espeak-ng if installed
  DANGJIAN_TTS_MODEL                      its model name (default)
  DANGJIAN_IMPORT_JOB_ROWS                an upload (roster, payments) of more rows than this is
                                          checked and written by a worker, with a progress page,
                                          instead of in the web request (5000)
  DANGJIAN_MAX_ANON_REQUEST_KB            the largest request body before signing in (sign-in,
                                          activation, payment callbacks), in KB (256)

Numbers the platform gives out ({year} = this year, {seq:08d} = the next number, 8 digits):
  DANGJIAN_MEMBER_NO_PATTERN              new members' numbers (M{seq:08d})
  DANGJIAN_APPLICANT_NO_PATTERN           applicants' numbers in recruitment (S{year}{seq:05d})

Documents:
  DANGJIAN_PDF_FONT                       TrueType font with Chinese glyphs embedded in PDFs
                                          (Debian's wqy-zenhei)

Reminders (email, SMS, WeChat):
  DANGJIAN_SMTP_HOST                      SMTP server for email reminders; unset = no email channel
  DANGJIAN_SMTP_PORT                      SMTP port (25)
  DANGJIAN_SMTP_USER                      SMTP user name
  DANGJIAN_SMTP_PASSWORD                  SMTP password
  DANGJIAN_SMTP_FROM                      the sender address (dangjian@localhost)
  DANGJIAN_SMTP_STARTTLS                  1 to use STARTTLS
  DANGJIAN_SMTP_SSL                       1 to use SMTP over TLS
  DANGJIAN_SMS_URL                        the SMS gateway (HTTP, HMAC-signed); unset = no SMS
  DANGJIAN_SMS_KEY_ID                     the key id sent to the SMS gateway (dangjian)
  DANGJIAN_SMS_KEY                        the key signing requests to the SMS gateway
  DANGJIAN_WECHAT_URL                     the WeChat template-message relay; unset = no WeChat
  DANGJIAN_WECHAT_KEY_ID                  the key id sent to the relay (dangjian)
  DANGJIAN_WECHAT_KEY                     the key signing requests to the relay
  DANGJIAN_WECHAT_TEMPLATE                the WeChat template id of reminders
  DANGJIAN_QUIET_HOURS                    hours without outbound messages (22-7)
  DANGJIAN_DIGEST_HOUR                    the hour of the daily digest (8)
  DANGJIAN_ESCALATE_DAYS                  days a finding stays open before it is escalated one level
                                          up (7)
  DANGJIAN_ESCALATE_LEVELS                how many levels up a finding escalates at most (2)
  DANGJIAN_NOTIFY_MAX_ATTEMPTS            attempts to deliver one message (6)
  DANGJIAN_NOTIFY_BACKOFF                 seconds before the first retry, doubled each time (60)

Party fees:
  DANGJIAN_PAYMENT_PROVIDER               sandbox (default; simulated payments) or wechat
  DANGJIAN_SANDBOX_KEY                    the key signing the sandbox's callbacks (default: the
                                          secret key)
  DANGJIAN_ORDER_TIMEOUT                  minutes before an unpaid online order is queried and
                                          closed (15)
  DANGJIAN_REMIT_PERCENT                  shares of collected fees sent upward by kind
                                          (branch:100,general_branch:100,committee:20)
  DANGJIAN_WECHATPAY_BASE_URL             WeChat Pay API v3 (https://api.mch.weixin.qq.com)
  DANGJIAN_WECHATPAY_MCHID                the merchant id
  DANGJIAN_WECHATPAY_APPID                the app id
  DANGJIAN_WECHATPAY_SERIAL_NO            the merchant certificate's serial number
  DANGJIAN_WECHATPAY_PRIVATE_KEY          path to the merchant's apiclient_key.pem
  DANGJIAN_WECHATPAY_APIV3_KEY            the API v3 key (decrypts callbacks)
  DANGJIAN_WECHATPAY_PLATFORM_PUBLIC_KEY  path to WeChat Pay's platform public key (PEM)
  DANGJIAN_WECHATPAY_PLATFORM_SERIAL      its serial number
  DANGJIAN_WECHATPAY_NOTIFY_URL           where WeChat Pay posts callbacks:
                                          https://<host>/fees/callback/wechat/

Tests:
  DANGJIAN_TESTING                        1 to run with the test settings outside pytest
  DANGJIAN_SQLITE_TEST_NAME               the SQLite file of the test database (default: in memory)
"""

from __future__ import annotations

import os
import secrets
import sys
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent
CHECKOUT_DIR = BASE_DIR.parent.parent
VAR_DIR = Path(os.environ.get("DANGJIAN_VAR_DIR", CHECKOUT_DIR / "var"))
VAR_DIR.mkdir(parents=True, exist_ok=True)

TESTING = "pytest" in sys.modules or os.environ.get("DANGJIAN_TESTING") == "1"

# findings follow each committed act (compliance.follow); off only for bulk tools that rescan after
FINDINGS_FOLLOW = os.environ.get("DANGJIAN_FINDINGS_FOLLOW", "1") == "1"
DEBUG = os.environ.get("DEBUG", "") in {"1", "true", "True", "yes"}


def _key_from_env_or_file(env_name: str, file_name: str) -> str:
    """A key from the environment, else one generated once and kept under var/ (mode 600).

    Production sets both keys in the environment (and backs them up: losing the field key
    loses every encrypted ID number and phone); a newcomer's `make demo` needs nothing.
    """
    value = os.environ.get(env_name, "")
    if value:
        return value
    path = VAR_DIR / file_name
    if not path.exists():
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(secrets.token_urlsafe(48))
        try:
            os.link(tmp, path)  # atomic: the first process to link wins, the others read its key
        except FileExistsError:
            pass
        finally:
            tmp.unlink()
    return path.read_text().strip()


SECRET_KEY = _key_from_env_or_file("DANGJIAN_SECRET_KEY", "secret_key")
FIELD_KEY = _key_from_env_or_file("DANGJIAN_FIELD_KEY", "field_key")
CRYPTO_SCHEME = os.environ.get("DANGJIAN_CRYPTO", "aes").strip().lower() or "aes"
if CRYPTO_SCHEME not in {"aes", "sm"}:
    raise ImproperlyConfigured(f"DANGJIAN_CRYPTO must be aes or sm, not {CRYPTO_SCHEME!r}")


ALLOWED_HOSTS = [
    h.strip()
    for h in os.environ.get("DANGJIAN_ALLOWED_HOSTS", "127.0.0.1,localhost,testserver").split(",")
    if h.strip()
]
CSRF_TRUSTED_ORIGINS = [
    o.strip() for o in os.environ.get("DANGJIAN_CSRF_TRUSTED_ORIGINS", "").split(",") if o.strip()
]


def _pg_prepare(on: bool) -> dict:
    """The reads compiled once (core.prepared) are prepared on the server after five runs on a
    connection, each with one plan for any values (`plan_cache_mode`, set when a connection
    opens: core.prepared.generic_plans); Django's own queries bind in the client and are never
    prepared."""
    return {"prepare_threshold": 5 if on else None}


def _database_from_url(url: str) -> dict:
    """Parse DATABASE_URL into Django's DATABASES entry (sqlite or postgres)."""
    parsed = urlparse(url)
    if parsed.scheme in {"sqlite", "sqlite3"}:
        path = unquote(parsed.path)
        if url.startswith("sqlite:////"):
            name = path
        elif path.startswith("/"):
            name = path[1:] if not Path(path).is_absolute() else path
        else:
            name = path
        return {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": name or str(VAR_DIR / "dangjian.sqlite3"),
            "OPTIONS": {
                "init_command": (
                    "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; "
                    "PRAGMA foreign_keys=ON; PRAGMA busy_timeout=10000;"
                ),
                "transaction_mode": "IMMEDIATE",
                "timeout": 20,
            },
            # a web worker keeps its connection (and the pragmas above) between requests
            "CONN_MAX_AGE": int(os.environ.get("DANGJIAN_CONN_MAX_AGE", "600")),
            "TEST": {"NAME": os.environ.get("DANGJIAN_SQLITE_TEST_NAME") or None},
        }
    if parsed.scheme in {"postgres", "postgresql", "pgsql"}:
        return {
            # Django's, with a health check that needs no round trip (core/backends/postgresql)
            "ENGINE": "dangjian.core.backends.postgresql",
            "NAME": unquote(parsed.path.lstrip("/")) or "dangjian",
            "USER": unquote(parsed.username or ""),
            "PASSWORD": unquote(parsed.password or ""),
            "HOST": parsed.hostname or "",
            "PORT": str(parsed.port or ""),
            "CONN_MAX_AGE": int(os.environ.get("DANGJIAN_CONN_MAX_AGE", "60")),
            "CONN_HEALTH_CHECKS": True,
            "OPTIONS": _pg_prepare(os.environ.get("DANGJIAN_PG_PREPARE", "1") != "0"),
        }
    raise ValueError(f"DATABASE_URL: unsupported scheme {parsed.scheme!r}")


DATABASE_URL = os.environ.get("DATABASE_URL") or f"sqlite:///{VAR_DIR / 'dangjian.sqlite3'}"
DATABASES = {"default": _database_from_url(DATABASE_URL)}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_filters",
    "treebeard",
    "django_htmx",
    "huey.contrib.djhuey",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "dangjian.core",
    "dangjian.accounts",
    "dangjian.audit",
    "dangjian.orgs",
    "dangjian.members",
    "dangjian.interchange",
    "dangjian.compliance",
    "dangjian.notify",
    "dangjian.supervision",
    "dangjian.fees",
    "dangjian.meetings",
    "dangjian.recruitment",
    "dangjian.transfers",
    "dangjian.learning",
    "dangjian.community",
    "dangjian.villages",
    "dangjian.enterprises",
    "dangjian.academy",
    "dangjian.assistant",
    "dangjian.portal",
    "dangjian.demo",
    "dangjian.web",
]

DANGJIAN_TRUSTED_PROXIES = os.environ.get("DANGJIAN_TRUSTED_PROXIES", "127.0.0.1")

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "dangjian.core.middleware.SecurityHeadersMiddleware",  # before whitenoise: static files too
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "dangjian.core.middleware.RequestContextMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "dangjian.accounts.middleware.AuthenticationMiddleware",
    "dangjian.core.middleware.RequestSizeLimitMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "dangjian.accounts.middleware.SessionLimitsMiddleware",
    "dangjian.accounts.middleware.TwoFactorRequiredMiddleware",
    "dangjian.accounts.middleware.PasswordPolicyMiddleware",
    "dangjian.accounts.middleware.ResolvedUserMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "dangjian.core.middleware.NoStoreMiddleware",
    "dangjian.web.middleware.TodoCountMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "dangjian.urls"
WSGI_APPLICATION = "dangjian.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "dangjian.web.context_processors.shell",
                "dangjian.notify.context_processors.badges",
                "dangjian.portal.context_processors.todo_badge",
            ],
            # `{% url %}` kept per process, `{% extends %}` finding the layout's blocks once
            "builtins": [
                "dangjian.web.templatetags.builtin_urls",
                "dangjian.web.templatetags.builtin_extends",
            ],
        },
    }
]

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    # Django's ModelBackend with the per-request user read compiled once
    "dangjian.accounts.backends.ModelBackend",
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
if TESTING:
    # Argon2 at 100 MiB per hash would dominate the suite; the production list is tested separately.
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher", *PASSWORD_HASHERS]
AUTH_PASSWORD_VALIDATORS = [
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 8},
    },
    {"NAME": "dangjian.accounts.validators.CharacterClassValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator",
        "OPTIONS": {"user_attributes": ("username", "display_name", "email")},
    },
    {"NAME": "dangjian.accounts.validators.PasswordHistoryValidator"},
]
PASSWORD_MAX_AGE_DAYS = int(os.environ.get("DANGJIAN_PASSWORD_MAX_AGE_DAYS", "90"))
PASSWORD_HISTORY_COUNT = 5
LOGIN_URL = "portal:login"
LOGIN_REDIRECT_URL = "portal:home"
LOGOUT_REDIRECT_URL = "portal:login"

# Sessions: 15-minute idle timeout, 8-hour absolute limit (security.md 1.1 b). The idle clock is
# kept in the session and checked on every request (accounts.middleware.SessionLimitsMiddleware);
# the session is written when it changed or its clock is a minute old — not on every request, so
# that a page view costs no database write. Sessions live in the database; with Redis (REDIS_URL)
# they are read through the shared cache. Never through a per-process cache: a session ended in
# one web worker (sign-out, the limits) must end in all of them at once.
# Django's, in accounts.Session: the session, its user and their grants read in one statement
SESSION_ENGINE = "dangjian.accounts.sessions.db"
SESSION_COOKIE_AGE = 15 * 60
SESSION_SAVE_EVERY_REQUEST = False
SESSION_TOUCH_SECONDS = 60
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_ABSOLUTE_SECONDS = 8 * 3600
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# Every response (core.middleware.SecurityHeadersMiddleware): scripts only from our own files (no
# inline script, no eval); inline style attributes stay allowed (Bootstrap utilities, ECharts);
# the learning library's documents are framed by our own pages only.
CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data: blob:",
        "font-src 'self' data:",
        "media-src 'self' blob:",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'self'",
    ]
)
PERMISSIONS_POLICY = ", ".join(
    [
        "camera=()",
        "microphone=(self)",  # the assistant listens when a member asks it to
        "geolocation=()",
        "payment=()",
        "usb=()",
        "serial=()",
        "bluetooth=()",
        "magnetometer=()",
        "gyroscope=()",
        "accelerometer=()",
        "display-capture=()",
        "interest-cohort=()",
    ]
)
# The audit seal written outside the database (append-only, one signed line per seal run)
AUDIT_SEAL_FILE = os.environ.get("DANGJIAN_AUDIT_SEAL_FILE", str(VAR_DIR / "audit-seals.log"))
MAX_REQUEST_BYTES = int(os.environ.get("DANGJIAN_MAX_REQUEST_MB", "520")) * 1024 * 1024
MAX_ANON_REQUEST_BYTES = int(os.environ.get("DANGJIAN_MAX_ANON_REQUEST_KB", "256")) * 1024
if os.environ.get("DANGJIAN_HTTPS") == "1":
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_SSL_REDIRECT = True
    SECURE_HSTS_SECONDS = 31536000
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# django-axes: lock the *account* (not the IP) after 5 failures for 30 minutes, reset on success
# (security.md 0.7: the library's defaults are 3 failures, IP only, no cool-off).
AXES_FAILURE_LIMIT = 5
AXES_COOLOFF_TIME = timedelta(minutes=30)
AXES_LOCKOUT_PARAMETERS = ["username"]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "portal/locked.html"
AXES_VERBOSE = False
AXES_ENABLE_ACCESS_FAILURE_LOG = True

OTP_TOTP_ISSUER = "dangjian"

LANGUAGE_CODE = "zh-hans"
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True
LOCALE_PATHS = [BASE_DIR / "locale"]

STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
STATIC_ROOT.mkdir(exist_ok=True)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if (TESTING or DEBUG)
        else "dangjian.core.staticfiles.KeptManifestStaticFilesStorage"
    },
}
WHITENOISE_USE_FINDERS = TESTING or DEBUG
MEDIA_ROOT = VAR_DIR / "media"
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024
IMPORT_MAX_BYTES = 20 * 1024 * 1024
IMPORT_JOB_ROWS = int(os.environ.get("DANGJIAN_IMPORT_JOB_ROWS", "5000"))
# the assistant's optional model servers (OpenAI-compatible, self-hosted; assistant/endpoints.py)
LLM_URL = os.environ.get("DANGJIAN_LLM_URL", "")
LLM_MODEL = os.environ.get("DANGJIAN_LLM_MODEL", "default")
EMBED_URL = os.environ.get("DANGJIAN_EMBED_URL", "")
EMBED_MODEL = os.environ.get("DANGJIAN_EMBED_MODEL", "default")
MODEL_KEY = os.environ.get("DANGJIAN_MODEL_KEY", "")
MODEL_TIMEOUT = float(os.environ.get("DANGJIAN_MODEL_TIMEOUT", "8"))
ASR_URL = os.environ.get("DANGJIAN_ASR_URL", "")
ASR_MODEL = os.environ.get("DANGJIAN_ASR_MODEL", "default")
TTS_URL = os.environ.get("DANGJIAN_TTS_URL", "")
TTS_MODEL = os.environ.get("DANGJIAN_TTS_MODEL", "default")

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["rest_framework.authentication.SessionAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["dangjian.accounts.api.IsVerifiedStaff"],
    "DEFAULT_PAGINATION_CLASS": "dangjian.core.api.Pagination",
    "PAGE_SIZE": 20,
    "DEFAULT_FILTER_BACKENDS": [
        "django_filters.rest_framework.DjangoFilterBackend",
        "rest_framework.filters.OrderingFilter",
    ],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "dangjian.core.api.exception_handler",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "dangjian API",
    "DESCRIPTION": "党建平台 REST API v1：组织与党员（按授权范围、脱敏、分页）。",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "SERVE_PERMISSIONS": ["dangjian.accounts.api.IsVerifiedStaff"],
}

# Huey: Redis when configured, else its SQLite storage (one machine, no extra service).
REDIS_URL = os.environ.get("REDIS_URL", "")
# Short-lived counts (the 待办 badge): per process by default; shared by every web node through
# Redis when REDIS_URL is set.
CACHES: dict[str, Any] = {
    "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "dangjian"}
}
if REDIS_URL:
    CACHES["default"] = {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": REDIS_URL,
        "KEY_PREFIX": "dangjian",
    }
    SESSION_ENGINE = "dangjian.accounts.sessions.cached_db"
if REDIS_URL:
    HUEY = {
        "huey_class": "huey.RedisHuey",
        "name": "dangjian",
        "url": REDIS_URL,
        "immediate": TESTING,
        "utc": False,  # periodic jobs at local (TIME_ZONE) hours: the 02:30 scan in the night
        "consumer": {"workers": 2, "worker_type": "thread"},
    }
else:
    HUEY = {
        "huey_class": "huey.SqliteHuey",
        "name": "dangjian",
        "filename": str(VAR_DIR / "huey.sqlite3"),
        "immediate": TESTING,
        "utc": False,  # periodic jobs at local (TIME_ZONE) hours: the 02:30 scan in the night
        "consumer": {"workers": 2, "worker_type": "thread"},
    }

# Outbound reminders (notify app). The in-app inbox is always on; email, SMS and WeChat are used
# when configured. SMS and WeChat go through HTTP gateways (the deployment's own SMS platform, or a
# relay to WeChat's template-message API) with HMAC-signed requests; see docs/deployment.md.
EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
EMAIL_HOST = os.environ.get("DANGJIAN_SMTP_HOST", "")
EMAIL_PORT = int(os.environ.get("DANGJIAN_SMTP_PORT", "25"))
EMAIL_HOST_USER = os.environ.get("DANGJIAN_SMTP_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("DANGJIAN_SMTP_PASSWORD", "")
EMAIL_USE_TLS = os.environ.get("DANGJIAN_SMTP_STARTTLS", "") == "1"
EMAIL_USE_SSL = os.environ.get("DANGJIAN_SMTP_SSL", "") == "1"
EMAIL_TIMEOUT = 15
DEFAULT_FROM_EMAIL = os.environ.get("DANGJIAN_SMTP_FROM", "dangjian@localhost")


def _hours(value: str, default: tuple[int, int]) -> tuple[int, int]:
    try:
        start, end = (int(x) for x in value.split("-"))
    except ValueError:
        return default
    return (start % 24, end % 24)


NOTIFY: dict[str, Any] = {
    "quiet_hours": _hours(
        os.environ.get("DANGJIAN_QUIET_HOURS", "22-7"), (22, 7)
    ),  # no outbound 22:00-07:00
    "digest_hour": int(
        os.environ.get("DANGJIAN_DIGEST_HOUR", "8")
    ),  # one daily digest per person and channel
    "escalate_days": int(
        os.environ.get("DANGJIAN_ESCALATE_DAYS", "7")
    ),  # open this long: the next level up is told
    "escalate_levels": int(os.environ.get("DANGJIAN_ESCALATE_LEVELS", "2")),
    "max_attempts": int(os.environ.get("DANGJIAN_NOTIFY_MAX_ATTEMPTS", "6")),
    "backoff_seconds": int(
        os.environ.get("DANGJIAN_NOTIFY_BACKOFF", "60")
    ),  # 60 s, 2 min, 4 min, ...
    "email": bool(EMAIL_HOST),
    "sms": {
        "url": os.environ.get("DANGJIAN_SMS_URL", ""),
        "key_id": os.environ.get("DANGJIAN_SMS_KEY_ID", "dangjian"),
        "key": os.environ.get("DANGJIAN_SMS_KEY", ""),
    },
    "wechat": {
        "url": os.environ.get("DANGJIAN_WECHAT_URL", ""),
        "key_id": os.environ.get("DANGJIAN_WECHAT_KEY_ID", "dangjian"),
        "key": os.environ.get("DANGJIAN_WECHAT_KEY", ""),
        "template_id": os.environ.get("DANGJIAN_WECHAT_TEMPLATE", ""),
    },
    # unset: the address requests arrive at (web.site)
    "site_url": os.environ.get("DANGJIAN_SITE_URL", ""),
}

# Numbers given out when staff leave the field empty (members.numbering)
NUMBER_PATTERNS = {
    "member": os.environ.get("DANGJIAN_MEMBER_NO_PATTERN", "M{seq:08d}"),
    "applicant": os.environ.get("DANGJIAN_APPLICANT_NO_PATTERN", "S{year}{seq:05d}"),
}

# Online party-fee payment: "sandbox" (built in, for the demo and tests) or "wechat" when
# configured.
PAYMENT: dict[str, Any] = {
    "provider": os.environ.get("DANGJIAN_PAYMENT_PROVIDER", "sandbox"),
    "sandbox_key": os.environ.get("DANGJIAN_SANDBOX_KEY", ""),
    "order_timeout_minutes": int(os.environ.get("DANGJIAN_ORDER_TIMEOUT", "15")),
    # share of collected fees each level sends upward (上缴), by the kind of the sending
    # organization;
    # provinces set their own: override with DANGJIAN_REMIT_PERCENT="branch:100,general_branch:100,
    # committee:20"
    "remit_percent": dict(
        p.split(":")
        for p in os.environ.get(
            "DANGJIAN_REMIT_PERCENT", "branch:100,general_branch:100,committee:20"
        ).split(",")
        if ":" in p
    ),
    # WeChat Pay API v3, Native (QR code) payment; see docs/deployment.md
    "wechat": {
        "base_url": os.environ.get("DANGJIAN_WECHATPAY_BASE_URL", "https://api.mch.weixin.qq.com"),
        "mchid": os.environ.get("DANGJIAN_WECHATPAY_MCHID", ""),
        "appid": os.environ.get("DANGJIAN_WECHATPAY_APPID", ""),
        "serial_no": os.environ.get("DANGJIAN_WECHATPAY_SERIAL_NO", ""),
        "private_key": os.environ.get(
            "DANGJIAN_WECHATPAY_PRIVATE_KEY", ""
        ),  # path to apiclient_key.pem
        "apiv3_key": os.environ.get("DANGJIAN_WECHATPAY_APIV3_KEY", ""),
        "platform_public_key": os.environ.get(
            "DANGJIAN_WECHATPAY_PLATFORM_PUBLIC_KEY", ""
        ),  # path to the PEM
        "platform_serial": os.environ.get("DANGJIAN_WECHATPAY_PLATFORM_SERIAL", ""),
        "notify_url": os.environ.get(
            "DANGJIAN_WECHATPAY_NOTIFY_URL", ""
        ),  # https://<host>/fees/callback/wechat/
    },
}

PDF_FONT = os.environ.get("DANGJIAN_PDF_FONT", "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": os.environ.get("DANGJIAN_LOG_LEVEL", "WARNING")},
}
# Audit and security events off the host (core.syslog): RFC 5424 over TCP or TLS
SYSLOG_URL = os.environ.get("DANGJIAN_SYSLOG_URL", "")
if SYSLOG_URL:
    LOGGING["handlers"]["syslog"] = {  # type: ignore[index]
        "class": "dangjian.core.syslog.Rfc5424Handler",
        "url": SYSLOG_URL,
        "ca_file": os.environ.get("DANGJIAN_SYSLOG_CA", ""),
    }
    LOGGING["loggers"] = {
        "dangjian.security": {"handlers": ["syslog"], "level": "INFO", "propagate": False}
    }

# Lockout is by account (MLPS 8.1.4.1 b; security.md A3). Per-IP rate limiting belongs to the
# reverse proxy (docs/deployment.md), where a shared office NAT does not lock out a whole unit.
SILENCED_SYSTEM_CHECKS = ["axes.W006"]
