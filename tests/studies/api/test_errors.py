"""Every API error has one shape, {"detail", "field", "errors"}, whatever went wrong."""

import uuid

import pytest
from rest_framework.test import APIClient

from studies import selectors, services

pytestmark = pytest.mark.django_db

SHAPE = {"detail", "field", "errors"}


@pytest.fixture
def campaign(user, make_campaign):
    return make_campaign(user)


def test_an_invalid_field_names_itself_in_the_detail(user_api_client, campaign):
    response = user_api_client.post(f"/api/v1/campaigns/{campaign.id}/segments/",
                                    {"name": "Hook", "end_s": 1.0, "expected_emotions": ["happy"]}, format="json")
    body = response.json()
    assert response.status_code == 400 and set(body) == SHAPE
    assert body["field"] == "start_s" and body["detail"] == "start_s: This field is required."
    assert body["errors"] == {"start_s": ["This field is required."]}


def test_a_bad_item_in_a_list_is_located_by_its_position(campaign, join):
    session = join(campaign)
    samples = [{"t_ms": 0, "face": False}, {"t_ms": "soon", "face": False}]
    response = APIClient().post(f"/api/v1/viewer-sessions/{session.id}/samples/", {"samples": samples},
                                format="json", HTTP_X_VIEWER_TOKEN=session.ingest_token)
    body = response.json()
    assert response.status_code == 400 and body["field"] == "samples"
    assert body["detail"] == "samples.1.t_ms: A valid integer is required."
    assert body["errors"]["samples"][1] == {"t_ms": ["A valid integer is required."]}


def test_a_rule_the_service_enforces_has_the_same_shape(user_api_client, campaign):
    response = user_api_client.post(f"/api/v1/campaigns/{campaign.id}/segments/",
                                    {"name": "Too long", "start_s": 0, "end_s": 60, "expected_emotions": ["happy"]},
                                    format="json")
    body = response.json()
    assert response.status_code == 400 and set(body) == SHAPE and body["field"] == "end_s"
    assert body["errors"] == {"end_s": [body["detail"]]} and "2.4" in body["detail"]


def test_refusals_and_missing_things_have_no_field(user_api_client, campaign, join):
    invitation = services.invitation_create(campaign)
    services.invitation_revoke(invitation)
    answers = {
        403: APIClient().post(f"/api/v1/join/{invitation.token}/", {"analyse_webcam": True}, format="json"),
        404: user_api_client.get(f"/api/v1/campaigns/{uuid.uuid4()}/"),
        401: APIClient().get("/api/v1/campaigns/"),
    }
    for status, response in answers.items():
        body = response.json()
        assert response.status_code == status and set(body) == SHAPE, body
        assert body["detail"] and body["field"] is None and body["errors"] == {}
    assert "withdrawn" in answers[403].json()["detail"]


def test_an_unknown_endpoint_says_so_in_the_same_shape(user_api_client):
    response = user_api_client.get("/api/v1/campaigns/not-a-uuid/")
    assert response.status_code == 404 and set(response.json()) == SHAPE
    assert "No API endpoint at /api/v1/campaigns/not-a-uuid/" in response.json()["detail"]


def test_the_apis_own_address_leads_to_its_documentation(client):
    for address in ("/api/", "/api/v1/"):
        response = client.get(address)
        assert response.status_code == 302 and response["Location"] == "/api/v1/docs/", address


def test_a_json_body_over_the_upload_limit_is_refused_before_it_is_read(user_api_client, campaign, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1024 * 1024
    body = '{"name": "' + "x" * (1024 * 1024) + '"}'
    response = user_api_client.post(f"/api/v1/campaigns/{campaign.id}/segments/", body,
                                    content_type="application/json")
    assert response.status_code == 413 and set(response.json()) == SHAPE
    assert response.json()["detail"] == "The request body is over the 1 MB limit."


def test_protocol_errors_have_the_same_shape(user_api_client, campaign):
    malformed = user_api_client.post(f"/api/v1/campaigns/{campaign.id}/segments/", "{not json",
                                     content_type="application/json")
    wrong_method = user_api_client.put(f"/api/v1/campaigns/{campaign.id}/segments/", {}, format="json")
    for response, status, phrase in ((malformed, 400, "JSON parse error"), (wrong_method, 405, '"PUT" not allowed')):
        body = response.json()
        assert response.status_code == status and set(body) == SHAPE and phrase in body["detail"], body
        assert body["field"] is None and body["errors"] == {}


def test_a_bug_answers_500_in_the_same_shape_and_is_logged(user_api_client, monkeypatch, caplog):
    def broken(**kwargs):
        raise ZeroDivisionError("a bug")

    monkeypatch.setattr(selectors, "campaign_list_for_owner", broken)
    response = user_api_client.get("/api/v1/campaigns/")
    assert response.status_code == 500 and set(response.json()) == SHAPE
    assert "the error was logged" in response.json()["detail"] and "a bug" not in response.json()["detail"]
    assert any(record.exc_info and record.exc_info[0] is ZeroDivisionError for record in caplog.records)
