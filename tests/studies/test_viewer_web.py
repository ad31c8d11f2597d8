"""The viewer's pages over HTTP: the consent form's answers, coming back to the watch page, and uploading
a consented recording."""

import re
import uuid

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from studies import services
from studies.errors import InvalidInput
from studies.models import Campaign, RecordingPart, ViewerSession
from tests.studies.conftest import WEBM_HEAD, sample_series

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


def test_the_consent_page_says_how_long_the_answers_are_kept(client, invitation):
    page = client.get(f"/v/{invitation.token}/").content.decode()
    assert "until the organiser deletes it or the study" in page
    Campaign.objects.filter(pk=invitation.campaign_id).update(retention_days=30)
    page = client.get(f"/v/{invitation.token}/").content.decode()
    assert "30 days after you watch; then the numbers and any recording are deleted" in page


def test_the_consent_page_says_what_age_and_gender_are_for_and_the_session_names_that_wording(client, invitation):
    from studies.consent import CONSENT_VERSION

    page = client.get(f"/v/{invitation.token}/").content.decode()
    assert "Age and gender below are optional: they let the organiser compare groups of viewers" in page
    client.post(f"/v/{invitation.token}/", {"agree": "1", "analyse_webcam": "on", "age_band": "25_34"})
    assert ViewerSession.objects.get().consent_version == CONSENT_VERSION == "2026-11-28.2"


def test_the_consent_page_asks_a_guardian_for_a_viewer_under_18(client, invitation):
    page = client.post(f"/v/{invitation.token}/", {"agree": "1", "analyse_webcam": "on",
                                                    "age_band": "under_18"}).content.decode()
    assert "Viewers under 18 take part only if a parent or guardian agrees too" in page
    assert 'aria-invalid="true"' in page and not ViewerSession.objects.exists()
    client.post(f"/v/{invitation.token}/", {"agree": "1", "analyse_webcam": "on", "age_band": "under_18",
                                             "guardian_agrees": "on"})
    session = ViewerSession.objects.get()
    assert session.consent_guardian is True
    producer = Client()
    producer.force_login(invitation.campaign.owner)
    detail = producer.get(f"/campaigns/{invitation.campaign_id}/viewers/{session.id}/").content.decode()
    assert "a parent or guardian agreed too" in detail


def test_joining_too_often_from_one_address_says_when_to_come_back(client, invitation):
    from studies.services import viewing

    for _ in range(viewing.JOINS_PER_ADDRESS.limit):  # a lab's worth of viewers from this address
        viewing.JOINS_PER_ADDRESS.record(str(invitation.campaign_id), "127.0.0.1")
    refused = client.post(f"/v/{invitation.token}/", {"agree": "1", "analyse_webcam": "on"})
    assert refused.status_code == 429 and refused["Retry-After"] == "3600"
    assert "Too many viewers joined this study from your network address" in refused.content.decode()
    assert not ViewerSession.objects.exists()


def test_a_shared_accounts_study_offers_no_recording_and_refuses_one(client, invitation):
    services.account_mark_shared(invitation.campaign.owner)  # the demo account: its password is public
    page = client.get(f"/v/{invitation.token}/").content.decode()
    assert 'name="keep_recording"' not in page and "This demo study keeps no webcam recording" in page
    with pytest.raises(InvalidInput, match="keeps no webcam recordings"):
        services.viewer_session_start(invitation_token=invitation.token,
                                      consent=services.Consent(analyse_webcam=True, keep_recording=True))
    # a stale page that still has the box: its tick is not taken
    client.post(f"/v/{invitation.token}/", {"agree": "1", "analyse_webcam": "on", "keep_recording": "on"})
    assert ViewerSession.objects.get().consent_keep_recording is False


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


# Uploading a consented recording -------------------------------------------------------------------


@pytest.fixture
def recording_viewer(client, invitation):
    client.post(f"/v/{invitation.token}/", {"agree": "1", "analyse_webcam": "on", "keep_recording": "on"})
    return ViewerSession.objects.get()


def post_chunk(client, session, data: bytes, *, part="00000000-0000-4000-8000-000000000001", offset=0, start_ms=0):
    return client.post(f"/v/session/{session.id}/recording/", {
        "recording": SimpleUploadedFile("webcam.webm", data, content_type="video/webm"),
        "part": part, "offset": offset, "start_ms": start_ms})


def test_the_watch_page_records_only_with_consent(client, watching, invitation):
    assert 'data-recording-url=""' in client.get(f"/v/session/{watching.id}/watch/").content.decode()
    refused = post_chunk(client, watching, WEBM_HEAD)
    assert refused.status_code == 403 and "did not agree" in refused.json()["detail"]


def test_a_recording_arrives_chunk_by_chunk(client, recording_viewer):
    page = client.get(f"/v/session/{recording_viewer.id}/watch/").content.decode()
    assert f'data-recording-url="/v/session/{recording_viewer.id}/recording/"' in page and 'id="recording-state">recording<' in page
    first = post_chunk(client, recording_viewer, WEBM_HEAD + b"a" * 4)
    assert first.status_code == 200 and first.json() == {"part": "00000000-0000-4000-8000-000000000001",
                                                          "stored": len(WEBM_HEAD) + 4}
    assert post_chunk(client, recording_viewer, b"b" * 10, offset=len(WEBM_HEAD) + 4).json()["stored"] == len(WEBM_HEAD) + 14
    gap = post_chunk(client, recording_viewer, b"c", offset=1000)
    assert gap.status_code == 409 and gap.json()["stored"] == len(WEBM_HEAD) + 14


@pytest.mark.parametrize("fields", [{"part": "not-a-uuid"}, {"offset": ""}, {"start_ms": "1.5"}, {"recording": ""}])
def test_a_malformed_chunk_is_refused_with_what_to_send(client, recording_viewer, fields):
    response = client.post(f"/v/session/{recording_viewer.id}/recording/", {
        "recording": SimpleUploadedFile("webcam.webm", WEBM_HEAD), "part": str(uuid.uuid4()), "offset": 0,
        "start_ms": 0, **fields})
    assert response.status_code == 400 and "'part' (a UUID)" in response.json()["detail"]
    assert not RecordingPart.objects.exists()


def test_a_negative_offset_is_refused_by_the_rule_it_breaks(client, recording_viewer):
    response = client.post(f"/v/session/{recording_viewer.id}/recording/", {
        "recording": SimpleUploadedFile("webcam.webm", WEBM_HEAD), "part": str(uuid.uuid4()), "offset": -1,
        "start_ms": 0})
    assert response.status_code == 400
    assert response.json() == {"detail": "A chunk's offset is a byte count, not negative."}
    assert not RecordingPart.objects.exists()


def test_only_the_viewers_own_browser_may_send_their_recording(recording_viewer):
    response = post_chunk(Client(), recording_viewer, WEBM_HEAD)
    assert response.status_code == 404 and not RecordingPart.objects.exists()
