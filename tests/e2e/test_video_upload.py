"""A person uploads a video, watches the progress, then plays the annotated video.

As in test_image_upload.py the broker is the one thing replaced: the enqueue is
recorded and the test plays the worker in a thread, running the real service.
The worker pauses once, part-way through the video, until the browser has shown
the percentage, frames/s and time left, so the live progress is checked
without racing a short clip (the library's twice-a-second progress interval is
set to every frame, or a fast machine could finish the clip between two calls).
"""

import re
import threading
from unittest import mock

import pytest
from django.db import connections

from studies.services import analysis_jobs as services
from studies.tasks import run_analysis_job
from tests.studies.video_helpers import video_frame_count_and_duration

pytestmark = [pytest.mark.e2e, pytest.mark.slow, pytest.mark.django_db(transaction=True), pytest.mark.timeout(300)]

WORKER_TIMEOUT_S = 240


class PausingProgressReporter(services.VideoProgressReporter):
    """Saves progress as usual, then holds the worker once until the browser has seen it."""

    seen_by_browser = threading.Event()

    def __call__(self, frames_done, frames_total, frames_per_s):
        super().__call__(frames_done, frames_total, frames_per_s)
        if 0 < frames_done < frames_total and frames_per_s > 0:
            self.seen_by_browser.wait(timeout=60)


def start_worker(job_id):
    failures = []

    def work():
        try:
            services.analysis_job_run(job_id=job_id)
        except BaseException as error:  # reported to the test thread below
            failures.append(error)
        finally:
            connections.close_all()

    worker = threading.Thread(target=work, name="fake-celery-worker")
    worker.start()
    return worker, failures


def test_upload_shows_live_progress_then_plays_the_annotated_video(live_server, page, samples_dir):
    clip = samples_dir / "single_face.mp4"
    _, input_duration, _ = video_frame_count_and_duration(clip)
    PausingProgressReporter.seen_by_browser.clear()

    with mock.patch.object(run_analysis_job, "delay") as enqueue:
        page.goto(live_server.url + "/")
        page.get_by_role("link", name="Video analysis").first.click()
        page.wait_for_url("**/analyze/video/")
        page.set_input_files('input[type="file"]', str(clip))
        page.get_by_role("button", name="Analyse", exact=True).click()
        page.wait_for_url(re.compile(r"/analyze/video/\?batch="))
        card = page.locator(".job-card").first
        job_id = card.get_attribute("data-job-id")
        enqueue.assert_called_once_with(job_id=job_id)
    assert card.get_attribute("data-job-kind") == "video"
    assert card.locator(".job-progress-detail").inner_text().strip() == "0 / 72 frames"

    with mock.patch.object(services, "VideoProgressReporter", PausingProgressReporter), \
            mock.patch("inference.video._PROGRESS_INTERVAL_S", 0.0):
        worker, failures = start_worker(job_id)
        try:
            page.wait_for_function(
                "card => /frames\\/s/.test(card.querySelector('.job-progress-detail').textContent)",
                arg=card.element_handle(), timeout=120_000,
            )
            detail = card.locator(".job-progress-detail").inner_text()
            assert re.fullmatch(r"\d+ / 72 frames · [\d.]+ frames/s · \d+ s left", detail.strip()), detail
            percent = int(card.locator(".job-progress-percent").inner_text().rstrip("%"))
            assert 0 < percent < 100
            assert card.locator(".job-progress-text").inner_text() == "Analysing frames…"
            assert card.locator(".progress-bar").evaluate("bar => bar.style.width") == f"{percent}%"
        finally:
            PausingProgressReporter.seen_by_browser.set()
            worker.join(timeout=WORKER_TIMEOUT_S)
    assert not worker.is_alive(), f"the analysis did not finish within {WORKER_TIMEOUT_S} s"
    assert not failures, failures

    page.wait_for_function(
        "card => card.querySelector('.job-result') !== null", arg=card.element_handle(), timeout=60_000
    )
    assert card.get_attribute("data-job-status") == "succeeded", card.inner_text()

    video = card.locator("video.annotated-video")
    video.wait_for(state="visible")
    page.wait_for_function("video => video.readyState >= 1", arg=video.element_handle(), timeout=30_000)
    duration = video.evaluate("video => video.duration")
    assert duration == pytest.approx(input_duration, abs=0.1)
    # Seeking needs the server's Range support: the browser jumps without downloading everything first.
    video.evaluate("video => { video.currentTime = video.duration / 2; }")
    page.wait_for_function("video => !video.seeking && video.currentTime > 0.5", arg=video.element_handle())

    assert card.locator("table.track-table tbody tr").count() == 1
    page.wait_for_function("() => document.querySelector('canvas.video-timeline-chart[data-drawn]') !== null")
    links = card.locator(".downloads a")
    assert links.all_inner_texts() == ["Annotated video (MP4)", "Timeline (CSV)", "Timeline (JSON)"]
    assert links.nth(1).get_attribute("href") == f"/jobs/{job_id}/timeline.csv"


def test_zip_batch_page_shows_overall_progress_and_offers_the_download(live_server, page, samples_dir, tmp_path):
    import io
    import zipfile

    archive_path = tmp_path / "campaign.zip"
    with zipfile.ZipFile(archive_path, "w") as archive:
        archive.write(samples_dir / "single_face.jpg", "stills/single_face.jpg")
        archive.write(samples_dir / "no_face.mp4", "clips/no_face.mp4")
        archive.writestr("../escape.jpg", (samples_dir / "single_face.jpg").read_bytes())

    with mock.patch.object(run_analysis_job, "delay"):
        page.goto(live_server.url + "/analyze/image/")
        page.set_input_files('input[type="file"]', str(archive_path))
        page.get_by_role("button", name="Analyse the archive").click()
        page.wait_for_url(re.compile(r"/analyze/image/\?batch="))
        assert "skipped because its path leads outside the archive" in page.locator(".alert-danger").inner_text()
        page.get_by_role("link", name="Batch overview and download").click()
        page.wait_for_url(re.compile(r"/batches/[0-9a-f-]+/$"))
    overview = page.locator("#batch-overview")
    assert overview.locator(".batch-progress-bar").inner_text() == "0%"
    assert "disabled" in overview.locator(".batch-download").get_attribute("class")
    job_ids = page.locator(".job-card").evaluate_all("cards => cards.map(card => card.dataset.jobId)")
    assert len(job_ids) == 2

    for job_id in job_ids:
        worker, failures = start_worker(job_id)
        worker.join(timeout=WORKER_TIMEOUT_S)
        assert not worker.is_alive() and not failures, failures

    page.wait_for_function(
        "() => document.querySelector('#batch-overview .batch-progress-bar').textContent === '100%'", timeout=30_000
    )
    assert overview.locator(".batch-finished").inner_text() == "2"
    assert "disabled" not in overview.locator(".batch-download").get_attribute("class")
    page.wait_for_function("() => document.querySelectorAll('.job-result').length === 2", timeout=30_000)

    with page.expect_download() as download_info:
        overview.locator(".batch-download").click()
    bundle = zipfile.ZipFile(io.BytesIO(open(download_info.value.path(), "rb").read()))
    names = sorted(bundle.namelist())
    assert "combined.csv" in names
    assert any(name.endswith("/annotated.jpg") for name in names)
    assert any(name.endswith("/annotated.mp4") for name in names)
