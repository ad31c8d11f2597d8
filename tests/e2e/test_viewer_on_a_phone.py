"""The viewer's watch page on a phone: a wide ad held upright plays in a strip a third of the screen
high, so the page suggests turning the phone; not sideways, not for a tall ad, not on a computer.

Only the layout is looked at, so pytest-django's live server will do (the page's WebSocket and
camera are not needed to show the ad).
"""

import subprocess

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(300)]

UPRIGHT_PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}
COMPUTER = {"viewport": {"width": 1280, "height": 900}}


@pytest.fixture
def study_link(django_user_model, live_server):
    """make(ad_path) -> the invitation link of a collecting study of that ad."""
    from studies import services

    owner = django_user_model.objects.create_user(username="phone-test-producer", password="a-long-Passphrase-42")

    def make(ad_path):
        upload = SimpleUploadedFile(ad_path.name, ad_path.read_bytes(), content_type="video/mp4")
        campaign = services.campaign_create(owner=owner, ad_video=upload, name=f"Spot {ad_path.stem}",
                                            status="collecting")
        return f"{live_server.url}/v/{services.invitation_create(campaign).token}/"

    return make


def open_watch_page(browser, link, **context_options):
    page = browser.new_context(**context_options).new_page()
    page.set_default_timeout(30_000)
    page.goto(link)
    page.check("input[name=analyse_webcam]")
    page.click("button[name=agree]")
    page.wait_for_url("**/check/")
    page.goto(page.url.replace("/check/", "/watch/"))
    page.wait_for_selector("#viewer-app[data-ad-shape]")  # the ad's size is known
    return page


@pytest.mark.django_db(transaction=True)
def test_a_wide_ad_on_an_upright_phone_suggests_turning_it(chromium_browser, study_link, samples_dir):
    link = study_link(samples_dir / "single_face.mp4")  # 640 x 360

    phone = open_watch_page(chromium_browser, link, **UPRIGHT_PHONE)
    assert phone.get_attribute("#viewer-app", "data-ad-shape") == "wide"
    assert phone.is_visible("#turn-sideways-hint")
    phone.set_viewport_size({"width": 844, "height": 390})  # turned
    assert not phone.is_visible("#turn-sideways-hint")

    computer = open_watch_page(chromium_browser, link, **COMPUTER)
    assert not computer.is_visible("#turn-sideways-hint")


@pytest.mark.django_db(transaction=True)
def test_a_tall_ad_on_an_upright_phone_asks_nothing(chromium_browser, study_link, samples_dir, tmp_path):
    tall_ad = tmp_path / "tall.mp4"  # 360 x 640, as phones film
    subprocess.run(["ffmpeg", "-v", "error", "-y", "-i", str(samples_dir / "single_face.mp4"), "-vf", "transpose=1",
                    "-c:v", "libx264", "-pix_fmt", "yuv420p", "-an", str(tall_ad)], check=True, timeout=120)

    phone = open_watch_page(chromium_browser, study_link(tall_ad), **UPRIGHT_PHONE)
    assert phone.get_attribute("#viewer-app", "data-ad-shape") == "tall"
    assert not phone.is_visible("#turn-sideways-hint")
