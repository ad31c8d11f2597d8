"""A whole ad test in the browser: a producer sets up a campaign, a viewer (fake webcam) consents and
watches the ad to the end, and the producer's report shows that viewer's curve and the segment table.

Runs against a real Daphne (HTTP + WebSockets); the ad is ../shared/samples/single_face.mp4 (2.4 s)
and Chromium's fake camera plays the same clip.
"""

import pytest

pytestmark = [pytest.mark.e2e, pytest.mark.slow, pytest.mark.timeout(300)]


def test_a_viewer_watches_the_ad_and_the_producer_reads_the_report(asgi_server, chromium_browser, camera_browser,
                                                                    samples_dir):
    producer = chromium_browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    producer.set_default_timeout(60_000)
    errors = []
    producer.on("pageerror", lambda error: errors.append(str(error)))

    producer.goto(asgi_server + "/accounts/signup/")
    producer.fill("input[name=username]", "producer")
    producer.fill("input[name=password1]", "a-long-Passphrase-42")
    producer.fill("input[name=password2]", "a-long-Passphrase-42")
    producer.get_by_role("button", name="Sign up").click()
    producer.goto(asgi_server + "/campaigns/new/")
    producer.fill("input[name=name]", "Browser test spot")
    producer.select_option("select[name=status]", "collecting")
    producer.set_input_files("input[name=ad_video]", str(samples_dir / "single_face.mp4"))
    producer.get_by_role("button", name="Create campaign").click()
    producer.wait_for_selector("#segment-timeline")
    producer.fill(".segment-form input[name=name]", "Smile")
    producer.fill(".segment-form input[name=start_s]", "0.5")
    producer.fill(".segment-form input[name=end_s]", "2.0")
    producer.check(".segment-form input[value=happy]")
    producer.click(".segment-form button[type=submit]")
    producer.wait_for_selector(".timeline-segment")
    producer.fill("#invitations input[name=label]", "Browser panel")
    producer.click("#invitations button[type=submit]")
    link = producer.input_value(".invitation-url")

    viewer = camera_browser.new_context(viewport={"width": 1100, "height": 850}).new_page()
    viewer.set_default_timeout(60_000)
    viewer.on("pageerror", lambda error: errors.append(str(error)))
    viewer.goto(link)
    assert "What is kept" in viewer.inner_text(".consent-text")
    viewer.check("input[name=analyse_webcam]")
    viewer.click("button[name=agree]")
    viewer.wait_for_selector("#check-continue:not([disabled])")
    assert viewer.inner_text("#check-face .check-state") == "yes"
    viewer.click("#check-continue")
    viewer.wait_for_selector("#ad-start:not([disabled])")
    viewer.click("#ad-start")
    viewer.wait_for_url("**/thanks/")
    assert "Thank you" in viewer.inner_text("h1")

    producer.goto(asgi_server + "/campaigns/")
    producer.click("text=Report")
    producer.wait_for_selector("#curves-chart[data-rendered='1']")
    assert "1 viewer in this report" in " ".join(producer.inner_text(".session-counts").split())
    row = producer.locator("tr.segment-row").first
    assert "Smile" in row.inner_text() and row.locator(".verdict-badge").inner_text() == "Too few viewers"
    assert producer.locator(".segment-results td").nth(6).inner_text() == "1"  # viewers seen in the segment
    happy_curve = producer.evaluate(
        "JSON.parse(document.getElementById('report-data').textContent).curves.emotions.happy.mean")
    assert sum(value is not None for value in happy_curve) >= 5  # the viewer's curve is there
    producer.click(".report-viewers a")
    producer.wait_for_selector("#curves-chart")
    assert "Completed" in producer.inner_text("main")
    assert errors == []
