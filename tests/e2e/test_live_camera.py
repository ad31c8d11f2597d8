"""A person opens the real-time camera page: a fake webcam (single_face.mp4) is analysed live.

Runs against a real Daphne (HTTP + WebSocket) in a subprocess; Chromium's fake
camera plays the sample clip in a loop.
"""

import re

import pytest

from inference.labels import EMOTIONS

pytestmark = [pytest.mark.e2e, pytest.mark.slow, pytest.mark.timeout(300)]


def _started_live_page(camera_browser, server):
    """(page, its page errors) of the live page with the fake camera started."""
    page = camera_browser.new_page(viewport={"width": 1280, "height": 900})
    page.set_default_timeout(60_000)
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(server + "/live/")
    page.get_by_role("button", name="Start camera").click()
    return page, errors


def test_the_live_page_labels_the_face_and_counts_results(asgi_server, camera_browser):
    page, errors = _started_live_page(camera_browser, asgi_server)

    page.wait_for_function("Number(document.getElementById('stat-results').textContent) >= 5")
    label = page.locator(".face-panel .face-label").first.inner_text().strip().lower()
    assert label in EMOTIONS
    assert page.inner_text("#stat-faces").strip() == "1"
    assert page.inner_text("#stat-connection").strip() == "Live"
    first = int(page.inner_text("#stat-results"))
    page.wait_for_function(f"Number(document.getElementById('stat-results').textContent) >= {first + 10}")
    assert re.fullmatch(r"\d+", page.inner_text("#stat-latency").strip())
    assert float(page.inner_text("#stat-rate")) > 1

    page.get_by_role("button", name="Record emotions").click()
    page.wait_for_selector("#recording-badge:not(.d-none)")
    page.wait_for_timeout(1500)
    # a toggle: pressed again (its name stays), it stops and saves
    page.get_by_role("button", name="Record emotions", pressed=True).click()
    saved = page.wait_for_selector("#recording-saved:not(.d-none)")
    assert "Recording saved" in saved.inner_text()
    page.click("#recording-saved a")
    page.wait_for_selector(".track-table")
    assert page.locator(".track-table tbody tr").count() == 1
    assert page.locator(".downloads a", has_text="Timeline (CSV)").count() == 1
    assert errors == []
    page.close()


def test_a_refused_camera_is_explained(asgi_server, launch_chromium):
    # a camera exists but the permission prompt is dismissed, as when a person clicks "Block"
    browser = launch_chromium("--use-fake-device-for-media-stream")
    try:
        page = browser.new_page()
        page.goto(asgi_server + "/live/")
        page.get_by_role("button", name="Start camera").click()
        error = page.wait_for_selector("#live-error:not(.d-none)", timeout=30_000)
        assert "Camera access was refused" in error.inner_text()
        assert page.get_by_role("button", name="Start camera").is_enabled()
    finally:
        browser.close()


STAT_TILES = ["#stat-faces", "#stat-latency", "#stat-rate", "#stat-server"]


def test_stopping_the_camera_leaves_no_stale_figures(asgi_server, camera_browser):
    page, errors = _started_live_page(camera_browser, asgi_server)
    page.wait_for_function("Number(document.getElementById('stat-results').textContent) >= 20")
    assert page.inner_text("#stat-faces").strip() == "1"
    # the panel's bars show the percentages beside them, not a value from half a second ago
    gaps = page.evaluate("""() => [...document.querySelectorAll('.face-panel .emotion-row')].map((row) => {
        const bar = row.querySelector('.progress-bar').getBoundingClientRect().width;
        const track = row.querySelector('.progress').getBoundingClientRect().width;
        return Math.abs(parseFloat(row.querySelector('.value').textContent) - 100 * bar / track); })""")
    assert len(gaps) == len(EMOTIONS) and max(gaps) < 3

    page.get_by_role("button", name="Stop").click()
    page.wait_for_timeout(500)  # an answer still on its way must not bring the figures back
    assert page.inner_text("#stat-connection").strip() == "Not connected"
    assert [page.inner_text(tile).strip() for tile in STAT_TILES] == ["–"] * len(STAT_TILES)
    assert page.locator(".face-panel").count() == 0
    assert "Camera stopped" in page.inner_text("#no-face-note")
    assert page.evaluate("""() => { const canvas = document.getElementById('overlay');
        return canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data.every((v) => v === 0); }""")
    # the chart's line breaks where the camera was off
    assert page.evaluate("""() => Chart.getChart(document.getElementById('rolling-chart')).data.datasets
        .every((dataset) => dataset.spanGaps === false && dataset.data.some((point) => point.y === null))""")

    page.get_by_role("button", name="Start camera").click()
    page.wait_for_function("document.getElementById('stat-faces').textContent === '1'")
    page.wait_for_function("document.getElementById('stat-rate').textContent !== '–'")
    assert page.locator(".face-panel").count() == 1
    assert page.inner_text("#stat-connection").strip() == "Live"
    assert errors == []
    page.close()
