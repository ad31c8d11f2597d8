"""Campaign report at scale on PostgreSQL: 1,000 viewers x 60 s x 10 samples/s (600,000 samples).

Creates a database of its own next to the one DATABASE_URL names (default:
postgres://postgres@127.0.0.1:5432/test -> fer_bench_report), migrates it, fills a
campaign with synthetic viewers (samples through COPY; rollups as
viewer_session_finish computes them), then prints:
- the report computation (studies.selectors.campaign_report), median of --runs;
- the dashboard page as the server renders it (Django test client), median;
- the export of every sample as CSV (Django test client), median, and the most memory allocated while
  it is made (what a slow client leaves unsent sits in the server's socket buffers besides);
- the dashboard page in headless Chromium against a real Daphne, from navigation
  until the chart is drawn, median.
Targets (issue 6): report under 1 s, page under 2 s. The database is dropped at the end
unless --keep.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/test .venv/bin/python benchmarks/bench_report.py [--viewers 1000]
"""

from __future__ import annotations

import argparse
import io
import os
import statistics
import sys
import tempfile
import time
import tracemalloc
import uuid
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from benchmarks.timing import median_seconds  # noqa: E402
from fer_platform import devservers  # noqa: E402

DEFAULT_SERVER_URL = "postgres://postgres@127.0.0.1:5432/test"


def database_urls(server_url: str, name: str) -> tuple[str, str]:
    base, _, _ = server_url.rpartition("/")
    return server_url, f"{base}/{name}"


def recreate_database(admin_url: str, name: str, *, drop_only: bool = False) -> None:
    import psycopg

    with psycopg.connect(admin_url, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        if not drop_only:
            connection.execute(f'CREATE DATABASE "{name}"')


def setup_django(database_url: str, media_root: Path) -> None:
    os.environ["DATABASE_URL"] = database_url
    os.environ["MEDIA_ROOT"] = str(media_root)
    os.environ.pop("REDIS_URL", None)
    os.environ["DJANGO_SETTINGS_MODULE"] = "fer_platform.settings.base"
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def fill_campaign(viewers: int, seconds: float, rate: int):
    """A campaign whose ad lasts `seconds`, with `viewers` completed sessions of `rate` samples/s."""
    import numpy as np
    from django.contrib.auth import get_user_model
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.db import connection
    from django.utils import timezone

    from inference.labels import EMOTIONS
    from studies import reports, services
    from studies.demo import make_demo_ad, synthetic_probabilities
    from studies.models import PER_MILLE, ViewerSession

    owner, _ = get_user_model().objects.get_or_create(username="bench")
    owner.set_password("bench-password")
    owner.save()
    with tempfile.TemporaryDirectory() as folder:
        ad = make_demo_ad(Path(folder) / "ad.mp4")  # 30 s; the campaign's duration is set to `seconds` below
        campaign = services.campaign_create(owner=owner, ad_video=SimpleUploadedFile("ad.mp4", ad.read_bytes()),
                                            name=f"Benchmark: {viewers} viewers", status="collecting")
    campaign.ad_duration_s = seconds
    campaign.save(update_fields=["ad_duration_s"])
    for start in range(0, int(seconds), 10):
        services.segment_create(campaign, name=f"Segment {start // 10 + 1}", start_s=start, end_s=min(start + 8, seconds),
                                expected_emotions=["happy"] if start % 20 == 0 else ["surprise"])

    rng = np.random.default_rng(1)
    t = np.arange(0, seconds, 1 / rate)
    t_ms = np.round(t * 1000).astype(np.int64)
    now = timezone.now()
    sessions, copy_buffer = [], io.StringIO()
    for _ in range(viewers):
        probabilities = synthetic_probabilities(rng, t % 30)
        face = rng.random(len(t)) > 0.05
        per_mille = np.round(probabilities * PER_MILLE).astype(np.int64) * face[:, None]
        session = ViewerSession(
            id=uuid.uuid4(), campaign=campaign, consent_version="bench", consented_at=now, consent_analyse_webcam=True,
            status=ViewerSession.Status.COMPLETED, finished_at=now, sample_count=len(t),
            face_sample_count=int(face.sum()), face_visible_share=float(face.mean()), mean_detection_confidence=0.9,
            rollup=reports.rollup_to_bytes(reports.rollup(t_ms, face, per_mille / PER_MILLE, seconds)))
        sessions.append(session)
        for ms, seen, row in zip(t_ms, face, per_mille):
            copy_buffer.write(f"{session.id}\t{ms}\t{'t' if seen else 'f'}\t{900 if seen else 0}\t"
                              + "\t".join(str(v) for v in row) + "\n")
    ViewerSession.objects.bulk_create(sessions, batch_size=500)
    columns = ", ".join(["session_id", "t_ms", "face", "detection", *EMOTIONS])
    with connection.cursor() as cursor:
        with cursor.connection.cursor().copy(f"COPY studies_emotionsample ({columns}) FROM STDIN") as copy:
            copy.write(copy_buffer.getvalue())
    return campaign, owner


def browser_page_seconds(database_url: str, media_root: Path, campaign_id, runs: int) -> float:
    from playwright.sync_api import sync_playwright

    folder = Path(tempfile.mkdtemp(prefix="bench-report-"))
    env = devservers.server_env(folder, database_url=database_url, MEDIA_ROOT=str(media_root))
    with devservers.daphne(folder, env) as (url, _), sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=[
            "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
            "--disable-component-update", "--no-first-run"])
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.goto(url + "/accounts/login/")
        page.fill("input[name=username]", "bench")
        page.fill("input[name=password]", "bench-password")
        page.get_by_role("button", name="Log in").click()
        page.wait_for_url("**/jobs/")
        timings = []
        for _ in range(runs + 1):  # the first load warms the server up
            started = time.perf_counter()
            page.goto(f"{url}/campaigns/{campaign_id}/report/")
            page.wait_for_selector("#curves-chart[data-rendered='1']")
            timings.append(time.perf_counter() - started)
        browser.close()
    return statistics.median(timings[1:])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--viewers", type=int, default=1000)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--rate", type=int, default=10, help="samples per second per viewer")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--keep", action="store_true", help="keep the benchmark database")
    args = parser.parse_args()

    server_url = os.environ.get("DATABASE_URL") or DEFAULT_SERVER_URL
    if not server_url.startswith(("postgres://", "postgresql://")):
        print("This benchmark needs PostgreSQL: set DATABASE_URL=postgres://...", file=sys.stderr)
        return 2
    admin_url, bench_url = database_urls(server_url, "fer_bench_report")
    recreate_database(admin_url, "fer_bench_report")
    media_root = Path(tempfile.mkdtemp(prefix="bench-report-media-"))
    try:
        setup_django(bench_url, media_root)
        started = time.perf_counter()
        campaign, owner = fill_campaign(args.viewers, args.seconds, args.rate)
        from studies import selectors
        from studies.models import EmotionSample

        samples = EmotionSample.objects.filter(session__campaign=campaign).count()
        print(f"filled {args.viewers} viewers, {samples:,} samples in {time.perf_counter() - started:.1f} s")

        report_s = median_seconds(lambda: selectors.campaign_report(campaign), args.runs)
        report = selectors.campaign_report(campaign)
        print(f"report computation: median {report_s * 1000:.0f} ms over {args.runs} runs "
              f"({report['viewers']} viewers, {len(report['segments'])} segments; target < 1000 ms)")

        from django.test import Client

        client = Client()
        client.force_login(owner)
        url = f"/campaigns/{campaign.id}/report/"
        assert client.get(url).status_code == 200
        page_s = median_seconds(lambda: client.get(url), args.runs)
        print(f"dashboard page rendered by the server: median {page_s * 1000:.0f} ms (target < 2000 ms)")
        export_url = f"/campaigns/{campaign.id}/report.samples.csv"

        def export() -> int:
            return sum(len(part) for part in client.get(export_url).streaming_content)

        tracemalloc.start()
        size = export()
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        export_s = median_seconds(export, args.runs)
        print(f"samples export (CSV of every sample, {size / 1e6:.0f} MB): median {export_s:.1f} s, "
              f"{samples / export_s:,.0f} rows/s; {peak / 1e6:.0f} MB allocated at most while making it "
              "(tracemalloc: the rows are made a viewer at a time, not the file at once)")
        browser_s = browser_page_seconds(bench_url, media_root, campaign.id, args.runs)
        print(f"dashboard page in Chromium, navigation to chart drawn: median {browser_s * 1000:.0f} ms "
              f"(target < 2000 ms)")
    finally:
        from django.db import connections

        connections.close_all()
        if not args.keep:
            recreate_database(admin_url, "fer_bench_report", drop_only=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
