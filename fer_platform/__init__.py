"""The Django project. Loading the Celery app here makes `@shared_task` bind to it."""

from fer_platform.celery import app as celery_app

__all__ = ("celery_app",)
