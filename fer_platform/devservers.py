"""Start the platform's own processes in subprocesses, for browser tests and benchmarks.

Nothing here runs in production: it is the one way tests and benchmarks start a
real Daphne (HTTP and WebSockets) or a Celery worker, on a database of their own.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def process(command: list[str], log_path: Path, env: dict):
    """A subprocess whose output goes to `log_path`, terminated (then killed) on exit."""
    with open(log_path, "wb") as log:
        child = subprocess.Popen(command, cwd=REPO_ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        yield child
    finally:
        child.terminate()
        try:
            child.wait(timeout=20)
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()


def wait_for_port(port: int, child: subprocess.Popen, log_path: Path, timeout_s: float = 60) -> None:
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            if child.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"the server did not start; its log ends: {log_path.read_text()[-2000:]}")
            time.sleep(0.2)


def server_env(folder: Path, *, database_url: str | None = None, redis_url: str | None = None, **extra: str) -> dict:
    """The environment of a server on a throwaway SQLite database (or `database_url`) under `folder`.

    REDIS_URL is taken from the arguments only, so a caller decides whether the
    server uses Redis (Celery broker, Channels layer) or the embedded defaults.
    """
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "fer_platform.settings.base", "DJANGO_DEBUG": "1",
           "DATABASE_URL": database_url or f"sqlite:///{folder / 'db.sqlite3'}", "MEDIA_ROOT": str(folder / "media"),
           **extra}
    env.pop("REDIS_URL", None)
    if redis_url:
        env["REDIS_URL"] = redis_url
    return env


def manage(*arguments: str, env: dict) -> None:
    subprocess.run([sys.executable, "manage.py", *arguments], cwd=REPO_ROOT, env=env, check=True,
                   capture_output=True, timeout=300)


@contextmanager
def daphne(folder: Path, env: dict, *, module: str = "fer_platform.serve"):
    """Migrate, then serve the ASGI application; yields (base URL, the server process). `module` is
    the server run with `python -m`: the platform's, or plain "daphne" for a benchmark's comparison."""
    folder.mkdir(parents=True, exist_ok=True)
    manage("migrate", "--noinput", env=env)
    port = free_port()
    log_path = folder / "daphne.log"
    command = [sys.executable, "-m", module, "-b", "127.0.0.1", "-p", str(port), "fer_platform.asgi:application"]
    with process(command, log_path, env) as server:
        wait_for_port(port, server, log_path)
        yield f"http://127.0.0.1:{port}", server


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")
