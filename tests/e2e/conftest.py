"""Headless Chromium for the browser tests.

Playwright drives the system Chromium (its own browser download is not
available here). Without /usr/bin/chromium the tests skip on a developer
machine but fail in CI, where a missing browser is a broken setup.
"""

import os
from pathlib import Path

import pytest

CHROMIUM_PATH = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]


@pytest.fixture(scope="module")
def chromium_browser():
    if not CHROMIUM_PATH.exists() and not os.environ.get("CI"):
        pytest.skip(f"{CHROMIUM_PATH} is not installed (scripts/test.sh installs it).")
    from playwright.sync_api import sync_playwright

    # Playwright's sync API keeps an event loop running in the test thread, so
    # Django takes the (synchronous) test code for async code and refuses the
    # database set-up and teardown. Allowed only while the browser is open.
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=str(CHROMIUM_PATH), args=CHROMIUM_ARGS)
            yield browser
            browser.close()
    finally:
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture
def page(chromium_browser):
    context = chromium_browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(30_000)
    yield page
    context.close()


@pytest.fixture(scope="module")
def asgi_server(tmp_path_factory):
    """A real Daphne serving HTTP and WebSockets, as in production, on a database of its own.

    pytest-django's live_server speaks WSGI only, so pages that need a WebSocket
    get this instead. With REDIS_URL set (CI's second run) it uses the Redis
    channel layer, like a production deployment.
    """
    from fer_platform import devservers

    folder = tmp_path_factory.mktemp("asgi")
    env = devservers.server_env(folder, redis_url=os.environ.get("REDIS_URL"))
    with devservers.daphne(folder, env) as (url, _):
        yield url


@pytest.fixture(scope="module")
def fake_camera_file(tmp_path_factory, samples_dir) -> Path:
    """../shared/samples/single_face.mp4 as the y4m file Chromium's fake camera plays in a loop."""
    import subprocess

    path = tmp_path_factory.mktemp("camera") / "single_face.y4m"
    subprocess.run(["ffmpeg", "-v", "error", "-y", "-i", str(samples_dir / "single_face.mp4"),
                    "-vf", "scale=640:480,fps=30", "-pix_fmt", "yuv420p", str(path)], check=True, timeout=120)
    return path


@pytest.fixture(scope="module")
def launch_chromium(chromium_browser):
    """Another Chromium with extra command-line switches (closed by the caller)."""

    def launch(*extra_args: str):
        return chromium_browser.browser_type.launch(executable_path=str(CHROMIUM_PATH),
                                                    args=[*CHROMIUM_ARGS, *extra_args])

    return launch


@pytest.fixture(scope="module")
def camera_browser(launch_chromium, fake_camera_file):
    """Chromium whose camera is the fake one, with permission granted (no prompt)."""
    browser = launch_chromium("--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream",
                              f"--use-file-for-fake-video-capture={fake_camera_file}")
    yield browser
    browser.close()


def producer_with_a_new_campaign(browser, server, username, campaign_name, ad_video, **context_options):
    """(page, its page errors) of a producer who signed up and created a collecting campaign."""
    producer = browser.new_context(viewport={"width": 1280, "height": 900}, **context_options).new_page()
    producer.set_default_timeout(60_000)
    errors = []
    producer.on("pageerror", lambda error: errors.append(str(error)))
    producer.goto(server + "/accounts/signup/")
    producer.fill("input[name=username]", username)
    producer.fill("input[name=password1]", "a-long-Passphrase-42")
    producer.fill("input[name=password2]", "a-long-Passphrase-42")
    producer.get_by_role("button", name="Sign up").click()
    producer.goto(server + "/campaigns/new/")
    producer.fill("input[name=name]", campaign_name)
    producer.select_option("select[name=status]", "collecting")
    producer.set_input_files("input[name=ad_video]", str(ad_video))
    producer.get_by_role("button", name="Create campaign").click()
    return producer, errors


def viewer_page(camera_browser):
    """(page, its page errors) of a viewer in a fresh browser context with the fake camera."""
    viewer = camera_browser.new_context(viewport={"width": 1100, "height": 850}).new_page()
    viewer.set_default_timeout(60_000)
    errors = []
    viewer.on("pageerror", lambda error: errors.append(str(error)))
    return viewer, errors
