"""Sample ingestion from many concurrent viewers through the REST API of a real server; nothing may be lost.

Starts Daphne on a database of its own (SQLite by default; with DATABASE_URL pointing
at PostgreSQL, a fresh database fer_bench_ingest next to it), creates a collecting
campaign with an invitation, then --viewers simulated viewers (threads) each join
(POST /api/v1/join/<token>/), post --rate samples a second in one batch per second
for --seconds (POST /api/v1/viewer-sessions/<id>/samples/ with X-Viewer-Token and a
batch id, retrying a failed POST with the same batch id), and finish. Prints the
samples sent and stored (they must be equal), request latency median and p95, and
the sustained rate. Target (issue 6): 50 concurrent viewers, count in = count stored.

    .venv/bin/python benchmarks/bench_ingest.py [--viewers 50] [--seconds 30] [--rate 10]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from benchmarks.bench_report import database_urls, recreate_database  # noqa: E402
from fer_platform import devservers  # noqa: E402

EMOTIONS = ("angry", "disgust", "fear", "happy", "sad", "surprise", "neutral")


def post_json(url: str, payload: dict, headers: dict | None = None, timeout: float = 30) -> tuple[int, dict, float]:
    request = urllib.request.Request(url, data=json.dumps(payload).encode(), method="POST",
                                     headers={"Content-Type": "application/json", **(headers or {})})
    started = time.perf_counter()
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, json.loads(response.read() or b"{}"), time.perf_counter() - started
    except urllib.error.HTTPError as error:
        body = error.read()
        try:
            return error.code, json.loads(body or b"{}"), time.perf_counter() - started
        except ValueError:  # an HTML error page
            return error.code, {"detail": body[:200].decode(errors="replace")}, time.perf_counter() - started
    except OSError as error:  # connection reset, timeout: the client retries
        return 0, {"detail": str(error)}, time.perf_counter() - started


def viewer(base_url: str, token: str, seconds: float, rate: int, start: threading.Event, offset: float) -> dict:
    status, joined, _ = post_json(f"{base_url}/api/v1/join/{token}/", {"analyse_webcam": True})
    if status != 201:
        return {"sent": 0, "latencies": [], "errors": 1, "retries": 0, "session": None}
    session, headers = joined["session_id"], {"X-Viewer-Token": joined["ingest_token"]}
    probabilities = {name: (0.4 if name == "happy" else 0.1) for name in EMOTIONS}
    sent, latencies, errors, retries = 0, [], 0, 0
    start.wait()
    time.sleep(offset)  # viewers do not all post in the same instant
    began = time.perf_counter()
    second = 0
    while second < seconds:
        samples = [{"t_ms": int((second + i / rate) * 1000), "face": True, "probabilities": probabilities,
                    "detection": 0.9} for i in range(rate)]
        batch = {"batch_id": str(uuid.uuid4()), "samples": samples}
        for _ in range(5):  # a lost answer is retried with the same batch id: stored once
            status, body, latency = post_json(f"{base_url}/api/v1/viewer-sessions/{session}/samples/", batch, headers)
            latencies.append(latency)
            if status == 201:
                sent += body["stored"]
                break
            retries += 1
        else:
            errors += 1
        second += 1
        time.sleep(max(0.0, began + second - time.perf_counter()))
    post_json(f"{base_url}/api/v1/viewer-sessions/{session}/finish/", {}, headers)
    return {"sent": sent, "latencies": latencies, "errors": errors, "retries": retries, "session": session}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--viewers", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--rate", type=int, default=10, help="samples per second per viewer")
    args = parser.parse_args()

    folder = Path(tempfile.mkdtemp(prefix="bench-ingest-"))
    server_url = os.environ.get("DATABASE_URL", "")
    if server_url.startswith(("postgres://", "postgresql://")):
        admin_url, database_url = database_urls(server_url, "fer_bench_ingest")
        recreate_database(admin_url, "fer_bench_ingest")
    else:
        admin_url, database_url = None, f"sqlite:///{folder / 'db.sqlite3'}"
    env = devservers.server_env(folder, database_url=database_url)
    os.environ.update({key: env[key] for key in ("DATABASE_URL", "MEDIA_ROOT", "DJANGO_SETTINGS_MODULE")})
    os.environ.pop("REDIS_URL", None)
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from django.contrib.auth import get_user_model
    from django.core.files.uploadedfile import SimpleUploadedFile

    from studies import services
    from studies.models import EmotionSample

    owner, _ = get_user_model().objects.get_or_create(username="bench")
    ad = (REPO.parent / "shared" / "samples" / "single_face.mp4").read_bytes()
    campaign = services.campaign_create(owner=owner, ad_video=SimpleUploadedFile("ad.mp4", ad), name="Ingest",
                                        status="collecting")
    campaign.ad_duration_s = args.seconds + 5  # samples stay inside the ad
    campaign.save(update_fields=["ad_duration_s"])
    token = services.invitation_create(campaign).token
    try:
        with devservers.daphne(folder, env) as (base_url, _):
            start = threading.Event()
            with ThreadPoolExecutor(max_workers=args.viewers) as pool:
                futures = [pool.submit(viewer, base_url, token, args.seconds, args.rate, start, n / args.viewers)
                           for n in range(args.viewers)]
                time.sleep(2.0)  # everyone joined
                began = time.perf_counter()
                start.set()
                results = [future.result() for future in futures]
                elapsed = time.perf_counter() - began
        stored = EmotionSample.objects.filter(session__campaign=campaign).count()
        sent = sum(r["sent"] for r in results)
        latencies = sorted(x for r in results for x in r["latencies"])
        print(f"{args.viewers} viewers x {args.seconds:.0f} s x {args.rate} samples/s on "
              f"{'PostgreSQL' if admin_url else 'SQLite'}: sent {sent:,}, stored {stored:,} "
              f"({'none lost' if sent == stored else f'{sent - stored:,} LOST'}); "
              f"{sum(r['retries'] for r in results)} retries, {sum(r['errors'] for r in results)} failed batches")
        print(f"POST latency median {statistics.median(latencies) * 1000:.0f} ms, "
              f"p95 {latencies[int(0.95 * (len(latencies) - 1))] * 1000:.0f} ms; "
              f"sustained {sent / elapsed:,.0f} samples/s ({len(latencies) / elapsed:.0f} requests/s)")
        return 0 if sent == stored and sent == args.viewers * int(args.seconds) * args.rate else 1
    finally:
        from django.db import connections

        connections.close_all()
        if admin_url:
            recreate_database(admin_url, "fer_bench_ingest", drop_only=True)


if __name__ == "__main__":
    sys.exit(main())
