"""Settings, 12-factor style: every deployment choice comes from an environment variable.

With nothing set the platform runs embedded: SQLite in ``var/`` and a Celery broker on the
local filesystem (no server). Set ``DATABASE_URL`` and ``REDIS_URL`` to run on PostgreSQL and
Redis, which is what the test suite and docker-compose use.
"""

import os
from datetime import timedelta
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("VR_VAR_DIR", BASE_DIR / "var"))


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    return int(value) if value not in (None, "") else default


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


# --- production or debug --------------------------------------------------------------
# Production unless DJANGO_DEBUG is on (only `make run`, the embedded demo, turns it on).
# Production refuses to start without its own secret key and host names.
DEBUG = env_bool("DJANGO_DEBUG", False)
if DEBUG:
    SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY") or "django-insecure-make-run-demo-only"
    ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]")
else:
    SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "").strip()
    ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS")
    if not SECRET_KEY:
        raise ImproperlyConfigured(
            "DJANGO_SECRET_KEY is not set: production (DJANGO_DEBUG off) needs its own secret key; set "
            "DJANGO_SECRET_KEY to a long random string (e.g. the output of `python -c "
            "'import secrets; print(secrets.token_urlsafe(50))'`), or DJANGO_DEBUG=1 for a local demo"
        )
    if not ALLOWED_HOSTS:
        raise ImproperlyConfigured(
            "DJANGO_ALLOWED_HOSTS is not set: production (DJANGO_DEBUG off) serves only the host names it is "
            "given; set DJANGO_ALLOWED_HOSTS to a comma-separated list (e.g. annotate.example.org), "
            "or DJANGO_DEBUG=1 for a local demo"
        )
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS")

# --- HTTPS (production) ---------------------------------------------------------------
# DJANGO_HTTPS: the site is reached over HTTPS (directly or through a TLS proxy); on by default
# in production. It sets the defaults below; each one has its own variable too.
VR_HTTPS = env_bool("DJANGO_HTTPS", not DEBUG)
SECURE_SSL_REDIRECT = env_bool("DJANGO_SECURE_SSL_REDIRECT", VR_HTTPS)
SESSION_COOKIE_SECURE = env_bool("DJANGO_SESSION_COOKIE_SECURE", VR_HTTPS)
CSRF_COOKIE_SECURE = env_bool("DJANGO_CSRF_COOKIE_SECURE", VR_HTTPS)
SECURE_HSTS_SECONDS = env_int("DJANGO_SECURE_HSTS_SECONDS", 31_536_000 if VR_HTTPS else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("DJANGO_SECURE_HSTS_INCLUDE_SUBDOMAINS", True)
SECURE_HSTS_PRELOAD = env_bool("DJANGO_SECURE_HSTS_PRELOAD", True)
# Behind a TLS proxy that sets it (and strips it from clients): e.g. "X-Forwarded-Proto: https".
_proxy_header = os.environ.get("DJANGO_SECURE_PROXY_SSL_HEADER", "").strip()
if _proxy_header:
    _name, _sep, _value = _proxy_header.partition(":")
    if not _sep or not _name.strip() or not _value.strip():
        raise ImproperlyConfigured(
            f"DJANGO_SECURE_PROXY_SSL_HEADER={_proxy_header!r}: expected 'Header-Name: value', "
            "e.g. 'X-Forwarded-Proto: https'"
        )
    SECURE_PROXY_SSL_HEADER = ("HTTP_" + _name.strip().upper().replace("-", "_"), _value.strip())

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "django_celery_beat",
    "annotator",
    "datasets_app",
    "worker",
]

MIDDLEWARE = [
    "config.middleware.HealthCheckMiddleware",  # /healthz answers before host checks and HTTPS redirects
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "config" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# --- database -------------------------------------------------------------------------
DATABASE_URL = os.environ.get("DATABASE_URL") or f"sqlite:///{VAR_DIR / 'db.sqlite3'}"
DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=env_int("DB_CONN_MAX_AGE", 60))}
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    # Several processes (web, worker, beat) share the file: wait for locks instead of failing.
    DATABASES["default"]["OPTIONS"] = {"timeout": 30, "transaction_mode": "IMMEDIATE"}
    DATABASES["default"]["CONN_MAX_AGE"] = 0
DATABASES["default"].setdefault("TEST", {})
if os.environ.get("TEST_DATABASE_NAME"):
    DATABASES["default"]["TEST"]["NAME"] = os.environ["TEST_DATABASE_NAME"]
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- auth, i18n, static ---------------------------------------------------------------
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
]
LOGIN_URL = "/admin/login/"
LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT", VAR_DIR / "staticfiles"))
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
# The browser app (frontend/, built by `npm run build`) is served under /static/app/.
FRONTEND_DIST = BASE_DIR / "frontend" / "dist"
FRONTEND_DIST.mkdir(parents=True, exist_ok=True)
STATICFILES_DIRS = [("app", FRONTEND_DIST)]
WHITENOISE_USE_FINDERS = True  # serve a fresh build without collectstatic (embedded mode)
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", VAR_DIR / "media"))
# Published dataset versions (export jobs write here; downloads are served from here).
VR_DATASETS_ROOT = Path(os.environ.get("VR_DATASETS_ROOT", VAR_DIR / "datasets"))
# Behind nginx: stored files are sent by nginx from its internal locations (X-Accel-Redirect,
# deploy/nginx.conf), the app only checks who may read them (annotator/files.py).
VR_ACCEL_REDIRECT = env_bool("VR_ACCEL_REDIRECT", False)
# --- where files are stored (annotator/storage.py) -------------------------------------
# VR_STORAGE=filesystem (default): MEDIA_ROOT and VR_DATASETS_ROOT on this host.
# VR_STORAGE=s3: an S3-compatible bucket through django-storages (AWS S3, MinIO, Ceph, R2, GCS
# interop); then nothing reads or writes those folders, browsers get short-lived presigned URLs,
# large uploads go straight to the bucket, and workers on other hosts use VR_SCRATCH_DIR.
VR_STORAGE = os.environ.get("VR_STORAGE", "filesystem").strip().lower()
if VR_STORAGE not in ("filesystem", "s3"):
    raise ImproperlyConfigured(f"VR_STORAGE must be 'filesystem' or 's3', not {VR_STORAGE!r}")
VR_SCRATCH_DIR = os.environ.get("VR_SCRATCH_DIR", "")  # this host's work folder (blank: the system's temp)
VR_S3_BUCKET = os.environ.get("VR_S3_BUCKET", "")
VR_S3_DATASETS_BUCKET = os.environ.get("VR_S3_DATASETS_BUCKET", "") or VR_S3_BUCKET
VR_S3_ENDPOINT_URL = os.environ.get("VR_S3_ENDPOINT_URL", "").strip() or None  # blank: AWS S3
# The endpoint browsers reach (presigned URLs are signed for it); blank: VR_S3_ENDPOINT_URL.
VR_S3_PUBLIC_ENDPOINT_URL = os.environ.get("VR_S3_PUBLIC_ENDPOINT_URL", "").strip() or VR_S3_ENDPOINT_URL
VR_S3_REGION = os.environ.get("VR_S3_REGION", os.environ.get("AWS_DEFAULT_REGION", "us-east-1"))
VR_S3_ADDRESSING_STYLE = os.environ.get("VR_S3_ADDRESSING_STYLE", "path" if VR_S3_ENDPOINT_URL else "virtual")
VR_S3_URL_SECONDS = env_int("VR_S3_URL_SECONDS", 300)  # how long a presigned download URL lives
VR_S3_UPLOAD_SECONDS = env_int("VR_S3_UPLOAD_SECONDS", 3600)  # ... and a presigned upload part's
VR_S3_PART_BYTES = env_int("VR_S3_PART_BYTES", 16 * 1024 * 1024)  # multipart upload part size
# Direct uploads (worker/imports/uploads.py) left unfinished this long are aborted, their parts deleted.
VR_UPLOAD_ABANDON_HOURS = env_int("VR_UPLOAD_ABANDON_HOURS", 24)
# Buckets (or bucket/prefix) that s3:// imports may read with the platform's credentials.
VR_IMPORT_BUCKETS = env_list("VR_IMPORT_BUCKETS")


def s3_options(bucket: str, location: str) -> dict:
    return {
        "bucket_name": bucket,
        "location": location,
        "endpoint_url": VR_S3_ENDPOINT_URL,
        "region_name": VR_S3_REGION,
        "access_key": os.environ.get("AWS_ACCESS_KEY_ID") or None,
        "secret_key": os.environ.get("AWS_SECRET_ACCESS_KEY") or None,
        "addressing_style": VR_S3_ADDRESSING_STYLE,
        "signature_version": "s3v4",
        "file_overwrite": True,
        "default_acl": None,
        "querystring_auth": True,
        "querystring_expire": VR_S3_URL_SECONDS,
    }


STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
if VR_STORAGE == "s3":
    if not VR_S3_BUCKET:
        raise ImproperlyConfigured("VR_STORAGE=s3 needs VR_S3_BUCKET")
    STORAGES["default"] = {"BACKEND": "storages.backends.s3.S3Storage", "OPTIONS": s3_options(VR_S3_BUCKET, "media")}
    STORAGES["datasets"] = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": s3_options(VR_S3_DATASETS_BUCKET, "datasets"),
    }
VR_MODELS_ROOT = Path(os.environ.get("VR_MODELS_ROOT", VAR_DIR / "models"))  # fine-tuned models (research jobs)
# Optional: a Hugging Face token with write access, for pushing dataset versions to the Hub.
HF_TOKEN = os.environ.get("HF_TOKEN", "")
# The Hub pushes go to (a self-hosted Hub or a mirror; blank: huggingface_hub's default, which
# itself follows HF_ENDPOINT). A token given for one push is held split, never in plain text, for
# at most VR_PUSH_TOKEN_SECONDS while its job waits and runs (worker/exports/credentials.py).
HF_ENDPOINT = os.environ.get("HF_ENDPOINT", "").strip().rstrip("/")
VR_PUSH_TOKEN_SECONDS = env_int("VR_PUSH_TOKEN_SECONDS", 3600)
# Media is never served as public static files: it goes through a view that checks project
# membership (see annotator.views.media).

# --- uploads and media limits ---------------------------------------------------------
DATA_UPLOAD_MAX_MEMORY_SIZE = env_int("DATA_UPLOAD_MAX_MEMORY_SIZE", 10 * 1024 * 1024)
FILE_UPLOAD_MAX_MEMORY_SIZE = env_int("FILE_UPLOAD_MAX_MEMORY_SIZE", 5 * 1024 * 1024)
DATA_UPLOAD_MAX_NUMBER_FILES = env_int("DATA_UPLOAD_MAX_NUMBER_FILES", 10_000)
VR_MAX_ASSET_BYTES = env_int("VR_MAX_ASSET_BYTES", 2 * 1024**3)
VR_MAX_IMAGE_PIXELS = env_int("VR_MAX_IMAGE_PIXELS", 100_000_000)
VR_MAX_VIDEO_SECONDS = env_int("VR_MAX_VIDEO_SECONDS", 600)
VR_THUMBNAIL_SIZE = env_int("VR_THUMBNAIL_SIZE", 384)
VR_MAX_MODEL_FRAMES = env_int("VR_MAX_MODEL_FRAMES", 24)
VR_LEASE_SECONDS = env_int("VR_LEASE_SECONDS", 30 * 60)
# Archives and manifests of an import (docs/security.md). An archive is unpacked by the import
# job, never in the request, counting the real inflated bytes: its total size, its compression
# ratio (per entry and for the archive; media barely compress, 100x is a bomb) and its file count.
VR_MAX_ARCHIVE_BYTES = env_int("VR_MAX_ARCHIVE_BYTES", 20 * 1024**3)
VR_MAX_ARCHIVE_RATIO = env_int("VR_MAX_ARCHIVE_RATIO", 100)
VR_MAX_ARCHIVE_FILES = env_int("VR_MAX_ARCHIVE_FILES", 10_000)
VR_MAX_MANIFEST_ROWS = env_int("VR_MAX_MANIFEST_ROWS", 100_000)
VR_MAX_MANIFEST_LINE_BYTES = env_int("VR_MAX_MANIFEST_LINE_BYTES", 1024 * 1024)
# URL imports (worker/imports/fetch.py, docs/security.md): never private, loopback or link-local
# addresses unless a network is named here (comma-separated, e.g. "10.1.2.0/24"); one deadline
# per URL, redirects re-checked; the size cap is VR_MAX_ASSET_BYTES.
VR_FETCH_ALLOWED_NETWORKS = os.environ.get("VR_FETCH_ALLOWED_NETWORKS", "")
VR_FETCH_TIMEOUT_SECONDS = env_int("VR_FETCH_TIMEOUT_SECONDS", 300)
VR_FETCH_MAX_REDIRECTS = env_int("VR_FETCH_MAX_REDIRECTS", 5)
VR_FETCH_CA_FILE = os.environ.get("VR_FETCH_CA_FILE", "")  # a PEM bundle to trust instead of the system's
# What an asset's prompt and metadata may hold (manifests and the admin alike).
VR_MAX_PROMPT_CHARS = env_int("VR_MAX_PROMPT_CHARS", 10_000)
VR_MAX_METADATA_BYTES = env_int("VR_MAX_METADATA_BYTES", 64 * 1024)
VR_MAX_METADATA_DEPTH = env_int("VR_MAX_METADATA_DEPTH", 10)
# Model weights come only from local folders and the Hugging Face cache unless this is off.
VR_HF_LOCAL_FILES_ONLY = env_bool("VR_HF_LOCAL_FILES_ONLY", True)
# The local folders a dataset import (Hugging Face dataset, pair dataset) may read, separated by
# ":" (os.pathsep); a manager's path outside them is refused. Hub datasets are read from the cache.
VR_IMPORT_ROOTS = [
    Path(p) for p in os.environ.get("VR_IMPORT_ROOTS", str(VAR_DIR / "imports")).split(os.pathsep) if p.strip()
]
VR_IMPORT_WORKERS = env_int("VR_IMPORT_WORKERS", 2)  # media files a dataset import processes at once

# --- REST API --------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.SessionAuthentication",
        # token and basic auth count their failures against the login lock-out (see "logins" below)
        "annotator.authentication.ThrottledTokenAuthentication",
        "annotator.authentication.LockoutAwareBasicAuthentication",  # curl -u user:password (use HTTPS in production)
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_PAGINATION_CLASS": "annotator.pagination.Pagination",
    "PAGE_SIZE": 100,
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "EXCEPTION_HANDLER": "annotator.api_errors.exception_handler",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "VisionReward annotation platform API",
    "DESCRIPTION": (
        "Checklists, projects, assets, tasks, assignments, annotations and pairs for "
        "fine-grained human preference data (VisionReward, arXiv 2412.21059)."
    ),
    "VERSION": "0.1.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    # One name per choice set (the deployment check warns about the names it had to invent).
    "ENUM_NAME_OVERRIDES": {
        "MediaTypeEnum": "annotator.models.MEDIA_TYPES",
        "TaskKindEnum": "annotator.models.Task.Kind",
        "AssignmentStateEnum": "annotator.models.Assignment.State",
        "AnnotationStateEnum": "annotator.models.Annotation.State",
        "JobKindEnum": "worker.models.Job.Kind",
        "JobStateEnum": "worker.models.Job.State",
        "DatasetVersionStateEnum": "datasets_app.models.DatasetVersion.State",
    },
}

# --- Celery ----------------------------------------------------------------------------
REDIS_URL = os.environ.get("REDIS_URL", "")
if REDIS_URL:
    CELERY_BROKER_URL = REDIS_URL
    CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600}
else:
    # Embedded default: a broker on the local filesystem, no server needed.
    _broker_dir = VAR_DIR / "broker"
    CELERY_BROKER_URL = "filesystem://"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_broker_dir / "out"),
        "data_folder_out": str(_broker_dir / "out"),
        "processed_folder": str(_broker_dir / "processed"),
        "control_folder": str(_broker_dir / "control"),
        "store_processed": False,
    }
    for _sub in ("out", "processed", "control"):
        (_broker_dir / _sub).mkdir(parents=True, exist_ok=True)
CELERY_TASK_IGNORE_RESULT = True  # job state lives in worker.Job rows, not a result backend
CELERY_TASK_ACKS_LATE = True  # a worker killed mid-task leaves the message to be redelivered
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_DEFAULT_QUEUE = "default"
# Each job kind declares its queue (worker.jobs.registry: imports on "media", pre-fill on "gpu" or its
# model's queue, the rest on "default"); an installation may route a kind elsewhere here, by task
# name, e.g. {"worker.tasks.run_export_job": {"queue": "exports"}}.
CELERY_TASK_ROUTES: dict = {}
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", False)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
# The periodic refit ("refit-weights", every 15 minutes) is a database row made by a migration
# (worker 0004), not listed here, so the schedule admins set in the admin survives restarts.
# Job heartbeats: a running job's process beats every VR_JOB_HEARTBEAT_SECONDS for its whole attempt;
# one silent for VR_JOB_STALE_SECONDS lost its worker, and the sweep (every VR_JOB_SWEEP_SECONDS)
# requeues it: a killed worker's job is running again elsewhere within stale + sweep seconds.
VR_JOB_HEARTBEAT_SECONDS = env_int("VR_JOB_HEARTBEAT_SECONDS", 10)
VR_JOB_STALE_SECONDS = env_int("VR_JOB_STALE_SECONDS", 45)
VR_JOB_SWEEP_SECONDS = env_int("VR_JOB_SWEEP_SECONDS", 15)
if VR_JOB_HEARTBEAT_SECONDS < 1 or VR_JOB_STALE_SECONDS < 3 * VR_JOB_HEARTBEAT_SECONDS or VR_JOB_SWEEP_SECONDS < 1:
    raise ImproperlyConfigured(
        f"VR_JOB_STALE_SECONDS ({VR_JOB_STALE_SECONDS}) must be at least 3 x VR_JOB_HEARTBEAT_SECONDS "
        f"({VR_JOB_HEARTBEAT_SECONDS}), so that one late heartbeat does not requeue a live job; "
        "VR_JOB_HEARTBEAT_SECONDS and VR_JOB_SWEEP_SECONDS must be at least 1"
    )
# Webhooks (annotator/webhooks/, docs/webhooks.md): deliveries never reach private, loopback or
# link-local addresses unless a network is named here (comma-separated CIDRs, e.g. an internal
# receiver's "10.1.2.0/24"); checked when a webhook is saved and again at every attempt. Retries
# wait VR_WEBHOOK_RETRY_SCHEDULE seconds (comma-separated; default 30 s … 12 h, about a day),
# then the delivery fails; the sweep sends what is due every VR_WEBHOOK_SWEEP_SECONDS.
VR_WEBHOOK_ALLOWED_NETWORKS = os.environ.get("VR_WEBHOOK_ALLOWED_NETWORKS", "")
VR_WEBHOOK_RETRY_SCHEDULE = os.environ.get("VR_WEBHOOK_RETRY_SCHEDULE", "")
VR_WEBHOOK_TIMEOUT_SECONDS = env_int("VR_WEBHOOK_TIMEOUT_SECONDS", 10)
VR_WEBHOOK_SWEEP_SECONDS = env_int("VR_WEBHOOK_SWEEP_SECONDS", 15)
try:  # a typo fails the start, not every delivery later (both modules are pure: no Django)
    from annotator.netpolicy import parse_networks as _parse_networks
    from annotator.webhooks.events import parse_schedule as _parse_schedule

    _parse_networks(VR_WEBHOOK_ALLOWED_NETWORKS, "VR_WEBHOOK_ALLOWED_NETWORKS")
    _parse_schedule(VR_WEBHOOK_RETRY_SCHEDULE)
except ValueError as _exc:
    raise ImproperlyConfigured(str(_exc)) from None
if VR_WEBHOOK_TIMEOUT_SECONDS < 1:
    raise ImproperlyConfigured("VR_WEBHOOK_TIMEOUT_SECONDS must be at least 1")
CELERY_BEAT_SCHEDULE = {
    "expire-leases": {"task": "annotator.tasks.expire_leases", "schedule": timedelta(minutes=1)},
    "sweep-webhooks": {
        "task": "annotator.tasks.sweep_webhooks",
        "schedule": timedelta(seconds=max(1, VR_WEBHOOK_SWEEP_SECONDS)),
    },
    "redispatch-lost-jobs": {
        "task": "worker.tasks.redispatch_lost_jobs",
        "schedule": timedelta(seconds=VR_JOB_SWEEP_SECONDS),
    },
}

# --- logins, password reset, invitations (issue 13 item 3) --------------------------------
# django-axes counts failed logins (session, basic auth, admin, and wrong API tokens) in the
# database and locks the account AND the address (either one reaching the limit) for the cool-off.
# An admin lifts a lock-out in the admin ("Axes" -> access attempts) or with
# `manage.py axes_reset_username NAME` / `axes_reset_ip ADDRESS`. See docs/security.md.
INSTALLED_APPS += ["axes"]
MIDDLEWARE += ["axes.middleware.AxesMiddleware"]
AUTHENTICATION_BACKENDS = ["axes.backends.AxesStandaloneBackend", "django.contrib.auth.backends.ModelBackend"]
AXES_FAILURE_LIMIT = env_int("VR_LOGIN_FAILURE_LIMIT", 10)  # the Nth failure locks
AXES_COOLOFF_TIME = timedelta(minutes=env_int("VR_LOGIN_COOLOFF_MINUTES", 15))
AXES_LOCKOUT_PARAMETERS = "annotator.services.login_throttle.lockout_parameters"  # account or address
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False  # the lock ends one cool-off after it began
AXES_LOCKOUT_CALLABLE = "annotator.authentication.lockout_response"
AXES_CLIENT_IP_CALLABLE = "annotator.services.login_throttle.client_ip"
# Behind N reverse proxies that append to X-Forwarded-For, set 1..N; 0 trusts only REMOTE_ADDR.
VR_TRUSTED_PROXY_COUNT = env_int("VR_TRUSTED_PROXY_COUNT", 0)
# Password reset and invitation requests, per address and per e-mail address (DRF rate strings).
REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"] = {
    "password_reset_address": os.environ.get("VR_PASSWORD_RESET_RATE", "10/hour"),
    "password_reset_email": os.environ.get("VR_PASSWORD_RESET_EMAIL_RATE", "3/hour"),
    "account_token": os.environ.get("VR_ACCOUNT_TOKEN_RATE", "30/hour"),  # reset confirm, invitation accept
    "token_create": os.environ.get("VR_TOKEN_CREATE_RATE", "20/hour"),  # new personal API tokens, per user
}
PASSWORD_RESET_TIMEOUT = env_int("VR_PASSWORD_RESET_TIMEOUT_HOURS", 24) * 3600
VR_INVITATION_DAYS = env_int("VR_INVITATION_DAYS", 7)
# The browser app's address in e-mailed links (https://annotate.example.org); without it the
# request's host is used, which only ALLOWED_HOSTS vouches for: set it in production.
VR_PUBLIC_URL = os.environ.get("VR_PUBLIC_URL", "").rstrip("/")
EMAIL_BACKEND = os.environ.get(
    "EMAIL_BACKEND",
    "django.core.mail.backends.smtp.EmailBackend"
    if os.environ.get("EMAIL_HOST")
    else "django.core.mail.backends.console.EmailBackend",
)
EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 587 if env_bool("EMAIL_USE_TLS", True) else 25)
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", True)
EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 20)
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "VisionReward Annotator <noreply@localhost>")
# Throttle counters are shared by every web process: on Redis when REDIS_URL is set.
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": os.environ.get("VR_CACHE_KEY_PREFIX", "vr"),
        }
    }
else:
    # The embedded mode (`make run`): web, worker and beat are processes on one host, so a file
    # cache shares what they must share (throttle counters, a Hub push's held token half).
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(VAR_DIR / "cache"),
        }
    }

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}

# --- content security policy (django-csp) and the API docs' assets ----------------------
# The app's pages run only scripts and styles served from this origin: no inline script, no
# eval, no plugins, never framed, forms post only here. Stored files (media, dataset archives)
# carry their own stricter sandbox policy (annotator/files.py), which this never overwrites.
# img-src allows data: (the app's empty favicon, Swagger UI's icons). Operators add sources to
# a directive with VR_CSP_<DIRECTIVE> (space-separated, e.g. VR_CSP_IMG_SRC="https://cdn.example.org"),
# send violation reports with VR_CSP_REPORT_URI, or try a policy first with VR_CSP_REPORT_ONLY=1.
# With VR_STORAGE=s3 the bucket's public origin is added to img-src, media-src and connect-src.
from csp.constants import NONCE  # noqa: E402

INSTALLED_APPS += ["csp", "drf_spectacular_sidecar"]
STATICFILES_DIRS.append(BASE_DIR / "config" / "static")  # api-docs/redoc-init.js
MIDDLEWARE.insert(MIDDLEWARE.index("django.middleware.security.SecurityMiddleware") + 1, "csp.middleware.CSPMiddleware")
_CSP_DIRECTIVES = {
    "default-src": ["'self'"],
    "script-src": ["'self'"],
    "style-src": ["'self'", NONCE],  # the nonce only on pages that use it (the API docs)
    "img-src": ["'self'", "data:"],
    "media-src": ["'self'"],
    "font-src": ["'self'"],
    "connect-src": ["'self'"],
    "worker-src": ["'self'"],
    "object-src": ["'none'"],
    "frame-src": ["'none'"],
    "frame-ancestors": ["'none'"],
    "base-uri": ["'self'"],
    "form-action": ["'self'"],
}


def s3_public_origins(endpoint: str | None, buckets: list[str], region: str, style: str) -> list[str]:
    """The origins browsers fetch presigned URLs from (what boto3 signs them for; the same as
    ``annotator.storage.s3.public_origin``, which settings cannot import): the public endpoint
    (with the bucket as a sub-domain on virtual addressing), else AWS S3's own hosts."""
    from urllib.parse import urlsplit

    buckets = list(dict.fromkeys(b for b in buckets if b))
    if endpoint:
        parts = urlsplit(endpoint)
        if style == "virtual":
            return [f"{parts.scheme}://{bucket}.{parts.netloc}" for bucket in buckets]
        return [f"{parts.scheme}://{parts.netloc}"]
    # us-east-1 is signed for the global host by some botocore versions and the regional by others
    hosts = [f"s3.{region}.amazonaws.com"] + (["s3.amazonaws.com"] if region == "us-east-1" else [])
    if style == "path":
        return [f"https://{host}" for host in hosts]
    return [f"https://{bucket}.{host}" for bucket in buckets for host in hosts]


# VR_STORAGE=s3: browsers load media from the bucket (presigned GETs: <img>, <video>) and PUT
# upload parts to it (fetch), so its origin is a source of those directives.
VR_S3_PUBLIC_ORIGINS = (
    s3_public_origins(
        VR_S3_PUBLIC_ENDPOINT_URL, [VR_S3_BUCKET, VR_S3_DATASETS_BUCKET], VR_S3_REGION, VR_S3_ADDRESSING_STYLE
    )
    if VR_STORAGE == "s3"
    else []
)
for _directive in ("img-src", "media-src", "connect-src"):
    _CSP_DIRECTIVES[_directive] += VR_S3_PUBLIC_ORIGINS
for _directive, _sources in _CSP_DIRECTIVES.items():
    _sources += os.environ.get(f"VR_CSP_{_directive.upper().replace('-', '_')}", "").split()
if os.environ.get("VR_CSP_REPORT_URI"):
    _CSP_DIRECTIVES["report-uri"] = os.environ["VR_CSP_REPORT_URI"].split()
_CSP = {"DIRECTIVES": _CSP_DIRECTIVES}
if env_bool("VR_CSP_REPORT_ONLY", False):
    CONTENT_SECURITY_POLICY, CONTENT_SECURITY_POLICY_REPORT_ONLY = None, _CSP
else:
    CONTENT_SECURITY_POLICY = _CSP
# Swagger UI and Redoc from the installed drf-spectacular-sidecar (no CDN; works offline).
SPECTACULAR_SETTINGS.update(
    {"SWAGGER_UI_DIST": "SIDECAR", "SWAGGER_UI_FAVICON_HREF": "SIDECAR", "REDOC_DIST": "SIDECAR"}
)

# --- observability (docs/observability.md) ---------------------------------------------
# Prometheus metrics at /metrics (config/observability.py): django-prometheus' request metrics
# (its middleware first and last) and the platform's own (annotator/metrics.py). Scrapers from
# VR_METRICS_ALLOWED_NETWORKS (comma-separated CIDRs; loopback only by default) and staff users
# (session or personal API token) get them; everyone else a 404. Several processes (gunicorn
# workers, prefork Celery children): set PROMETHEUS_MULTIPROC_DIR to a folder of their own.
INSTALLED_APPS += ["django_prometheus"]
MIDDLEWARE.insert(0, "django_prometheus.middleware.PrometheusBeforeMiddleware")
MIDDLEWARE.append("django_prometheus.middleware.PrometheusAfterMiddleware")
VR_METRICS_ALLOWED_NETWORKS = os.environ.get("VR_METRICS_ALLOWED_NETWORKS", "127.0.0.0/8,::1/128")
try:  # a typo stops the start, not every scrape
    from annotator.netpolicy import parse_networks as _parse_networks

    _parse_networks(VR_METRICS_ALLOWED_NETWORKS, "VR_METRICS_ALLOWED_NETWORKS")
except ValueError as _exc:
    raise ImproperlyConfigured(str(_exc)) from None
# A Celery worker serves its metrics on this port (0: none), see config/celery.py.
VR_WORKER_METRICS_PORT = env_int("VR_WORKER_METRICS_PORT", 0)
if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
    Path(os.environ["PROMETHEUS_MULTIPROC_DIR"]).mkdir(parents=True, exist_ok=True)
# /healthz/ready (config/health.py): the queues at least one worker must answer for (blank: none
# asked), and how long to wait for their answers.
VR_READINESS_QUEUES = env_list("VR_READINESS_QUEUES", "default,media,gpu" if REDIS_URL else "")
VR_READINESS_TIMEOUT_SECONDS = float(os.environ.get("VR_READINESS_TIMEOUT_SECONDS", "1.0") or 1.0)

# Errors to Sentry (or a compatible service) only when SENTRY_DSN is set: web requests and Celery
# tasks, no personal data (send_default_pii off: no user names, addresses, cookies or bodies).
SENTRY_DSN = os.environ.get("SENTRY_DSN", "").strip()
if SENTRY_DSN:
    import sentry_sdk
    from sentry_sdk.integrations.celery import CeleryIntegration
    from sentry_sdk.integrations.django import DjangoIntegration

    sentry_sdk.init(
        dsn=SENTRY_DSN,
        integrations=[DjangoIntegration(), CeleryIntegration()],
        environment=os.environ.get("SENTRY_ENVIRONMENT", "production" if not DEBUG else "development"),
        release=os.environ.get("SENTRY_RELEASE") or None,
        send_default_pii=False,
        traces_sample_rate=float(os.environ.get("SENTRY_TRACES_SAMPLE_RATE", "0") or 0),
    )
