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
