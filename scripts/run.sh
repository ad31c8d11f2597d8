#!/usr/bin/env bash
# Set everything up and run the platform: `bash scripts/run.sh`.
#
# Embedded defaults need no server: SQLite under var/, a filesystem Celery broker
# and an in-memory channel layer. Set DATABASE_URL / REDIS_URL (and the other
# variables in docs/ARCHITECTURE.md) to use PostgreSQL and Redis instead.
# HOST and PORT choose where the web server listens (default 127.0.0.1:8000).

source "$(dirname "${BASH_SOURCE[0]}")/_setup.sh"

HOST="${HOST:-127.0.0.1}"
PORT="${PORT:-8000}"

setup_python
setup_frontend
setup_database

case "$(printf '%s' "${DJANGO_DEBUG:-1}" | tr '[:upper:]' '[:lower:]')" in
  0|false|no|off)
    log "Collecting static files (DJANGO_DEBUG is off)"
    "$VENV_PY" manage.py collectstatic --noinput -v 0
    ;;
esac

log "Ensuring the demo producer account (demo / demo-producer) and its demo campaign"
"$VENV_PY" manage.py ensure_demo_user
"$VENV_PY" manage.py ensure_demo_campaign
# A failed clearing step is logged and named; it must not keep the platform from starting.
"$VENV_PY" manage.py purge_expired_data || log "Some of the daily clearing failed (see above); starting anyway"

mkdir -p var/log
log "Starting the Celery worker with its beat, the daily clearing's clock (log: var/log/worker.log)"
.venv/bin/celery -A fer_platform worker -l info --beat --schedule "$REPO_ROOT/var/celerybeat-schedule" \
  --concurrency "${FER_WORKER_CONCURRENCY:-1}" >>"$REPO_ROOT/var/log/worker.log" 2>&1 &
WORKER_PID=$!

log "Serving on http://$HOST:$PORT/ (Ctrl-C to stop)"
.venv/bin/python -m fer_platform.serve -b "$HOST" -p "$PORT" fer_platform.asgi:application &
SERVER_PID=$!

stop_all() {
  trap - EXIT INT TERM
  for pid in "$SERVER_PID" "$WORKER_PID"; do
    kill -TERM "$pid" 2>/dev/null || true
  done
  log "Stopping the web server and the Celery worker"
  # A worker stopped while its pool process is still loading TensorFlow can hang in
  # warm shutdown; give both 20 s, then kill what is left so Ctrl-C always returns.
  for _ in $(seq 1 20); do
    kill -0 "$SERVER_PID" 2>/dev/null || kill -0 "$WORKER_PID" 2>/dev/null || break
    sleep 1
  done
  for pid in "$SERVER_PID" "$WORKER_PID"; do
    kill -KILL "$pid" 2>/dev/null || true
  done
  wait "$SERVER_PID" "$WORKER_PID" 2>/dev/null || true
}
trap stop_all EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# Both run in the background so a signal to this script is handled at once;
# if either one stops, the other is stopped too.
set +e
wait -n "$SERVER_PID" "$WORKER_PID"
status=$?
set -e
if kill -0 "$SERVER_PID" 2>/dev/null; then
  echo "The Celery worker stopped (exit $status); see var/log/worker.log." >&2
else
  echo "The web server stopped (exit $status)." >&2
fi
exit "$status"
