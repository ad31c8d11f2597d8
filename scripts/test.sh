#!/usr/bin/env bash
# Set everything up and run the test suite: `bash scripts/test.sh [pytest args]`.
#
# Uses the embedded defaults unless DATABASE_URL / REDIS_URL are set (CI runs
# it both ways, see .ci/run). The browser tests need /usr/bin/chromium, which
# is installed here with apt when missing.

source "$(dirname "${BASH_SOURCE[0]}")/_setup.sh"

setup_python
setup_frontend

missing=()
[ -x /usr/bin/chromium ] || missing+=(chromium chromium-driver)
command -v ffmpeg >/dev/null || missing+=(ffmpeg)
if [ "${#missing[@]}" -gt 0 ]; then
  log "Installing ${missing[*]} with apt (browser tests and video fixtures)"
  apt_install "${missing[@]}"
fi

log "Running the tests"
set +e
"$VENV_PY" -m pytest "$@"
status=$?
set -e
if [ "$status" -eq 5 ]; then
  echo "pytest collected no tests; treating that as a failure." >&2
  exit 1
fi
exit "$status"
