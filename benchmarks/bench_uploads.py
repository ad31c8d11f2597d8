"""Uploading a big file to Daphne: the server's extra memory while it receives and parses it.

Serves the platform twice, with plain `daphne` and with `fer_platform.serve` (the way scripts/run.sh
and docker run it), and posts a multipart upload of --mb megabytes to /api/v1/jobs/ with an API token
(the file is not a real video, so it is refused once Django has parsed it: only receiving and parsing
are measured). Prints the peak growth of the server's resident memory, median of --runs, and the time.

    .venv/bin/python benchmarks/bench_uploads.py [--mb 150] [--runs 3]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import requests

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT))

from benchmarks.bench_downloads import PeakMemory  # noqa: E402
from fer_platform import devservers  # noqa: E402


def upload(base: str, token: str, body_path: Path, server_pid: int) -> tuple[float, float, int]:
    """(server memory growth in MB, seconds, status) of one upload of the file at `body_path`."""
    started = time.perf_counter()
    with PeakMemory(server_pid) as memory, open(body_path, "rb") as body:
        response = requests.post(f"{base}/api/v1/jobs/", files={"file": ("big.mp4", body, "video/mp4")},
                                 headers={"Authorization": f"Token {token}"}, timeout=600)
    return memory.growth_mb, time.perf_counter() - started, response.status_code


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mb", type=int, default=150)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="bench-uploads-") as folder:
        body_path = Path(folder) / "big.bin"
        with open(body_path, "wb") as body:
            for _ in range(args.mb):
                body.write(os.urandom(1 << 20))
        for module in ("daphne", "fer_platform.serve"):
            server_folder = Path(folder) / module
            env = devservers.server_env(server_folder, FER_MAX_VIDEO_MB=str(args.mb * 2))
            with devservers.daphne(server_folder, env, module=module) as (base, server):
                devservers.manage("ensure_demo_user", env=env)
                token = requests.post(f"{base}/api/v1/auth/token/", json={"username": "demo",
                                                                            "password": "demo-producer"}).json()["token"]
                runs = [upload(base, token, body_path, server.pid) for _ in range(args.runs)]
            print(f"{module}: a {args.mb} MB upload: server memory +{statistics.median(r[0] for r in runs):.0f} MB, "
                  f"{statistics.median(r[1] for r in runs):.1f} s (median of {args.runs}; "
                  f"answered {sorted({r[2] for r in runs})})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
