"""What a keyboard, screen reader or colour-blind user meets on the pages, in headless Chromium (the
accessibility review's findings): where the focus goes, what live regions say and how often, what
names the controls have, and whether colour is the only thing telling things apart.

The producer's pages run on pytest-django's live server over the demo campaign (studies/demo.py);
the live camera and the viewer's pages need WebSockets and a camera, so they run on a real Daphne
with Chromium's fake camera, as in test_live_camera.py and test_ad_study.py.
"""

import re
import uuid

import pytest
import yaml
from django.core.files.uploadedfile import SimpleUploadedFile

from inference.labels import EMOTIONS
from studies.models import AnalysisJob
from tests.e2e.conftest import producer_with_a_new_campaign, viewer_page

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(300)]

PASSWORD = "a-long-Passphrase-42"

# the focused element: its id, name, aria-invalid, and the text of each element its aria-describedby names
FOCUSED = """() => {
    const element = document.activeElement;
    const ids = (element.getAttribute("aria-describedby") || "").split(" ").filter(Boolean);
    return {id: element.id, name: element.getAttribute("name"), invalid: element.getAttribute("aria-invalid"),
            classes: element.className, text: element.textContent.trim(),
            described: ids.map((id) => document.getElementById(id) ? document.getElementById(id).textContent.trim() : null)};
}"""

# A MutationObserver on the element with this id: each change of its text, with when it happened (ms).
WATCH_TEXT = """(id) => {
    window.changes = window.changes || {};
    const element = document.getElementById(id);
    const log = window.changes[id] = [];
    new MutationObserver(() => log.push([performance.now(), element.textContent]))
        .observe(element, {childList: true, characterData: true, subtree: true});
}"""

# WCAG contrast of an element's text colour against a background colour (both CSS "rgb(...)" strings).
CONTRAST = """([foreground, background]) => {
    const parse = (css) => css.match(/[\\d.]+/g).slice(0, 3).map(Number);
    const luminance = (rgb) => {
        const [r, g, b] = rgb.map((c) => { c /= 255; return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4; });
        return 0.2126 * r + 0.7152 * g + 0.0722 * b;
    };
    const [high, low] = [luminance(parse(foreground)), luminance(parse(background))].sort((a, b) => b - a);
    return (high + 0.05) / (low + 0.05);
}"""

# The text a sighted user sees in an element: without its visually-hidden parts.
VISIBLE_TEXT = """(element) => {
    const copy = element.cloneNode(true);
    copy.querySelectorAll(".visually-hidden").forEach((hidden) => hidden.remove());
    return copy.textContent.replace(/\\s+/g, " ").trim();
}"""


def accessible_name(locator) -> str:
    """The name Chromium's accessibility tree gives the element (from Playwright's ARIA snapshot, YAML)."""
    node = yaml.safe_load(locator.aria_snapshot())[0]
    if isinstance(node, dict):  # a node with children
        node = next(iter(node))
    match = re.fullmatch(r'\w+ "(.*)"( \[[^\]]*\])*', node)  # then its states: [pressed], [disabled]
    return match.group(1) if match else ""


@pytest.fixture
def producer(django_user_model):
    return django_user_model.objects.create_user(username="a11y-producer", password=PASSWORD)


@pytest.fixture
def demo_campaign(producer):
    from studies.demo import create_demo_campaign

    return create_demo_campaign(producer)


def log_in(page, server_url, username="a11y-producer"):
    page.goto(server_url + "/accounts/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(lambda url: "/accounts/login/" not in url)


# Every page ---------------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_the_skip_link_is_the_first_stop_and_takes_the_focus_to_the_content(live_server, page):
    page.goto(live_server.url + "/")
    page.keyboard.press("Tab")
    link = page.evaluate("() => ({text: document.activeElement.textContent.trim(), href: document.activeElement.getAttribute('href'),"
                         " width: document.activeElement.getBoundingClientRect().width})")
    assert link["text"] == "Skip to main content" and link["href"] == "#content"
    assert link["width"] > 50  # shown once focused, not left a 1 px box
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.tagName + '#' + document.activeElement.id") == "MAIN#content"
    page.keyboard.press("Tab")  # the next stop is in the content, not the navbar
    assert page.evaluate("!!document.activeElement.closest('main')")


@pytest.mark.django_db(transaction=True)
def test_the_nav_marks_the_current_section(live_server, page, producer):
    log_in(page, live_server.url)
    for path, link in (("/campaigns/", "Studies"), ("/jobs/", "My analyses")):
        page.goto(live_server.url + path)
        assert page.locator("#mainNav a.nav-link", has_text=link).get_attribute("aria-current") == "page"


@pytest.mark.django_db(transaction=True)
def test_links_and_outline_buttons_read_on_the_pages_background(live_server, page, producer, demo_campaign):
    log_in(page, live_server.url)
    for path, selectors in (("report/", ("main .breadcrumb a", ".btn-outline-primary", ".btn-outline-secondary")),
                            ("", (".btn-outline-danger",))):
        page.goto(f"{live_server.url}/campaigns/{demo_campaign.id}/{path}")
        background = page.evaluate("getComputedStyle(document.body).backgroundColor")
        for selector in selectors:
            color = page.locator(selector).first.evaluate("(element) => getComputedStyle(element).color")
            assert page.evaluate(CONTRAST, [color, background]) >= 4.5, selector


# Forms sent back with errors ----------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_a_failed_segment_form_focuses_its_first_invalid_field_with_its_error(live_server, page, producer, demo_campaign):
    log_in(page, live_server.url)
    page.goto(f"{live_server.url}/campaigns/{demo_campaign.id}/")
    page.fill(".segment-form input[name=name]", "Opening")
    page.click(".segment-form button[type=submit]")
    page.wait_for_load_state()

    focused = page.evaluate(FOCUSED)
    assert focused["name"] == "start_s" and focused["invalid"] == "true"
    assert focused["described"] == ["This field is required."]
    # the checkboxes are invalid one by one; their fieldset names the error
    fieldset_error = page.evaluate("""() => { const id = document.querySelector('.segment-form fieldset').getAttribute('aria-describedby');
        return id && document.getElementById(id) ? document.getElementById(id).textContent.trim() : null; }""")
    assert fieldset_error == "Choose the emotion(s) the segment should evoke."


@pytest.mark.django_db(transaction=True)
def test_an_invitation_error_sits_under_its_field_and_takes_the_focus(live_server, page, producer, demo_campaign):
    log_in(page, live_server.url)
    page.goto(f"{live_server.url}/campaigns/{demo_campaign.id}/")
    page.fill("#invitations input[name=max_viewers]", "0")
    page.click("#invitations button[type=submit]")
    page.wait_for_load_state()

    focused = page.evaluate(FOCUSED)
    assert focused["name"] == "max_viewers" and focused["invalid"] == "true"
    assert len(focused["described"]) == 1 and "greater than or equal to 1" in focused["described"][0]
    # beside the field, not after the form's button
    assert page.locator("#invitations .col-md-3:has(input[name=max_viewers]) .field-error").count() == 1


@pytest.mark.django_db(transaction=True)
def test_a_failed_new_campaign_focuses_its_first_invalid_field(live_server, page, producer):
    log_in(page, live_server.url)
    page.goto(live_server.url + "/campaigns/new/")
    page.get_by_role("button", name="Create campaign").click()
    page.wait_for_load_state()
    focused = page.evaluate(FOCUSED)
    assert focused["name"] == "name" and focused["invalid"] == "true"
    assert focused["described"] == ["This field is required."]
    # a help text is named too, and exists
    help_ids = page.evaluate("[...document.querySelectorAll('[aria-describedby]')].flatMap((e) => e.getAttribute('aria-describedby').split(' '))")
    assert help_ids and all(page.locator(f"#{name}").count() == 1 for name in help_ids)


@pytest.mark.django_db(transaction=True)
def test_account_forms_mark_and_focus_what_to_fix(live_server, page, producer):
    page.goto(live_server.url + "/accounts/login/")
    page.fill("input[name=username]", "a11y-producer")
    page.fill("input[name=password]", "not the password")
    page.get_by_role("button", name="Log in").click()
    page.wait_for_load_state()
    focused = page.evaluate(FOCUSED)
    assert "form-error-summary" in focused["classes"] and "correct username and password" in focused["text"]

    page.goto(live_server.url + "/accounts/signup/")
    page.fill("input[name=username]", "newcomer")
    page.fill("input[name=password1]", PASSWORD)
    page.fill("input[name=password2]", PASSWORD + "x")
    page.get_by_role("button", name="Sign up").click()
    page.wait_for_load_state()
    focused = page.evaluate(FOCUSED)
    assert focused["name"] == "password2" and focused["invalid"] == "true"
    assert "didn’t match" in focused["described"][0] or "didn't match" in focused["described"][0]
    assert None not in focused["described"]


@pytest.mark.django_db(transaction=True)
def test_an_upload_refused_for_no_file_focuses_the_file_field_with_its_error(live_server, page):
    page.goto(live_server.url + "/analyze/image/")
    page.click("#analyze-button")
    page.wait_for_load_state()
    focused = page.evaluate(FOCUSED)
    assert focused["name"] == "files" and focused["invalid"] == "true"
    assert None not in focused["described"] and any("Choose at least one" in text for text in focused["described"])


# The campaign and its report ----------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_the_report_works_from_the_keyboard_and_without_colour(live_server, page, producer, demo_campaign):
    log_in(page, live_server.url)
    page.goto(f"{live_server.url}/campaigns/{demo_campaign.id}/report/")
    page.wait_for_selector("#curves-chart[data-rendered='1']")

    # key moments: the name a speech-input user says is the text they see
    buttons = page.locator(".key-moments button[data-seek]")
    assert buttons.count() >= 2
    for index in range(buttons.count()):
        button = buttons.nth(index)
        visible = button.evaluate(VISIBLE_TEXT)
        assert re.search(r"\d+\.\d–\d+\.\d s", visible)
        name = accessible_name(button)
        assert visible in name and name.startswith("Play the ad from"), (visible, name)

    # a segment shown on the chart from the keyboard
    segment_id = page.locator("tr.segment-row").nth(1).get_attribute("data-segment-id")
    page.locator("tr.segment-row").nth(1).locator("button.segment-show").focus()
    page.keyboard.press("Enter")
    page.wait_for_function("document.getElementById('ad-video').currentTime > 8")  # "Joke" starts at 9 s
    assert page.evaluate("String(Chart.getChart(document.getElementById('curves-chart')).options.plugins.segmentBoxes.highlight)") == segment_id
    assert "Joke" in accessible_name(page.locator("tr.segment-row").nth(1).locator("button.segment-show"))

    # the curves differ in dash and marker, not only in colour
    styles = page.evaluate("""() => Chart.getChart(document.getElementById('curves-chart')).data.datasets
        .filter((dataset) => !dataset.label.startsWith('band-')).map((dataset) => [JSON.stringify(dataset.borderDash), dataset.pointStyle])""")
    assert len(styles) == len(EMOTIONS)
    assert len({dash for dash, _ in styles}) == len(EMOTIONS) and len({point for _, point in styles}) == len(EMOTIONS)

    # the chart's figures as a table: one row per second of the 30 s ad, a cell per emotion
    details = page.locator("details.chart-data[data-chart='curves-chart']")
    details.locator("summary").click()
    rows = details.locator("tbody tr")
    assert rows.count() == 30 and rows.first.locator("td").count() == len(EMOTIONS)
    assert re.fullmatch(r"\d+\.\d%", rows.nth(10).locator("td").nth(EMOTIONS.index("happy")).inner_text().strip())
    assert page.get_attribute("#curves-chart", "aria-describedby") == "key-moments-list"

    # "as expected" is said, not only ticked; no column heading is empty
    assert page.locator(".segment-results .visually-hidden", has_text="as expected").count() >= 1
    empty = page.evaluate("[...document.querySelectorAll('main th')].filter((th) => !th.textContent.trim()).length")
    assert empty == 0


# Each name the report's chart writes in its key moments' 10 px type, where it writes it.
RECORD_MOMENT_LABELS = """(() => {
    window.momentLabels = [];
    const fillText = CanvasRenderingContext2D.prototype.fillText;
    CanvasRenderingContext2D.prototype.fillText = function (text, x, y) {
        if (this.canvas.id === "curves-chart" && this.font.includes("10px")) {
            const width = this.measureText(text).width;
            window.momentLabels.push({text: text, left: x - width / 2, right: x + width / 2, y: y});
        }
        return fillText.apply(this, arguments);
    };
})()"""


@pytest.mark.django_db(transaction=True)
def test_key_moments_that_coincide_are_named_on_rows_of_their_own(live_server, page, producer, demo_campaign):
    page.add_init_script(RECORD_MOMENT_LABELS)
    log_in(page, live_server.url)
    # the demo's women: their happy peak is where they also looked away most
    page.goto(f"{live_server.url}/campaigns/{demo_campaign.id}/report/?gender=woman")
    page.wait_for_function("window.momentLabels.length > 0")
    labels = {(label["text"], label["left"], label["y"]): label for label in page.evaluate("window.momentLabels")}
    labels = list(labels.values())
    assert {"happy", "looked away"} <= {label["text"] for label in labels}
    for i, first in enumerate(labels):
        for second in labels[i + 1:]:
            apart = first["right"] <= second["left"] or second["right"] <= first["left"] \
                or abs(first["y"] - second["y"]) >= 10
            assert apart, (first, second)


@pytest.mark.django_db(transaction=True)
def test_the_campaign_page_timeline_and_copy_button(live_server, page, producer, demo_campaign):
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    log_in(page, live_server.url)
    page.goto(f"{live_server.url}/campaigns/{demo_campaign.id}/")
    page.wait_for_selector(".timeline-segment")
    assert page.get_attribute("#segment-timeline", "role") == "group"
    contrasts = page.evaluate("""() => [...document.querySelectorAll('.timeline-segment')].map((block) => {
        const style = getComputedStyle(block);
        return [block.textContent, style.color, style.backgroundColor, style.opacity]; })""")
    for name, color, background, opacity in contrasts:
        assert opacity == "1" and page.evaluate(CONTRAST, [color, background]) >= 4.5, (name, color, background)

    # a name cut short on the timeline shows whole on focus, within the timeline; times said, not only hovered
    block = page.locator(".timeline-segment", has_text="Joke: the talking cat")
    block.hover()  # the pointer does not grow it over its neighbours, where a click would edit the wrong one
    assert block.evaluate("(block) => block.scrollWidth > block.clientWidth")
    for name in ("Joke: the talking cat", "Call to action"):
        page.locator(".timeline-segment", has_text=name).focus()
        shown = page.evaluate("""() => {
            const block = document.activeElement, timeline = document.getElementById("segment-timeline");
            return {whole: block.scrollWidth <= block.clientWidth,
                    inside: block.getBoundingClientRect().right <= timeline.getBoundingClientRect().right + 1};
        }""")
        assert shown == {"whole": True, "inside": True}, name
    assert page.get_by_role("button", name="Edit segment Joke: the talking cat (9.0–15.0 s): happy").count() == 1

    page.evaluate(WATCH_TEXT, "copy-status")
    page.get_by_role("button", name="Copy").first.click()
    page.wait_for_function("window.changes['copy-status'].some(([, text]) => text.includes('copied'))")
    assert page.get_attribute("#copy-status", "role") == "status"
    empty = page.evaluate("[...document.querySelectorAll('main th')].filter((th) => !th.textContent.trim()).length")
    assert empty == 0


# Analyses that finish while the page is open -------------------------------------------------------


def _queued_job(owner, samples_dir, *, kind=AnalysisJob.Kind.IMAGE, batch_id=None, name="single_face.jpg"):
    job = AnalysisJob(owner=owner, original_filename=name, kind=kind, batch_id=batch_id)
    job.input_file.save("input" + name[-4:], SimpleUploadedFile(name, (samples_dir / name).read_bytes()), save=False)
    job.save()
    return job


def _fail(job):
    AnalysisJob.objects.filter(pk=job.pk).update(status=AnalysisJob.Status.FAILED, progress=100,
                                                  error_message="No face could be read.")


@pytest.mark.django_db(transaction=True)
def test_the_batch_page_says_each_file_finishing_once(live_server, page, producer, samples_dir):
    batch_id = uuid.uuid4()
    first, second = (_queued_job(producer, samples_dir, batch_id=batch_id) for _ in range(2))
    log_in(page, live_server.url)
    page.goto(f"{live_server.url}/batches/{batch_id}/")
    page.evaluate(WATCH_TEXT, "batch-announce")
    page.wait_for_timeout(2500)  # a few polls with nothing new: nothing said
    assert page.evaluate("window.changes['batch-announce']") == []

    _fail(first)
    page.wait_for_function("document.getElementById('batch-announce').textContent === '1 of 2 finished.'")
    _fail(second)
    page.wait_for_function("document.getElementById('batch-overview').dataset.finished === '1'")
    said = [text for _, text in page.evaluate("window.changes['batch-announce']")]
    assert said == ["1 of 2 finished.", "All 2 finished: 0 succeeded, 2 failed."]
    assert page.get_attribute("#batch-announce", "role") == "status"


@pytest.mark.django_db(transaction=True)
def test_a_video_job_says_its_progress_by_quarters_and_its_end(live_server, page, producer, samples_dir):
    job = _queued_job(producer, samples_dir, kind=AnalysisJob.Kind.VIDEO, name="single_face.mp4")
    log_in(page, live_server.url)
    page.goto(f"{live_server.url}/jobs/{job.id}/")
    assert page.locator(".job-card [aria-live]").count() == 0  # the frames line changes every second
    page.evaluate("document.querySelector('.job-announce').id = 'job-announce'")
    page.evaluate(WATCH_TEXT, "job-announce")
    for progress in (10, 20, 30, 40, 55):
        AnalysisJob.objects.filter(pk=job.pk).update(
            status=AnalysisJob.Status.RUNNING, progress=progress,
            progress_detail={"frames_done": progress, "frames_total": 100, "frames_per_s": 20.0, "seconds_left": 3})
        page.wait_for_function(f"document.querySelector('.job-progress-percent').textContent === '{progress}%'")
    _fail(job)
    page.wait_for_selector(".job-card[data-job-status='failed']")
    page.wait_for_function("window.changes['job-announce'].length >= 3")
    said = [text for _, text in page.evaluate("window.changes['job-announce']")]
    assert said == ["single_face.mp4: 25 % analysed.", "single_face.mp4: 50 % analysed.",
                    "single_face.mp4: the analysis failed."]


# The live camera and the viewer's pages (WebSockets, fake camera) ---------------------------------


@pytest.mark.slow
def test_the_live_page_says_a_faces_emotion_seldom_and_keeps_the_focus(asgi_server, camera_browser):
    page = camera_browser.new_page(viewport={"width": 1280, "height": 900})
    page.set_default_timeout(60_000)
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(asgi_server + "/live/")
    # nothing around the face panels is a live region: they change ~25 times a second
    assert page.evaluate("""() => { for (let e = document.getElementById('face-panels'); e; e = e.parentElement) {
        if (e.hasAttribute('aria-live') || ['status', 'log', 'alert'].includes(e.getAttribute('role'))) return false; }
        return true; }""")
    page.evaluate(WATCH_TEXT, "face-status")

    page.get_by_role("button", name="Start camera").focus()
    page.keyboard.press("Enter")
    page.wait_for_function("Number(document.getElementById('stat-results').textContent) >= 5")
    assert page.evaluate("document.activeElement.id") == "camera-stop"  # not dropped to the page's start
    first = int(page.inner_text("#stat-results"))
    page.wait_for_timeout(7000)
    results = int(page.inner_text("#stat-results")) - first
    changes = page.evaluate("window.changes['face-status']")
    assert results > 30 and 1 <= len(changes) <= 4, (results, changes)
    assert all(re.fullmatch(r"(Face \d+: (%s)\. ?)+|No face in view\." % "|".join(EMOTIONS), text.strip())
               for _, text in changes), changes
    assert all(later - earlier >= 2000 for (earlier, _), (later, _) in zip(changes, changes[1:])), changes
    assert page.get_attribute("#face-status", "role") == "status"

    record = page.get_by_role("button", name="Record emotions")
    assert record.get_attribute("aria-pressed") == "false"
    record.click()
    page.wait_for_selector("#record-toggle[aria-pressed='true']")
    assert accessible_name(record) == "Record emotions"  # a toggle keeps its name

    page.get_by_role("button", name="Stop", exact=True).focus()
    page.keyboard.press("Enter")
    page.wait_for_selector("#camera-start:not([disabled])")
    assert page.evaluate("document.activeElement.id") == "camera-start"
    assert page.get_attribute("#record-toggle", "aria-pressed") == "false"
    assert errors == []
    page.close()


@pytest.mark.slow
def test_the_viewer_hears_the_check_once_and_keeps_the_focus_on_the_ad(asgi_server, chromium_browser, camera_browser,
                                                                       samples_dir):
    producer, _ = producer_with_a_new_campaign(chromium_browser, asgi_server, "a11y-viewer-test", "Focus spot",
                                               samples_dir / "single_face.mp4")
    producer.click("#invitations button[type=submit]")
    link = producer.input_value(".invitation-url")

    viewer, errors = viewer_page(camera_browser)
    viewer.goto(link)
    viewer.check("input[name=analyse_webcam]")
    viewer.click("button[name=agree]")
    viewer.wait_for_selector("#check-hint")
    viewer.evaluate(WATCH_TEXT, "check-hint")
    viewer.wait_for_selector("#check-continue:not([disabled])")
    viewer.wait_for_timeout(2000)  # some 20 more results, the hint unchanged
    hints = [text for _, text in viewer.evaluate("window.changes['check-hint']")]
    # written only when it changes: ~20 results, no rewrite of the same words (a fast check may have
    # written its last words before the watch began, so none at all is right too)
    assert viewer.text_content("#check-hint").strip() and all(a != b for a, b in zip(hints, hints[1:])), hints
    viewer.click("#check-continue")

    viewer.wait_for_selector("#ad-start:not([disabled])")
    assert viewer.locator("h1").count() == 1
    assert viewer.get_attribute("#ad-overlay-text", "role") == "status"
    viewer.evaluate(WATCH_TEXT, "face-badge")
    viewer.focus("#ad-start")
    viewer.keyboard.press("Enter")
    viewer.wait_for_function("document.getElementById('ad-video').currentTime > 0.5")
    assert viewer.evaluate("document.activeElement.id") == "ad-stage"  # not the page's start
    progress = viewer.locator(".progress[aria-label='Ad progress']")
    assert progress.get_attribute("aria-valuemin") == "0" and progress.get_attribute("aria-valuemax") == "100"
    assert int(progress.get_attribute("aria-valuenow")) > 0
    badges = [text for _, text in viewer.evaluate("window.changes['face-badge']")]
    assert len(badges) <= 2, badges  # "face visible" once, not at every result

    # the tab is left: the ad pauses, the overlay says so and its button takes the focus
    viewer.evaluate("""() => { Object.defineProperty(document, 'hidden', {configurable: true, get: () => true});
        document.dispatchEvent(new Event('visibilitychange')); }""")
    viewer.wait_for_selector("#ad-overlay:not(.d-none)")
    assert "Paused" in viewer.inner_text("#ad-overlay-text")
    assert viewer.evaluate("document.activeElement.id") == "ad-start"
    assert errors == []
