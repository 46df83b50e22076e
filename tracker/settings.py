"""Settings read from the environment; the defaults run the one-command demo (SQLite, eager Celery,
console email). Production sets DATABASE_URL, CELERY_BROKER_URL, SECRET_KEY and DEBUG=false."""

import datetime
from pathlib import Path

import environ
from celery.schedules import crontab
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DEBUG = env.bool("DEBUG", default=True)
SECRET_KEY = env.str("SECRET_KEY", default="demo-only-insecure-key" if DEBUG else environ.Env.NOTSET)
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]", "testserver"])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "axes",
    "csp",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "django_htmx",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "simple_history",
    "rules.apps.AutodiscoverRulesConfig",
    "agencies",
    "measures",
    "tracker.apps.TrackerConfig",
    "notifications",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    "csp.middleware.CSPMiddleware",
    # Records every 403 (pages and API) in the audit trail; after the view, so it sees the answer.
    "tracker.audit.AuditMiddleware",
    # Last, as django-axes asks: it turns a locked-out sign-in into the lockout page.
    "axes.middleware.AxesMiddleware",
]

if not DEBUG:
    # Static files from the web process itself, out of STATIC_ROOT after collectstatic (compressed
    # copies, cache headers); a front proxy may serve STATIC_ROOT instead (docs/deployment.md). With
    # DEBUG on (the demo, the tests) django.contrib.staticfiles serves them from the apps.
    MIDDLEWARE.insert(1, "whitenoise.middleware.WhiteNoiseMiddleware")
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=60 * 60 * 24 * 365)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True

ROOT_URLCONF = "tracker.urls"
WSGI_APPLICATION = "tracker.wsgi.application"
AUTH_USER_MODEL = "agencies.User"

AUTHENTICATION_BACKENDS = [
    # First: refuses a locked-out username+IP before any password is checked.
    "axes.backends.AxesStandaloneBackend",
    "rules.permissions.ObjectPermissionBackend",
    "django.contrib.auth.backends.ModelBackend",
]

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
                "django.template.context_processors.i18n",
                "notifications.context_processors.unread",
            ],
        },
    },
]

DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}")}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
# A PostgreSQL connection costs ~20 ms to open, more than a whole list request: each web process
# keeps its connection (checked before reuse) instead of opening one per request.
DATABASES["default"]["CONN_MAX_AGE"] = env.int("DB_CONN_MAX_AGE", default=600)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", _("简体中文")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = env.path("STATIC_ROOT", default=BASE_DIR / "static-collected")
# collectstatic writes gzip/brotli copies that whitenoise serves; without a manifest, so pages render
# before collectstatic has run (the demo, the tests).
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
MEDIA_ROOT = env.path("MEDIA_ROOT", default=BASE_DIR / "media")

# Per process by default; several web processes share one cache with CACHE_URL=redis://…/1.
CACHES = {"default": env.cache("CACHE_URL", default="locmemcache://")}
# The dashboard's aggregates read every task a leader oversees (seconds for a province): computed
# once per user and filter for this long, and the page says when (0: computed on every request).
DASHBOARD_CACHE_SECONDS = env.int("DASHBOARD_CACHE_SECONDS", default=300)

LOGIN_URL = "pages:login"
LOGIN_REDIRECT_URL = "pages:home"

# Accounts. A session lasts a working day and ends with the browser; a lost laptop is not signed in
# for weeks.
SESSION_COOKIE_AGE = env.int("SESSION_COOKIE_AGE", default=8 * 60 * 60)
SESSION_EXPIRE_AT_BROWSER_CLOSE = env.bool("SESSION_EXPIRE_AT_BROWSER_CLOSE", default=True)
# Password guessing (django-axes): this many failures for one username from one address lock that
# pair for the cool-off; further attempts during it restart the cool-off. The right password is
# refused while locked.
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = datetime.timedelta(minutes=env.int("AXES_COOLOFF_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "accounts/locked.html"
# tracker.AuditEntry keeps the sign-ins; axes' own success log would be a second copy.
AXES_DISABLE_ACCESS_LOG = True
PASSWORD_RESET_TIMEOUT = env.int("PASSWORD_RESET_TIMEOUT", default=60 * 60 * 24)
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# Content security policy (django-csp): scripts and styles only from our own static files; no inline
# script, no style attribute, no framing.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}

# Request size. Form fields and JSON bodies above this are refused (400); uploads above the second
# figure are streamed to a temporary file instead of memory. Files themselves are limited below.
DATA_UPLOAD_MAX_MEMORY_SIZE = env.int("DATA_UPLOAD_MAX_MEMORY_SIZE", default=2 * 1024 * 1024)
FILE_UPLOAD_MAX_MEMORY_SIZE = env.int("FILE_UPLOAD_MAX_MEMORY_SIZE", default=2 * 1024 * 1024)
DATA_UPLOAD_MAX_NUMBER_FIELDS = env.int("DATA_UPLOAD_MAX_NUMBER_FIELDS", default=2000)
DATA_UPLOAD_MAX_NUMBER_FILES = env.int("DATA_UPLOAD_MAX_NUMBER_FILES", default=20)
# One attachment of a progress report.
ATTACHMENT_MAX_BYTES = env.int("ATTACHMENT_MAX_BYTES", default=20 * 1024 * 1024)

# The API throttles count in the cache above (CACHES): with several server processes, CACHE_URL
# must point at Redis for one count across them.
# API requests per client: anonymous by address, signed in (token or session) by user. Empty: off.
API_THROTTLE_RATES = {
    "anon": env.str("API_THROTTLE_ANON", default="60/minute") or None,
    "user": env.str("API_THROTTLE_USER", default="1200/minute") or None,
}

# Uploaded and imported policy documents larger than this are refused before they are read.
POLICY_MAX_BYTES = env.int("POLICY_MAX_BYTES", default=20 * 1024 * 1024)
# 序时进度: a task is behind when the share of its time gone leads the share of its work reported
# done by this many percentage points.
SCHEDULE_BEHIND_POINTS = env.int("SCHEDULE_BEHIND_POINTS", default=20)
# 考核 (tracker.assessment): the weight of each rate in the score, points off per overdue task and per
# returned report, and the red (红榜) and black (黑榜) lists: at most this many, at or above / below.
ASSESSMENT_WEIGHTS = env.dict(
    "ASSESSMENT_WEIGHTS", cast={"value": int}, default={"on_time": 50, "rounds": 30, "receipt": 20}
)
ASSESSMENT_PENALTIES = env.dict("ASSESSMENT_PENALTIES", cast={"value": int}, default={"overdue": 2, "returned": 1})
ASSESSMENT_RED_MIN = env.int("ASSESSMENT_RED_MIN", default=90)
ASSESSMENT_BLACK_BELOW = env.int("ASSESSMENT_BLACK_BELOW", default=60)
ASSESSMENT_LIST_SIZE = env.int("ASSESSMENT_LIST_SIZE", default=5)
# Reading and parsing one document runs in a child process under these limits (measures.isolation);
# the longest real plan parses in a few seconds and well under 200 MB.
POLICY_PARSE_SECONDS = env.int("POLICY_PARSE_SECONDS", default=60)
POLICY_PARSE_MEMORY_MB = env.int("POLICY_PARSE_MEMORY_MB", default=1024)
# Fuzzy agency-name matches below this score (0-100, rapidfuzz) are treated as unknown names.
AGENCY_FUZZY_THRESHOLD = env.int("AGENCY_FUZZY_THRESHOLD", default=88)

EMAIL_BACKEND = env.str("EMAIL_BACKEND", default="django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = env.str("EMAIL_HOST", default="localhost")
EMAIL_PORT = env.int("EMAIL_PORT", default=25)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="tracker@localhost")

CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default="")
# Without a broker (the demo), tasks run in-process; with one, they go to real workers.
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=not CELERY_BROKER_URL)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TIMEZONE = TIME_ZONE
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# Lets a test (or a second deployment on the same Redis) keep its messages to its own workers.
CELERY_TASK_DEFAULT_QUEUE = env.str("CELERY_TASK_DEFAULT_QUEUE", default="celery")
# Separate queues for the periodic sweeps and for sending (docs/deployment.md): a backlog of mail then
# never delays the next sweep, and sending can have machines of its own. Opt-in: unset, every task
# goes to the default queue, which a plain `celery -A tracker worker` consumes.
CELERY_SWEEP_QUEUE = env.str("CELERY_SWEEP_QUEUE", default="")
CELERY_MAIL_QUEUE = env.str("CELERY_MAIL_QUEUE", default="")
CELERY_TASK_ROUTES = {
    **{
        name: {"queue": CELERY_SWEEP_QUEUE}
        for name in ("notifications.tasks.sweep", "notifications.tasks.digests")
        if CELERY_SWEEP_QUEUE
    },
    **{
        name: {"queue": CELERY_MAIL_QUEUE}
        for name in ("notifications.tasks.send_notifications", "notifications.tasks.send_notification")
        if CELERY_MAIL_QUEUE
    },
}
# Beat only starts sweeps; deadlines live in the database (no long ETAs in the broker). A run that
# could not start on time is dropped (expires) because the next one covers the same ground.
CELERY_BEAT_SCHEDULE = {
    "notifications-sweep": {
        "task": "notifications.tasks.sweep",
        "schedule": env.int("NOTIFY_SWEEP_EVERY_SECONDS", default=15 * 60),
        "options": {"expires": 14 * 60},
    },
    # Hourly: each run picks the users whose digest day it is once their local digest hour has come,
    # so a missed 08:00 run is caught up at 09:00 (the ISO-week key keeps it to one email).
    "notifications-digests": {
        "task": "notifications.tasks.digests",
        "schedule": crontab(minute=0),
        "options": {"expires": 55 * 60},
    },
}

# Notifications (reminders, escalation, digests). Offsets are in days relative to a due date.
NOTIFY_REMINDER_DAYS = env.list("NOTIFY_REMINDER_DAYS", cast=int, default=[14, 7, 1])
NOTIFY_NUDGE_DAYS = env.int("NOTIFY_NUDGE_DAYS", default=1)
NOTIFY_YELLOW_DAYS = env.int("NOTIFY_YELLOW_DAYS", default=7)
NOTIFY_RED_DAYS = env.int("NOTIFY_RED_DAYS", default=30)
NOTIFY_ROUND_REMINDER_DAYS = env.list("NOTIFY_ROUND_REMINDER_DAYS", cast=int, default=[3, 1])
# 签收: a task not signed for this many working days reminds the agency, then tells its coordinators.
NOTIFY_RECEIPT_DAYS = env.int("NOTIFY_RECEIPT_DAYS", default=2)
NOTIFY_RECEIPT_ESCALATE_DAYS = env.int("NOTIFY_RECEIPT_ESCALATE_DAYS", default=5)
# A stage missed because no sweep ran is still sent this many days late; older ones are not
# (so importing an old document does not escalate years of history at once).
NOTIFY_CATCHUP_DAYS = env.int("NOTIFY_CATCHUP_DAYS", default=14)
NOTIFY_DUE_SOON_DAYS = env.int("NOTIFY_DUE_SOON_DAYS", default=14)
NOTIFY_DIGEST_HOUR = env.int("NOTIFY_DIGEST_HOUR", default=8)
# A claimed ("sending") row whose worker died is re-queued after this lease; it must stay well above
# the SMTP timeout so a slow but live worker is never doubled.
NOTIFY_LEASE_SECONDS = env.int("NOTIFY_LEASE_SECONDS", default=30 * 60)
NOTIFY_SMTP_TIMEOUT = env.int("NOTIFY_SMTP_TIMEOUT", default=60)
# A group robot (企业微信, 钉钉) that does not answer in this many seconds is tried again later.
NOTIFY_WEBHOOK_TIMEOUT = env.int("NOTIFY_WEBHOOK_TIMEOUT", default=10)
# A pending row not picked up this long after it was due (lost enqueue, Redis down) is enqueued again.
NOTIFY_PENDING_GRACE_SECONDS = env.int("NOTIFY_PENDING_GRACE_SECONDS", default=10 * 60)
NOTIFY_RETRY_BASE_SECONDS = env.int("NOTIFY_RETRY_BASE_SECONDS", default=60)
NOTIFY_RETRY_MAX_SECONDS = env.int("NOTIFY_RETRY_MAX_SECONDS", default=6 * 60 * 60)
NOTIFY_MAX_ATTEMPTS = env.int("NOTIFY_MAX_ATTEMPTS", default=8)
NOTIFY_BATCH_SIZE = env.int("NOTIFY_BATCH_SIZE", default=1000)
NOTIFY_SITE_URL = env.str("NOTIFY_SITE_URL", default="http://127.0.0.1:8000").rstrip("/")
NOTIFY_ICS_MAX_EVENTS = env.int("NOTIFY_ICS_MAX_EVENTS", default=2000)

# /healthz fails when the last reminder sweep finished longer ago than this (0: not checked). With
# a broker, beat runs it every NOTIFY_SWEEP_EVERY_SECONDS: three intervals missed means beat or the
# sweep queue's workers are gone. Without one (the demo) nothing runs it on a schedule.
HEALTH_SWEEP_MAX_AGE_SECONDS = env.int(
    "HEALTH_SWEEP_MAX_AGE_SECONDS",
    default=3 * CELERY_BEAT_SCHEDULE["notifications-sweep"]["schedule"] if CELERY_BROKER_URL else 0,
)
HEALTH_BROKER_TIMEOUT_SECONDS = env.int("HEALTH_BROKER_TIMEOUT_SECONDS", default=2)

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.LimitOffsetPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    # tracker.api.throttling reads API_THROTTLE_RATES at each request (DRF's own classes freeze the
    # rates at import, which no setting override reaches).
    "DEFAULT_THROTTLE_CLASSES": [
        "tracker.api.throttling.AnonThrottle",
        "tracker.api.throttling.UserThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": API_THROTTLE_RATES,
}

SPECTACULAR_SETTINGS = {
    "TITLE": "Policy measure tracker API",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "ENUM_NAME_OVERRIDES": {"TaskStatusEnum": "tracker.models.Task.Status"},
    # Swagger UI served from our own static files, not a CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="WARNING")},
}
