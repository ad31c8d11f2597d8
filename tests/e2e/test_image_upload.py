"""A person uploads images on the web page and reads the result.

The broker is the one thing replaced: the enqueue is recorded instead of sent,
and the test then plays the worker by running the job's service in another
thread, as a Celery worker would. The page must notice on its own (it polls
status.json; pytest-django's live server speaks no WebSocket) and swap in the
annotated image, the probability table and the charts.
"""

import re
import threading
from unittest import mock

import pytest
from django.db import connections

from studies import services
from studies.tasks import run_analysis_job

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True), pytest.mark.timeout(300)]

MULTI_FACE_COUNT = 5
MULTI_FACE_WIDTH = 1000


def run_job_like_a_worker(job_id):
    def work():
        try:
            services.analysis_job_run(job_id=job_id)
        finally:
            connections.close_all()

    worker = threading.Thread(target=work, name="fake-celery-worker")
    worker.start()
    worker.join(timeout=240)
    assert not worker.is_alive(), "the analysis did not finish within 240 s"


def percentages(texts):
    return [float(re.fullmatch(r"([\d.]+)%", text.strip()).group(1)) for text in texts]


def test_upload_shows_progress_then_table_and_annotated_image(live_server, page, samples_dir, tmp_path):
    not_an_image = tmp_path / "notes.png"
    not_an_image.write_bytes(b"these are meeting notes, not a picture\n")

    with mock.patch.object(run_analysis_job, "delay") as enqueue:
        page.goto(live_server.url + "/analyze/image/")
        page.set_input_files('input[type="file"]', [str(samples_dir / "multi_face.jpg"), str(not_an_image)])
        page.get_by_role("button", name=re.compile("Analyse 2 images")).click()
        page.wait_for_url(re.compile(r"/analyze/image/\?batch="))

        rejection = page.locator(".alert-danger", has_text="notes.png")
        assert rejection.is_visible()
        assert "was not accepted" in rejection.inner_text()

        cards = page.locator(".job-card")
        assert cards.count() == 1, "only the real image becomes a job"
        card = cards.first
        assert "multi_face.jpg" in card.locator(".card-header").inner_text()
        assert card.locator(".job-progress .progress").is_visible()
        assert card.locator(".job-progress-text").inner_text() == "Waiting for a worker…"
        assert card.locator('[data-role="status-badge"]').inner_text() == "Queued"

        job_id = card.get_attribute("data-job-id")
        enqueue.assert_called_once_with(job_id=job_id)
        note = page.locator(".upload-started-note")
        assert note.inner_text().startswith("Analysing 1 image.")

    run_job_like_a_worker(job_id)

    page.wait_for_function(
        "card => card.querySelector('.job-result') !== null", arg=card.element_handle(), timeout=60_000
    )
    assert card.get_attribute("data-job-status") == "succeeded", card.inner_text()
    assert card.locator('[data-role="status-badge"]').inner_text() == "Succeeded"
    assert note.inner_text() == "Finished: the result is below.", "the upload note must not still say it is busy"
    table = card.locator("table.probability-table")

    rows = table.locator("tbody tr")
    assert rows.count() == MULTI_FACE_COUNT
    headers = table.locator("thead th").all_inner_texts()
    assert [h.split()[-1].lower() for h in headers[2:]] == [
        "angry", "disgust", "fear", "happy", "sad", "surprise", "neutral",
    ]
    for index in range(MULTI_FACE_COUNT):
        row = rows.nth(index)
        values = percentages(row.locator("td.probability-cell").all_inner_texts())
        assert len(values) == 7
        assert 99.0 <= sum(values) <= 101.0
        top_cell = row.locator("td.probability-cell.is-top")
        assert percentages([top_cell.inner_text()])[0] == max(values)
        top_emotion = row.locator("td.top-emotion").inner_text()
        assert re.search(r"[\U0001F300-\U0001FAFF]", top_emotion), "the top emotion shows its emoji"

    image = card.locator("img.annotated-image")
    image.wait_for(state="visible")
    page.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=image.element_handle())
    assert image.evaluate("img => img.naturalWidth") == MULTI_FACE_WIDTH

    page.wait_for_function("() => document.querySelectorAll('canvas.face-chart[data-drawn]').length === 5")


def test_result_page_and_job_list_show_a_finished_analysis(live_server, page, samples_dir):
    with mock.patch.object(run_analysis_job, "delay"):
        page.goto(live_server.url + "/analyze/image/")
        page.set_input_files('input[type="file"]', str(samples_dir / "multi_face.jpg"))
        page.get_by_role("button", name="Analyse", exact=True).click()
        page.wait_for_url(re.compile(r"/analyze/image/\?batch="))
        job_id = page.locator(".job-card").first.get_attribute("data-job-id")
    run_job_like_a_worker(job_id)

    page.goto(live_server.url + "/jobs/")
    row = page.locator("table.job-table tbody tr", has_text="multi_face.jpg")
    assert row.locator('[data-role="status-badge"]').inner_text() == "Succeeded"
    assert row.locator("td").nth(2).inner_text().strip() == str(MULTI_FACE_COUNT)

    row.get_by_role("link", name="multi_face.jpg").click()
    page.wait_for_url(f"**/jobs/{job_id}/")
    assert page.locator("table.probability-table tbody tr").count() == MULTI_FACE_COUNT
    page.wait_for_function(
        "() => { const img = document.querySelector('img.annotated-image');"
        " return img && img.complete && img.naturalWidth > 0; }"
    )


def test_an_open_result_page_says_so_when_the_analysis_is_deleted_elsewhere(live_server, page, samples_dir):
    with mock.patch.object(run_analysis_job, "delay"):  # no worker: the job stays queued
        page.goto(live_server.url + "/analyze/image/")
        page.set_input_files('input[type="file"]', [str(samples_dir / "single_face.jpg")])
        page.get_by_role("button", name=re.compile("Analyse")).click()
        page.wait_for_url(re.compile(r"/analyze/image/\?batch="))
    card = page.locator(".job-card").first
    assert card.get_attribute("data-job-status") == "queued"

    other_tab = page.context.new_page()  # the same browser session, so the same owner
    other_tab.goto(live_server.url + "/jobs/" + card.get_attribute("data-job-id") + "/")
    other_tab.once("dialog", lambda dialog: dialog.accept())
    other_tab.get_by_role("button", name="Delete", exact=True).click()
    other_tab.wait_for_url(re.compile(r"/jobs/$"))
    assert "was deleted, with its upload and results" in other_tab.locator(".alert-success").inner_text()

    deleted = card.locator(".job-deleted")
    deleted.wait_for(timeout=15_000)  # the next status poll finds it gone
    assert deleted.inner_text() == "This analysis was deleted, with its upload and results."
    assert card.locator('[data-role="status-badge"]').inner_text() == "Deleted"
