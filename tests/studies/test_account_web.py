"""The account page: what the account holds, changing the password, deleting the account."""

import re
import uuid

import pytest
from django.contrib.auth import get_user_model
from django.contrib.messages import get_messages
from django.core.files.base import ContentFile
from django.test import Client

from studies import services
from studies.models import AnalysisJob
from tests.studies.conftest import WEBM_HEAD

pytestmark = pytest.mark.django_db


def test_the_page_is_for_signed_in_people_only(client):
    response = client.get("/accounts/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/?next=/accounts/")


def test_the_page_says_what_the_account_holds_and_the_menu_leads_there(client, user, make_job, make_campaign, join):
    make_job(owner=user)
    make_job(owner=user)
    session = join(make_campaign(user), keep_recording=True)
    services.viewer_recording_append(session, services.RecordingChunk(
        part_id=uuid.uuid4(), offset=0, starts_at_ms=0, data=ContentFile(WEBM_HEAD * 100, name="webcam.webm")))
    client.force_login(user)
    page = client.get("/accounts/").content.decode()
    assert 'href="/accounts/" title="Your account: signed in as producer"' in page
    assert "2 analyses</a>" in page
    assert "1 campaign</a> with 1 viewer session and 1.6\xa0KB of viewers' webcam recordings" in page
    assert 'action="/accounts/delete/"' in page and 'autocomplete="current-password"' in page


def test_deleting_asks_for_the_password_again(client, user, make_job):
    make_job(owner=user)
    client.force_login(user)
    response = client.post("/accounts/delete/", {"password": "guessed"})
    assert response.status_code == 400
    assert "That is not your password; nothing was deleted." in response.content.decode()
    assert AnalysisJob.objects.count() == 1 and client.get("/accounts/").status_code == 200


def test_deleting_signs_out_and_says_so(client, user, make_job):
    make_job(owner=user)
    client.force_login(user)
    response = client.post("/accounts/delete/", {"password": "producer-password"})
    assert response.status_code == 302 and response["Location"] == "/"
    assert [str(m) for m in get_messages(response.wsgi_request)] == [
        "Your account was deleted, with all its analyses, campaigns, viewers' data and files."]
    assert not get_user_model().objects.exists() and not AnalysisJob.objects.exists()
    assert client.get("/accounts/").status_code == 302  # signed out


def test_changing_the_password_keeps_this_browser_signed_in(client, user):
    client.force_login(user)
    form = client.get("/accounts/password/").content.decode()
    assert 'name="old_password"' in form and 'autocomplete="current-password"' in form
    response = client.post("/accounts/password/", {
        "old_password": "producer-password", "new_password1": "a-new-long-passphrase",
        "new_password2": "a-new-long-passphrase"})
    assert response.status_code == 302 and response["Location"] == "/accounts/"
    assert "Your password was changed." in client.get("/accounts/").content.decode()
    user.refresh_from_db()
    assert user.check_password("a-new-long-passphrase")


def _api_status(client, key) -> int:
    return client.get("/api/v1/jobs/", HTTP_AUTHORIZATION=f"Token {key}").status_code


def _shown_token(page) -> str:
    return re.search(r'id="new-api-token" readonly value="([0-9a-f]{40})"', page.content.decode()).group(1)


def test_an_api_token_takes_the_password_is_shown_once_and_can_be_replaced_or_revoked(client, user):
    client.force_login(user)
    assert "None yet." in client.get("/accounts/").content.decode()
    refused = client.post("/accounts/api-token/", {"token-password": "guessed"})
    assert refused.status_code == 400 and "That is not your password; no token was made." in refused.content.decode()

    made = client.post("/accounts/api-token/", {"token-password": "producer-password"})
    assert made.status_code == 302 and made["Location"] == "/accounts/#api-token"
    shown = client.get("/accounts/")
    key = _shown_token(shown)
    assert shown["Cache-Control"] == "no-store" and _api_status(Client(), key) == 200
    reloaded = client.get("/accounts/").content.decode()
    assert key not in reloaded and "This page shows a token once" in reloaded and "Replace the token" in reloaded

    client.post("/accounts/api-token/", {"token-password": "producer-password"})
    new_key = _shown_token(client.get("/accounts/"))
    assert new_key != key and _api_status(Client(), key) == 401 and _api_status(Client(), new_key) == 200

    revoked = client.post("/accounts/api-token/revoke/")
    assert revoked.status_code == 302 and revoked["Location"] == "/accounts/"
    assert _api_status(Client(), new_key) == 401
    assert "None yet." in client.get("/accounts/").content.decode()


def test_changing_the_password_revokes_the_api_token(client, user):
    client.force_login(user)
    client.post("/accounts/api-token/", {"token-password": "producer-password"})
    key = _shown_token(client.get("/accounts/"))
    client.post("/accounts/password/", {"old_password": "producer-password", "new_password1": "a-new-long-passphrase",
                                        "new_password2": "a-new-long-passphrase"})
    assert _api_status(Client(), key) == 401
    assert "and your API token revoked" in client.get("/accounts/").content.decode()
