"""Celery: Redis when REDIS_URL is set, otherwise a filesystem broker that needs no server."""

from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

from fer_platform.settings.env import env_int, env_str


def celery_settings(*, base_dir: Path, redis_url: str | None) -> dict:
    concurrency = env_int("FER_WORKER_CONCURRENCY", 1)
    housekeeping_hours = env_int("FER_HOUSEKEEPING_INTERVAL_H", 24)
    if housekeeping_hours < 1:
        raise ImproperlyConfigured(f"FER_HOUSEKEEPING_INTERVAL_H={housekeeping_hours} must be 1 hour or more.")
    if redis_url:
        broker_url = redis_url
        transport_options = {}
    else:
        broker_dir = base_dir / "var" / "broker"
        queue_dir = broker_dir / "queue"
        processed_dir = broker_dir / "processed"
        control_dir = broker_dir / "control"
        for folder in (queue_dir, processed_dir, control_dir):
            folder.mkdir(parents=True, exist_ok=True)
        broker_url = "filesystem://"
        # Producer and consumer share one folder; a short poll keeps upload-to-result fast.
        transport_options = {
            "data_folder_in": str(queue_dir),
            "data_folder_out": str(queue_dir),
            "processed_folder": str(processed_dir),
            # Without it kombu writes its broadcast exchanges into the current directory.
            "control_folder": str(control_dir),
            "store_processed": False,
            "polling_interval": 0.1,
        }
    return {
        "CELERY_BROKER_URL": broker_url,
        "CELERY_BROKER_TRANSPORT_OPTIONS": transport_options,
        "CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP": True,
        # Results live in the database (AnalysisJob); no result backend needed.
        "CELERY_TASK_IGNORE_RESULT": True,
        "CELERY_TASK_ACKS_LATE": True,
        "CELERY_TASK_REJECT_ON_WORKER_LOST": True,
        # One long job must not hold back messages other workers could take.
        "CELERY_WORKER_PREFETCH_MULTIPLIER": 1,
        # Each pool process loads the models as it starts; the 4 s default is too short.
        "CELERY_WORKER_PROC_ALIVE_TIMEOUT": 180,
        "CELERY_WORKER_CONCURRENCY": concurrency,
        # On a broker without an event loop (the filesystem one), Celery's worker applies a prefork
        # child's acknowledgement only between its 2-second waits for messages, so each job would
        # start 2 s after the one before; the solo pool runs the job inside that loop instead.
        "CELERY_WORKER_POOL": "solo" if not redis_url and concurrency == 1 else "prefork",
        # Where jobs are sent, including those a starting worker requeues; a worker consumes it by
        # default. Tests give each run its own so parallel runs never take each other's jobs.
        "CELERY_TASK_DEFAULT_QUEUE": env_str("FER_CELERY_QUEUE") or "celery",
        "CELERY_TASK_ALWAYS_EAGER": False,
        # Retention periods are a promise to viewers: Celery beat (`celery beat`, or a worker's -B)
        # sends the clearing on a clock, not only when a worker happens to start.
        "CELERY_BEAT_SCHEDULE": {
            "housekeeping": {"task": "studies.run_housekeeping", "schedule": housekeeping_hours * 3600.0},
            "abandoned-sessions": {"task": "studies.close_abandoned_sessions", "schedule": 10 * 60.0},
            # a worker that died mid-job: its job runs again within minutes, not at the next worker start
            "stale-jobs": {"task": "studies.requeue_stale_jobs", "schedule": 60.0,
                           "options": {"expires": 55}},  # a sweep behind busy workers is skipped, not piled up
        },
    }
