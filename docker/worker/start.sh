#!/usr/bin/env bash
# Worker role: one Celery worker; run more with `docker compose up --scale worker=N`
# or more processes per container with FER_WORKER_CONCURRENCY.
set -euo pipefail
exec celery -A fer_platform worker -l info --concurrency "${FER_WORKER_CONCURRENCY:-1}"
