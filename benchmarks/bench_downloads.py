"""Downloading big results from Daphne: time to the first byte and the server's extra memory.

    python benchmarks/bench_downloads.py            # a 300 MB annotated video, and a batch of two
    python benchmarks/bench_downloads.py --mb 100 --runs 5
    python benchmarks/bench_downloads.py --compare  # plain daphne too, for the same downloads

Starts its own Daphne on a throwaway database, stores a video job whose annotated file is
`--mb` MB of random bytes (and a second one for the batch), and downloads, as a signed-in
producer, the video as a player asks for it (`Range: bytes=0-`) and the batch's .zip. For each
it prints the median time to the first byte and to the last, and the largest growth of the
server's resident memory while sending, so a body read whole into memory before it is sent
(what Django's ASGI handler does to a synchronous iterator) shows as memory the size of the file.

Then a slow client: it reads the video's first MB and stops reading for `--stall` seconds. A server
that keeps sending to a client that does not take it holds the rest of the file in its memory; the
figure is the server's largest memory growth from the request to the end of the stall.
"""

from __future__ import annotations

import argparse
import re
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

import requests

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))

from fer_platform import devservers  # noqa: E402

MAKE_JOBS = """
import os, uuid
from django.contrib.auth import get_user_model
from django.core.files.base import ContentFile
from studies.models import AnalysisJob
user = get_user_model().objects.create_user("bench", password="bench-password")
batch = uuid.uuid4()
for number in range(2):
    job = AnalysisJob.objects.create(owner=user, kind="video", status="succeeded", progress=100, batch_id=batch,
                                     original_filename=f"ad{number}.mp4", result={"tracks": [], "chart": []})
    job.input_file.save("input.mp4", ContentFile(b"-"), save=False)
    for field, name in ((job.annotated_file, "annotated.mp4"), (job.timeline_csv, "timeline.csv"),
                        (job.timeline_json, "timeline.json")):
        field.save(name, ContentFile(b""), save=False)
    job.save()
    with open(job.annotated_file.path, "wb") as video:
        for _ in range({mb}):
            video.write(os.urandom(1 << 20))
    print("job", job.id)
print("batch", batch)
"""


class PeakMemory:
    """The largest resident memory of a process while the block runs, sampled every 20 ms."""

    def __init__(self, pid: int):
        self.pid, self.peak_mb, self._running = pid, 0.0, False

    def __enter__(self):
        self.before_mb = devservers.rss_mb(self.pid)
        self._running = True
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()
        return self

    def _sample(self):
        while self._running:
            self.peak_mb = max(self.peak_mb, devservers.rss_mb(self.pid))
            time.sleep(0.02)

    def __exit__(self, *exc):
        self._running = False
        self._thread.join()

    @property
    def growth_mb(self) -> float:
        return max(0.0, self.peak_mb - self.before_mb)


def signed_in(base: str) -> requests.Session:
    session = requests.Session()
    page = session.get(f"{base}/accounts/login/").text
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    session.post(f"{base}/accounts/login/", data={"username": "bench", "password": "bench-password",
                                                   "csrfmiddlewaretoken": token}).raise_for_status()
    return session


def download(session: requests.Session, url: str, server_pid: int, **headers) -> tuple[float, float, float, int]:
    """(seconds to the first byte, seconds to the last, server memory growth in MB, bytes)."""
    started, first, size = time.perf_counter(), None, 0
    with PeakMemory(server_pid) as memory, session.get(url, headers=headers, stream=True) as response:
        response.raise_for_status()
        for chunk in response.iter_content(1 << 16):
            first = first if first is not None else time.perf_counter() - started
            size += len(chunk)
    return first, time.perf_counter() - started, memory.growth_mb, size


def stalled_download(session: requests.Session, url: str, server_pid: int, stall_s: float,
                     **headers) -> tuple[float, int]:
    """(server memory growth in MB, bytes) for a client that reads 1 MB, then nothing for `stall_s`,
    then the rest."""
    with session.get(url, headers=headers, stream=True) as response:
        with PeakMemory(server_pid) as memory:
            response.raise_for_status()
            size = len(response.raw.read(1 << 20))
            time.sleep(stall_s)
        while chunk := response.raw.read(1 << 20):  # the rest, so the server is free for the next run
            size += len(chunk)
    return memory.growth_mb, size


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mb", type=int, default=300, help="size of each annotated video (default 300)")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--stall", type=float, default=5.0,
                        help="seconds the slow client stops reading after its first MB (default 5; 0 skips it)")
    parser.add_argument("--compare", action="store_true", help="also run plain daphne, without the platform's changes")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="bench-downloads-") as folder:
        for module in (["daphne"] if args.compare else []) + ["fer_platform.serve"]:
            server_folder = Path(folder) / module
            env = devservers.server_env(server_folder)
            with devservers.daphne(server_folder, env, module=module) as (base, server):
                made = devservers.subprocess.run(
                    [sys.executable, "manage.py", "shell", "-c", MAKE_JOBS.replace("{mb}", str(args.mb))],
                    cwd=REPO_ROOT, env=env, check=True, capture_output=True, text=True).stdout.split()
                job_id, batch_id = made[made.index("job") + 1], made[made.index("batch") + 1]
                session = signed_in(base)
                video_url = f"{base}/jobs/{job_id}/annotated.mp4"
                for label, url, headers in [
                    (f"video ({args.mb} MB, Range: bytes=0-)", video_url, {"Range": "bytes=0-"}),
                    (f"batch zip (2 x {args.mb} MB)", f"{base}/batches/{batch_id}/download.zip", {}),
                ]:
                    runs = [download(session, url, server.pid, **headers) for _ in range(args.runs)]
                    print(f"{module}: {label}: first byte {statistics.median(r[0] for r in runs):.2f} s, "
                          f"all {statistics.median(r[1] for r in runs):.2f} s, "
                          f"server memory +{statistics.median(r[2] for r in runs):.0f} MB "
                          f"(median of {args.runs}; {runs[0][3] >> 20} MB each)")
                if args.stall > 0:
                    runs = [stalled_download(session, video_url, server.pid, args.stall) for _ in range(args.runs)]
                    assert all(size == args.mb << 20 for _, size in runs), "a slow client did not get the whole video"
                    print(f"{module}: a client that stops reading for {args.stall:g} s after 1 MB of the video: "
                          f"server memory +{statistics.median(r[0] for r in runs):.0f} MB (median of {args.runs})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
