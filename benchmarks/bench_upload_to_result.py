"""Upload-to-result time through the REST API and a Celery worker (target: median under 1 s).

    python benchmarks/bench_upload_to_result.py                 # starts its own web server + worker
    python benchmarks/bench_upload_to_result.py --url http://127.0.0.1:8000   # an already running stack

Each run uploads the image (multipart POST /api/v1/jobs/) and polls the job until it
has finished; the clock runs from just before the upload to the first poll that sees
the result. Warm-up uploads first, so the worker has its models loaded. Then
`--batch` uploads at once, as a multi-file upload sends them, timed to the last
result: that shows how fast the worker takes one job after another. Started
processes use whatever DATABASE_URL / REDIS_URL the environment gives (embedded
defaults without them), and the worker is started as `scripts/run.sh` starts it.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from contextlib import ExitStack, contextmanager
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))

from fer_platform import devservers  # noqa: E402
DEFAULT_IMAGE = (REPO_ROOT / ".." / "shared" / "samples" / "multi_face.jpg").resolve()
TARGET_MEDIAN_S = 1.0
POLL_INTERVAL_S = 0.02
JOB_TIMEOUT_S = 120
DEMO_USERNAME, DEMO_PASSWORD = "demo", "demo-producer"


class BenchmarkError(RuntimeError):
    pass


def _request(url: str, *, data: bytes | None = None, headers: dict | None = None) -> dict:
    request = urllib.request.Request(url, data=data, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return json.loads(response.read())
    except urllib.error.HTTPError as error:
        raise BenchmarkError(f"{request.get_method()} {url} -> {error.code}: {error.read()[:500]!r}") from None


def fetch_token(base_url: str, username: str, password: str) -> str:
    body = json.dumps({"username": username, "password": password}).encode()
    return _request(f"{base_url}/api/v1/auth/token/", data=body, headers={"Content-Type": "application/json"})[
        "token"
    ]


def _multipart(field: str, filename: str, content: bytes) -> tuple[bytes, str]:
    boundary = uuid.uuid4().hex
    head = (
        f"--{boundary}\r\nContent-Disposition: form-data; name=\"{field}\"; filename=\"{filename}\"\r\n"
        "Content-Type: application/octet-stream\r\n\r\n"
    ).encode()
    return head + content + f"\r\n--{boundary}--\r\n".encode(), f"multipart/form-data; boundary={boundary}"


def upload(base_url: str, token: str, image: Path) -> dict:
    body, content_type = _multipart("file", image.name, image.read_bytes())
    return _request(f"{base_url}/api/v1/jobs/", data=body,
                    headers={"Authorization": f"Token {token}", "Content-Type": content_type})


def wait_for(job: dict, token: str, started: float) -> dict:
    """Poll the job until it has finished; raises BenchmarkError if it failed or took too long."""
    while job["status"] not in ("succeeded", "failed"):
        if time.perf_counter() - started > JOB_TIMEOUT_S:
            raise BenchmarkError(f"job {job['id']} did not finish in {JOB_TIMEOUT_S} s (is a worker running?)")
        time.sleep(POLL_INTERVAL_S)
        job = _request(job["url"], headers={"Authorization": f"Token {token}"})
    if job["status"] != "succeeded":
        raise BenchmarkError(f"job {job['id']} failed: {job['error']}")
    return job


def upload_and_wait(base_url: str, token: str, image: Path) -> tuple[float, dict]:
    started = time.perf_counter()
    job = wait_for(upload(base_url, token, image), token, started)
    return time.perf_counter() - started, job


def batch_seconds(base_url: str, token: str, image: Path, size: int) -> float:
    """Upload `size` copies back to back, as a batch upload does; seconds until the last result."""
    started = time.perf_counter()
    jobs = [upload(base_url, token, image) for _ in range(size)]
    for job in jobs:
        wait_for(job, token, started)
    return time.perf_counter() - started


def _wait_for_http(url: str, process: subprocess.Popen, timeout_s: float = 120) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise BenchmarkError(f"the web server exited with {process.returncode}")
        try:
            urllib.request.urlopen(url, timeout=2).close()
            return
        except urllib.error.HTTPError:
            return  # any HTTP answer means the server is up
        except OSError:
            time.sleep(0.3)
    raise BenchmarkError(f"the web server did not answer at {url} within {timeout_s} s")


@contextmanager
def started_stack(port: int, log_dir: Path):
    """migrate + demo user, then `manage.py runserver` (Daphne) and a Celery worker as `run.sh` starts it."""
    python = sys.executable
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "fer_platform.settings.base"}
    for command in (["migrate", "--noinput"], ["ensure_demo_user"]):
        subprocess.run([python, "manage.py", *command], cwd=REPO_ROOT, env=env, check=True, capture_output=True)
    log_dir.mkdir(parents=True, exist_ok=True)
    celery = str(Path(python).with_name("celery"))
    with ExitStack() as stack:
        worker = stack.enter_context(
            devservers.process(
                [celery, "-A", "fer_platform", "worker", "-l", "info",
                 "--without-gossip", "--without-mingle"],
                log_dir / "worker.log",
                env,
            )
        )
        web = stack.enter_context(
            devservers.process([python, "manage.py", "runserver", f"127.0.0.1:{port}", "--noreload"], log_dir / "web.log", env)
        )
        base_url = f"http://127.0.0.1:{port}"
        _wait_for_http(f"{base_url}/api/v1/schema/", web)
        if worker.poll() is not None:
            raise BenchmarkError(f"the worker exited with {worker.returncode}; see {log_dir / 'worker.log'}")
        yield base_url


def run(base_url: str, *, image: Path, count: int, warmup: int, username: str, password: str,
        batch: int) -> tuple[list[float], list[float]]:
    """(single-upload timings, batch timings) in seconds."""
    token = fetch_token(base_url, username, password)
    for _ in range(warmup):
        upload_and_wait(base_url, token, image)  # loads the models in the worker, warms caches
    timings = []
    for number in range(1, count + 1):
        elapsed, job = upload_and_wait(base_url, token, image)
        timings.append(elapsed)
        print(f"run {number:2d}: {elapsed * 1000:7.1f} ms  ({job['face_count']} faces, worker {job['timings_ms']})")
    batches = []
    for number in range(1, 4 if batch else 1):
        batches.append(batch_seconds(base_url, token, image, batch))
        print(f"batch {number}: {batch} uploads, last result after {batches[-1]:.2f} s")
    return timings, batches


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--url", help="base URL of a running stack (default: start one here)")
    parser.add_argument("--port", type=int, default=None, help="port for the stack this script starts (default: a free one)")
    parser.add_argument("--image", type=Path, default=DEFAULT_IMAGE)
    parser.add_argument("-n", "--count", type=int, default=10, help="timed uploads")
    parser.add_argument("--warmup", type=int, default=2, help="untimed uploads first")
    parser.add_argument("--batch", type=int, default=6,
                        help="then upload this many at once, three times, and time the last result (0: skip)")
    parser.add_argument("--username", default=DEMO_USERNAME)
    parser.add_argument("--password", default=DEMO_PASSWORD)
    args = parser.parse_args(argv)

    with ExitStack() as stack:
        base_url = args.url.rstrip("/") if args.url else stack.enter_context(
            started_stack(args.port or devservers.free_port(), REPO_ROOT / "benchmarks" / "out")
        )
        timings, batches = run(
            base_url, image=args.image, count=args.count, warmup=args.warmup,
            username=args.username, password=args.password, batch=args.batch,
        )
    median = statistics.median(timings)
    print(
        f"upload-to-result for {args.image.name}: median {median * 1000:.0f} ms, "
        f"min {min(timings) * 1000:.0f} ms, max {max(timings) * 1000:.0f} ms over {len(timings)} runs "
        f"(target < {TARGET_MEDIAN_S * 1000:.0f} ms: {'met' if median < TARGET_MEDIAN_S else 'NOT met'})"
    )
    if batches:
        print(f"batch of {args.batch} uploads: last result after a median {statistics.median(batches):.2f} s "
              f"({statistics.median(batches) / args.batch * 1000:.0f} ms per image)")
    return 0 if median < TARGET_MEDIAN_S else 1


if __name__ == "__main__":
    sys.exit(main())
