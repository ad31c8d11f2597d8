# Shared set-up for run.sh and test.sh: sourced, not run. Idempotent and quick
# on a machine that is already set up (stamp files skip unchanged installs).

set -euo pipefail

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$REPO_ROOT"
VENV_PY="$REPO_ROOT/.venv/bin/python"

log() { printf '\033[1;34m==>\033[0m %s\n' "$*"; }

_as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else
    echo "Need root to run: $*" >&2; return 1; fi
}

_apt_updated=0
apt_install() {
  if [ "$_apt_updated" -eq 0 ]; then
    _as_root apt-get update -q
    _apt_updated=1
  fi
  DEBIAN_FRONTEND=noninteractive _as_root apt-get install -y -q "$@"
}

_stamp_matches() {  # _stamp_matches STAMP_FILE INPUT_FILE...
  local stamp="$1"; shift
  [ -f "$stamp" ] && [ "$(cat "$@" | sha256sum)" = "$(cat "$stamp")" ]
}

_write_stamp() {
  local stamp="$1"; shift
  cat "$@" | sha256sum > "$stamp"
}

setup_python() {
  if [ ! -x "$VENV_PY" ]; then
    log "Creating the virtual environment in .venv"
    "${PYTHON:-python3}" -m venv .venv
  fi
  if _stamp_matches .venv/.requirements.sha256 requirements.txt constraints.txt; then
    log "Python packages are up to date"
  else
    log "Installing Python packages from requirements.txt (the first time takes a few minutes)"
    "$VENV_PY" -m pip install --disable-pip-version-check -q -r requirements.txt -c constraints.txt
    _write_stamp .venv/.requirements.sha256 requirements.txt constraints.txt
  fi
}

setup_frontend() {
  if ! command -v npm >/dev/null; then
    log "Installing Node.js and npm (needed for Bootstrap and Chart.js)"
    apt_install nodejs npm
  fi
  if [ -d node_modules ] && _stamp_matches node_modules/.package-lock.sha256 package-lock.json; then
    log "Front-end packages are up to date"
  else
    log "Installing front-end packages (Bootstrap, Chart.js) from npm"
    npm ci --no-audit --no-fund --loglevel=error
    _write_stamp node_modules/.package-lock.sha256 package-lock.json
  fi
}

setup_database() {
  log "Applying database migrations"
  "$VENV_PY" manage.py migrate --noinput
}
