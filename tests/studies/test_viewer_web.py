"""The viewer's pages over HTTP: the consent form's answers, and coming back to the watch page."""

import re

import pytest

from studies import services
from studies.models import ViewerSession
from tests.studies.conftest import sample_series

pytestmark = pytest.mark.django_db

TICK_THE_BOX = "Tick this box to take part: the study needs your webcam&#x27;s emotion scores."


@pytest.fixture
def invitation(user, make_campaign):
    return services.invitation_create(make_campaign(user))


def consent_page(client, invitation, answers: dict):
    response = client.post(f"/v/{invitation.token}/", answers)
    return response, response.content.decode()


def test_agreeing_without_the_webcam_box_asks_again_and_keeps_the_other_answers(client, invitation):
    response, page = consent_page(client, invitation, {"agree": "1", "keep_recording": "on", "age_band": "25_34",
                                                       "gender": "woman"})
    assert response.status_code == 200 and "Nothing was recorded" not in page
    assert TICK_THE_BOX in page
    # the message is tied to the checkbox, for screen readers too
    assert re.search(r'<input type="checkbox" name="analyse_webcam"[^>]*aria-describedby="id_analyse_webcam_error"',
                     page)
    assert 'id="id_analyse_webcam_error"' in page
    # focused, so a phone scrolls to it (the page comes back at its top), and only that field
    assert re.search(r'<input type="checkbox" name="analyse_webcam"[^>]*autofocus', page)
    assert page.count("autofocus") == 1
    assert re.search(r'<input type="checkbox" name="keep_recording"[^>]*checked', page)
    assert re.search(r'<option value="25_34" selected>', page) and re.search(r'<option value="woman" selected>', page)
    assert 'name="agree"' in page and 'name="decline"' in page  # both choices are still there
    assert not ViewerSession.objects.exists()

    ticked = client.post(f"/v/{invitation.token}/", {"agree": "1", "analyse_webcam": "on", "keep_recording": "on",
                                                     "age_band": "25_34", "gender": "woman"})
    session = ViewerSession.objects.get()
    assert ticked["Location"] == f"/v/session/{session.id}/check/"
    assert (session.consent_keep_recording, session.self_report_age, session.self_report_gender) == (
        True, "25_34", "woman")


@pytest.mark.parametrize("answers", [
    {"decline": "1"},
    {"decline": "1", "analyse_webcam": "on", "gender": "man"},  # the button decides, not the boxes
    {"decline": "1", "age_band": "no-such-band"},  # declining never needs a valid form
])
def test_only_the_decline_button_declines(client, invitation, answers):
    _, page = consent_page(client, invitation, answers)
    assert "Nothing was recorded" in page and TICK_THE_BOX not in page
    assert not ViewerSession.objects.exists()


def test_a_fresh_consent_page_shows_no_error(client, invitation):
    page = client.get(f"/v/{invitation.token}/").content.decode()
    assert "autofocus" not in page
    assert TICK_THE_BOX not in page and "invalid-feedback" not in page


# Coming back to the watch page ---------------------------------------------------------------------


@pytest.fixture
def watching(client, invitation):
    client.post(f"/v/{invitation.token}/", {"agree": "1", "analyse_webcam": "on"})
    return ViewerSession.objects.get()


def test_the_first_visit_to_the_watch_page_starts_the_ad_from_the_beginning(client, watching):
    page = client.get(f"/v/session/{watching.id}/watch/").content.decode()
    assert 'data-resume-ms="0"' in page and "Start the ad" in page and "Continue the ad" not in page


def test_coming_back_from_the_withdraw_page_continues_the_ad_where_it_stopped(client, watching):
    # what the page's WebSocket stored before the viewer opened the withdraw page
    services.viewer_samples_add(watching, sample_series(range(0, 1300, 100), 0.5))
    assert "Go back" in client.get(f"/v/session/{watching.id}/withdraw/").content.decode()

    response = client.get(f"/v/session/{watching.id}/watch/")
    # "Go back" is a back/forward navigation: a cacheable page would come from the browser's cache, from 0:00
    assert "no-store" in response["Cache-Control"]
    page = response.content.decode()
    assert 'data-resume-ms="1200"' in page
    assert "Continue the ad" in page and "Start the ad" not in page and "continues where you left it" in page
