"""The Celery app; its configuration lives in Django settings under the CELERY_ prefix."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "fer_platform.settings.base")

app = Celery("fer_platform")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
