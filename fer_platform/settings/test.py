"""Test settings: eager Celery, in-memory channels, fast hashing, media in a temp folder.

DATABASE_URL and REDIS_URL still apply, so the same suite runs against PostgreSQL
and Redis in CI; tests that need a real worker or the Redis layer opt in with
the `services` marker.
"""

import os
import tempfile
from pathlib import Path

from fer_platform.settings.base import *  # noqa: F401,F403

DEBUG = False
SECRET_KEY = "test-only-secret-key"
ALLOWED_HOSTS = ["localhost", "127.0.0.1", "testserver"]

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

# tests/conftest.py points each test at its own folder; this is the fallback.
MEDIA_ROOT = Path(tempfile.gettempdir()) / "fer-test-media"

# DEBUG is off above, but the pages under test are served from the source folders as in development.
WHITENOISE_USE_FINDERS = True

CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
# Each test starts with no counted sign-ins (tests/conftest.py clears it); Redis would share them.
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

CELERY_TASK_ALWAYS_EAGER = True
CELERY_TASK_EAGER_PROPAGATES = True
# A queue of this run's own, so a worker started by a test never takes (or is
# taken from by) another process consuming the shared Redis.
CELERY_TASK_DEFAULT_QUEUE = f"fer-test-{os.getpid()}"
