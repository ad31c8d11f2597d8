"""Settings for every environment, driven by the variables read in `env.py`.

With no environment at all this runs on embedded defaults: SQLite, a filesystem
Celery broker and an in-memory channel layer, all under `var/`.
"""

from pathlib import Path

import dj_database_url

from fer_platform.settings.celery import celery_settings
from fer_platform.settings.channels import channel_layers
from fer_platform.settings.env import env_bool, env_int, env_list, env_required_in_production, env_str
from fer_platform.settings.live import *  # noqa: F401,F403
from fer_platform.settings.uploads import *  # noqa: F401,F403

BASE_DIR = Path(__file__).resolve().parent.parent.parent
VAR_DIR = BASE_DIR / "var"
VAR_DIR.mkdir(exist_ok=True)

DEBUG = env_bool("DJANGO_DEBUG", True)
_PRODUCTION = not DEBUG
# The demo producer account has a published password, so everyone who signs in to it shares it:
# made by `ensure_demo_user` on a development machine, in production only when asked for.
FER_DEMO_ACCOUNT = env_bool("FER_DEMO_ACCOUNT", DEBUG)

SECRET_KEY = env_required_in_production(
    "DJANGO_SECRET_KEY",
    production=_PRODUCTION,
    development_default="django-insecure-development-only-key-do-not-use-in-production",
)
ALLOWED_HOSTS = env_list(
    "DJANGO_ALLOWED_HOSTS",
    [] if _PRODUCTION else ["localhost", "127.0.0.1", "[::1]", "testserver"],
)
if _PRODUCTION and not ALLOWED_HOSTS:
    env_required_in_production("DJANGO_ALLOWED_HOSTS", production=True, development_default="")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

# Served over HTTPS through a reverse proxy that terminates TLS and sets X-Forwarded-Proto (and
# overwrites any a client sent): cookies then never travel in clear, plain HTTP is redirected.
_HTTPS = env_bool("DJANGO_HTTPS", False)
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = _HTTPS
SECURE_SSL_REDIRECT = _HTTPS
if _HTTPS:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# Browsers remember HSTS for this long: raise it once HTTPS is there for good (e.g. 31536000).
SECURE_HSTS_SECONDS = env_int("DJANGO_HSTS_SECONDS", 0)

INSTALLED_APPS = [
    # daphne first: its runserver serves HTTP and WebSockets from the ASGI app.
    "daphne",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "channels",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "studies",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "fer_platform.urls"
WSGI_APPLICATION = "fer_platform.wsgi.application"
ASGI_APPLICATION = "fer_platform.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
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

DATABASES = {
    "default": dj_database_url.parse(
        env_str("DATABASE_URL") or f"sqlite:///{VAR_DIR / 'db.sqlite3'}",
        conn_max_age=60,
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # A pool per process instead of persistent connections: under ASGI each request runs in a
    # thread of its own, and per-thread connections would pile up past max_connections.
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {
        "min_size": 1, "max_size": env_int("FER_DB_POOL_SIZE", 10), "timeout": 30,
    }
elif DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # The embedded database is written from several threads at once (web requests, live
    # viewers' samples): writers take the lock up front and wait for it instead of failing
    # with "database is locked", and WAL lets readers go on while one writes.
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 30,
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# The gate refuses sign-ins from an address that failed too often (studies.services.sign_in_refusal);
# ModelBackend checks the password.
AUTHENTICATION_BACKENDS = ["studies.auth_backends.SignInLimitGate", "django.contrib.auth.backends.ModelBackend"]
LOGIN_URL = "/accounts/login/"
LOGIN_REDIRECT_URL = "/jobs/"
LOGOUT_REDIRECT_URL = "/"

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = Path(env_str("STATIC_ROOT") or VAR_DIR / "staticfiles")
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # WhiteNoise warns at every start while it is missing
STATICFILES_DIRS = [BASE_DIR / "static"]
# Only the built files of the npm packages, under their package paths ('bootstrap/dist/css/...'):
# the rest of node_modules (sources, lock files) is never collected or served.
for _package in ("bootstrap", "chart.js"):
    if (BASE_DIR / "node_modules" / _package / "dist").is_dir():
        STATICFILES_DIRS.append((f"{_package}/dist", BASE_DIR / "node_modules" / _package / "dist"))
# In development straight from the source folders, so no collectstatic step is needed; in production
# from STATIC_ROOT, collected and compressed once (run.sh, the Docker build), never files mid-edit.
WHITENOISE_USE_FINDERS = DEBUG
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}

MEDIA_ROOT = Path(env_str("MEDIA_ROOT") or VAR_DIR / "media")
MEDIA_URL = "/media/"

REDIS_URL = env_str("REDIS_URL") or None
# Reverse proxies in front of the web server, each appending to X-Forwarded-For: the client address
# (sign-in and join limits) is the one the outermost proxy saw, not what a client wrote in the header.
FER_PROXY_COUNT = env_int("FER_PROXY_COUNT", 0)
# Counts of failed sign-ins and viewer joins (studies.rate_limits): in Redis, every process counts together.
CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL,
                      "KEY_PREFIX": "fer"}} if REDIS_URL else \
    {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
CHANNEL_LAYERS = channel_layers(redis_url=REDIS_URL)
globals().update(celery_settings(base_dir=BASE_DIR, redis_url=REDIS_URL))

FER_MODEL_PATH = env_str("FER_MODEL_PATH") or None

REST_FRAMEWORK = {
    # Token first: its WWW-Authenticate header turns anonymous requests into 401, not 403.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PARSER_CLASSES": [
        "studies.api.parsers.SizeLimitedJSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 20,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "studies.api.errors.api_exception_handler",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "FER platform API",
    "DESCRIPTION": (
        "Facial-expression analysis of images and videos: upload, poll status and progress, read per-face "
        "emotions; videos also give an annotated MP4 and a per-frame timeline (CSV, JSON). Ad-testing "
        "campaigns: segments, invitations, viewer sessions, sample ingestion and the aggregated report."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # request and response shapes apart, so that an upload field is a binary file in the docs
    # (and "Try it out" offers a file picker), not a URL string
    "COMPONENT_SPLIT_REQUEST": True,
    "SWAGGER_UI_DIST": "SIDECAR",
    # one readable name per choice set in the schema
    "ENUM_NAME_OVERRIDES": {
        "JobStatusEnum": "studies.models.AnalysisJob.Status",
        "CampaignStatusEnum": "studies.models.Campaign.Status",
        "ViewerSessionStatusEnum": "studies.models.ViewerSession.Status",
        "AgeBandEnum": "studies.models.ViewerSession.AgeBand",
        "GenderEnum": "studies.models.ViewerSession.Gender",
    },
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "studies.api.schema.add_default_errors",
    ],
    "REDOC_DIST": "SIDECAR",
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": "INFO"},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}
