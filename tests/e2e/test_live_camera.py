"""A person opens the real-time camera page: a fake webcam (single_face.mp4) is analysed live.

Runs against a real Daphne (HTTP + WebSocket) in a subprocess; Chromium's fake
camera plays the sample clip in a loop.
"""

import re

import pytest

from inference.labels import EMOTIONS

pytestmark = [pytest.mark.e2e, pytest.mark.slow, pytest.mark.timeout(300)]


def test_the_live_page_labels_the_face_and_counts_results(asgi_server, camera_browser):
    page = camera_browser.new_page(viewport={"width": 1280, "height": 900})
    page.set_default_timeout(60_000)
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(asgi_server + "/live/")
    page.get_by_role("button", name="Start camera").click()

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
    page.get_by_role("button", name="Stop and save").click()
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
