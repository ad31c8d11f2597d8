"""The ad-testing REST API: producers' objects, viewers' clients, and nobody else's ids."""

import uuid

import pytest
from rest_framework.test import APIClient

from inference.labels import EMOTIONS
from studies import services
from studies.models import EmotionSample, ViewerSession
from tests.studies.conftest import sample_series

pytestmark = pytest.mark.django_db

HOOK = {"name": "Hook", "start_s": 0.5, "end_s": 1.5, "expected_emotions": ["happy"]}


@pytest.fixture
def campaign(user, make_campaign):
    return make_campaign(user, segments=[HOOK])


@pytest.fixture
def viewer(campaign, join):
    session = join(campaign)
    services.viewer_samples_add(session, sample_series(range(0, 2000, 100), 0.5))
    services.viewer_session_finish(session)
    return session


def _probabilities(happy: float) -> dict:
    return {name: (happy if name == "happy" else (1 - happy if name == "neutral" else 0.0)) for name in EMOTIONS}


def test_a_producer_builds_a_campaign_through_the_api(user_api_client, samples_dir):
    with open(samples_dir / "single_face.mp4", "rb") as ad:
        created = user_api_client.post("/api/v1/campaigns/", {"name": "API cut", "brand": "Fizz", "ad_video": ad,
                                                              "status": "collecting"}, format="multipart")
    assert created.status_code == 201, created.content
    campaign = created.json()
    assert campaign["ad_duration_s"] == pytest.approx(2.4, abs=0.05) and campaign["status"] == "collecting"
    assert (campaign["viewers_total"], campaign["viewers_completed"]) == (0, 0)
    base = f"/api/v1/campaigns/{campaign['id']}/"

    segment = user_api_client.post(base + "segments/", HOOK, format="json")
    assert segment.status_code == 201 and segment.json()["expected_emotions"] == ["happy"]
    too_long = user_api_client.post(base + "segments/", {**HOOK, "end_s": 30}, format="json")
    assert too_long.status_code == 400 and too_long.json()["field"] == "end_s"
    patched = user_api_client.patch(f"/api/v1/segments/{segment.json()['id']}/", {"notes": "laugh line"}, format="json")
    assert patched.status_code == 200 and patched.json()["notes"] == "laugh line"

    invitation = user_api_client.post(base + "invitations/", {"label": "Panel A", "max_viewers": 5}, format="json")
    assert invitation.status_code == 201 and invitation.json()["link"].endswith(f"/v/{invitation.json()['token']}/")
    assert user_api_client.patch(base, {"status": "closed"}, format="json").json()["status"] == "closed"
    assert [c["name"] for c in user_api_client.get("/api/v1/campaigns/").json()["results"]] == ["API cut"]
    report = user_api_client.get(base + "report/").json()
    assert report["viewers"] == 0 and report["segments"][0]["verdict"] == "too_few_viewers"
    assert report["moments"]["peaks"] == [] and report["moments"]["attention_dip"] is None


@pytest.mark.parametrize("times", [{"start_s": "NaN"}, {"end_s": "Infinity"}, {"start_s": "-inf"}])
def test_segment_times_that_are_not_finite_numbers_are_refused(user_api_client, campaign, times):
    created = user_api_client.post(f"/api/v1/campaigns/{campaign.id}/segments/", {**HOOK, **times}, format="json")
    assert created.status_code == 400
    assert created.json()["detail"] == "Start and end are times in seconds, e.g. 4.5."
    hook = campaign.segments.get()
    patched = user_api_client.patch(f"/api/v1/segments/{hook.id}/", times, format="json")
    assert patched.status_code == 400 and patched.json()["field"] == next(iter(times))
    hook.refresh_from_db()
    assert (hook.start_s, hook.end_s) == (0.5, 1.5)


def test_every_answer_about_one_campaign_counts_its_viewers(user_api_client, campaign, viewer, join):
    join(campaign)
    base = f"/api/v1/campaigns/{campaign.id}/"
    listed = user_api_client.get("/api/v1/campaigns/").json()["results"][0]
    for answer in (listed, user_api_client.get(base).json(),
                   user_api_client.patch(base, {"brand": "Fizz"}, format="json").json()):
        assert (answer["viewers_total"], answer["viewers_completed"]) == (2, 1)


def test_a_bad_ad_gets_a_reason(user_api_client, bad_videos):
    path, phrase = bad_videos["truncated"]
    with open(path, "rb") as ad:
        response = user_api_client.post("/api/v1/campaigns/", {"name": "x", "ad_video": ad}, format="multipart")
    assert response.status_code == 400 and phrase in response.json()["detail"]


def test_a_viewers_client_joins_sends_samples_and_finishes(campaign):
    invitation = services.invitation_create(campaign)
    client = APIClient()
    joined = client.post(f"/api/v1/join/{invitation.token}/", {"analyse_webcam": True, "age_band": "35_44"},
                         format="json")
    assert joined.status_code == 201
    session_id, token = joined.json()["session_id"], joined.json()["ingest_token"]
    samples = [{"t_ms": t, "face": True, "probabilities": _probabilities(0.6), "detection": 0.9} for t in range(0, 1000, 100)]
    samples.append({"t_ms": 1000, "face": False})
    url = f"/api/v1/viewer-sessions/{session_id}/samples/"
    batch = str(uuid.uuid4())
    sent = client.post(url, {"batch_id": batch, "samples": samples}, format="json", HTTP_X_VIEWER_TOKEN=token)
    assert sent.status_code == 201 and sent.json() == {"stored": 11}
    again = client.post(url, {"batch_id": batch, "samples": samples}, format="json", HTTP_X_VIEWER_TOKEN=token)
    assert again.json() == {"stored": 11} and EmotionSample.objects.count() == 11  # a retry is stored once
    finished = client.post(f"/api/v1/viewer-sessions/{session_id}/finish/", HTTP_X_VIEWER_TOKEN=token)
    assert finished.json()["status"] == "completed" and finished.json()["face_visible_share"] == pytest.approx(10 / 11)
    late = client.post(url, {"samples": samples[:1]}, format="json", HTTP_X_VIEWER_TOKEN=token)
    assert late.status_code == 403 and "finished" in late.json()["detail"]


def test_viewer_endpoints_need_the_sessions_own_token(campaign, viewer):
    client = APIClient()
    url = f"/api/v1/viewer-sessions/{viewer.id}/samples/"
    assert client.post(url, {"samples": []}, format="json").status_code == 404
    assert client.post(url, {"samples": []}, format="json", HTTP_X_VIEWER_TOKEN="guess").status_code == 404
    assert client.post(f"/api/v1/viewer-sessions/{viewer.id}/withdraw/", HTTP_X_VIEWER_TOKEN="guess").status_code == 404


def test_joining_needs_consent_and_a_live_invitation(campaign):
    invitation = services.invitation_create(campaign)
    client = APIClient()
    refused = client.post(f"/api/v1/join/{invitation.token}/", {"analyse_webcam": False}, format="json")
    assert refused.status_code == 403 and "webcam" in refused.json()["detail"]
    services.invitation_revoke(invitation)
    assert client.post(f"/api/v1/join/{invitation.token}/", {"analyse_webcam": True}, format="json").status_code == 403
    assert not ViewerSession.objects.exists()


def test_bad_samples_are_refused_whole(campaign, join):
    session = join(campaign)
    client = APIClient()
    url = f"/api/v1/viewer-sessions/{session.id}/samples/"
    bad = [{"t_ms": 0, "face": True, "probabilities": {"joy": 1.0}}]
    response = client.post(url, {"samples": bad}, format="json", HTTP_X_VIEWER_TOKEN=session.ingest_token)
    assert response.status_code == 400 and "joy" in response.json()["detail"]
    skewed = [{"t_ms": 0, "face": True, "probabilities": _probabilities(0.5) | {"sad": 0.9}}]
    response = client.post(url, {"samples": skewed}, format="json", HTTP_X_VIEWER_TOKEN=session.ingest_token)
    assert response.status_code == 400 and "add up to 1" in response.json()["detail"]
    assert not EmotionSample.objects.exists()


def test_the_viewer_withdraws_through_the_api(campaign, viewer):
    client = APIClient()
    response = client.post(f"/api/v1/viewer-sessions/{viewer.id}/withdraw/", HTTP_X_VIEWER_TOKEN=viewer.ingest_token)
    assert response.status_code == 200 and response.json()["status"] == "withdrawn"
    assert not EmotionSample.objects.filter(session=viewer).exists()


def test_the_producer_reads_and_erases_viewers(user_api_client, campaign, viewer):
    listed = user_api_client.get(f"/api/v1/campaigns/{campaign.id}/viewer-sessions/").json()["results"]
    assert [row["viewer_id"] for row in listed] == [viewer.viewer_id]
    assert "ingest_token" not in listed[0]
    report = user_api_client.get(f"/api/v1/viewer-sessions/{viewer.id}/report/").json()
    assert report["viewer"]["samples"] == 20
    assert user_api_client.get(f"/api/v1/campaigns/{campaign.id}/report/?include_unfinished=1").json()["viewers"] == 1
    assert user_api_client.delete(f"/api/v1/viewer-sessions/{viewer.id}/").status_code == 204
    assert not ViewerSession.objects.exists() and not EmotionSample.objects.exists()


def test_the_viewer_list_filters_by_status_and_refuses_an_unknown_one(user_api_client, campaign, viewer):
    url = f"/api/v1/campaigns/{campaign.id}/viewer-sessions/"
    assert [row["viewer_id"] for row in user_api_client.get(url, {"status": viewer.status}).json()["results"]] \
        == [viewer.viewer_id]
    assert user_api_client.get(url, {"status": "withdrawn"}).json()["results"] == []
    refused = user_api_client.get(url, {"status": "finished"})
    assert refused.status_code == 400 and "status" in str(refused.json())


def test_report_filters_that_make_no_sense_are_refused_not_guessed(user_api_client, campaign):
    url = f"/api/v1/campaigns/{campaign.id}/report/"
    for query, field in (("min_face=abc", "min_face"), ("min_face=-1", "min_face"), ("min_face=5", "min_face"),
                         ("min_face=nan", "min_face"), ("include_unfinished=maybe", "include_unfinished")):
        response = user_api_client.get(f"{url}?{query}")
        assert response.status_code == 400 and response.json()["field"] == field, query
    assert user_api_client.get(f"{url}?min_face=0.5&include_unfinished=true").status_code == 200


def _object_urls(campaign, viewer):
    segment = campaign.segments.get()
    invitation = services.invitation_create(campaign)
    return [
        ("get", f"/api/v1/campaigns/{campaign.id}/"),
        ("patch", f"/api/v1/campaigns/{campaign.id}/"),
        ("delete", f"/api/v1/campaigns/{campaign.id}/"),
        ("get", f"/api/v1/campaigns/{campaign.id}/segments/"),
        ("post", f"/api/v1/campaigns/{campaign.id}/segments/"),
        ("get", f"/api/v1/campaigns/{campaign.id}/invitations/"),
        ("post", f"/api/v1/campaigns/{campaign.id}/invitations/"),
        ("get", f"/api/v1/campaigns/{campaign.id}/viewer-sessions/"),
        ("get", f"/api/v1/campaigns/{campaign.id}/report/"),
        ("get", f"/api/v1/segments/{segment.id}/"),
        ("patch", f"/api/v1/segments/{segment.id}/"),
        ("delete", f"/api/v1/segments/{segment.id}/"),
        ("get", f"/api/v1/invitations/{invitation.id}/"),
        ("post", f"/api/v1/invitations/{invitation.id}/revoke/"),
        ("get", f"/api/v1/viewer-sessions/{viewer.id}/"),
        ("delete", f"/api/v1/viewer-sessions/{viewer.id}/"),
        ("get", f"/api/v1/viewer-sessions/{viewer.id}/report/"),
    ]


def test_every_object_endpoint_answers_404_to_another_producer(campaign, viewer, other_user):
    stranger = APIClient()
    stranger.force_authenticate(user=other_user)
    for method, url in _object_urls(campaign, viewer):
        response = getattr(stranger, method)(url, {"name": "taken", **HOOK} if method in ("post", "patch") else None,
                                             format="json")
        assert response.status_code == 404, (method, url, response.status_code)
    campaign.refresh_from_db()
    assert campaign.name == "Spring launch" and campaign.segments.count() == 1 and ViewerSession.objects.count() == 1
    assert stranger.get("/api/v1/campaigns/").json()["results"] == []


def test_anonymous_callers_get_401(campaign, viewer):
    anonymous = APIClient()
    for method, url in _object_urls(campaign, viewer):
        assert getattr(anonymous, method)(url).status_code == 401, (method, url)
    assert anonymous.get("/api/v1/campaigns/").status_code == 401


def test_the_schema_documents_the_campaign_api(api_client):
    schema = api_client.get("/api/v1/schema/").content.decode()
    for operation in ("campaigns_report", "campaigns_samples_csv", "viewer_join", "viewer_samples_create",
                      "viewer_sessions_erase"):
        assert operation in schema, operation


def test_the_report_narrows_to_an_audience_and_refuses_an_unknown_answer(user_api_client, campaign, join):
    url = f"/api/v1/campaigns/{campaign.id}/report/"
    for gender in ("woman", "man"):
        session = join(campaign, gender=gender, age_band="35_44")
        services.viewer_samples_add(session, sample_series(range(0, 2000, 100), 0.5))
        services.viewer_session_finish(session)
    report = user_api_client.get(url, {"gender": "woman", "age_band": "35_44"}).json()
    assert report["viewers"] == 1 and report["filters"]["gender"] == "woman"
    assert report["audience"]["gender"]["man"] == 1
    assert user_api_client.get(url, {"gender": ""}).json()["viewers"] == 2
    unanswered = join(campaign)
    services.viewer_samples_add(unanswered, sample_series(range(0, 2000, 100), 0.5))
    services.viewer_session_finish(unanswered)
    assert user_api_client.get(url, {"gender": "not_given"}).json()["viewers"] == 1
    for query, field in (({"gender": "robot"}, "gender"), ({"age_band": "18-24"}, "age_band")):
        refused = user_api_client.get(url, query)
        assert refused.status_code == 400 and refused.json()["field"] == field, query


def test_every_sample_of_the_report_as_csv_with_its_filters(user_api_client, campaign, viewer, join, other_user):
    import csv
    import io

    url = f"/api/v1/campaigns/{campaign.id}/samples.csv"
    response = user_api_client.get(url)
    assert response.status_code == 200 and response["Content-Type"] == "text/csv; charset=utf-8"
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert len(rows) == 20 and {row["viewer"] for row in rows} == {viewer.viewer_id}
    assert float(rows[0]["happy_pct"]) == 50.0
    assert b"".join(user_api_client.get(url, {"gender": "woman"}).streaming_content).count(b"\n") == 1  # header
    assert user_api_client.get(url, {"gender": "robot"}).status_code == 400
    user_api_client.force_authenticate(other_user)
    assert user_api_client.get(url).status_code == 404


def test_json_nested_deeper_than_the_stack_is_a_400_not_a_500(api_client, user_api_client, campaign):
    deep = '{"a":' * 50_000 + "1" + "}" * 50_000
    for client, url, method in ((api_client, "/api/v1/auth/token/", "post"),
                                (api_client, "/api/v1/join/no-such-token/", "post"),
                                (user_api_client, f"/api/v1/campaigns/{campaign.id}/", "patch")):
        response = getattr(client, method)(url, deep, content_type="application/json")
        assert response.status_code == 400 and "nested too deeply" in response.json()["detail"], url


def test_retention_is_held_to_ten_years(user_api_client, campaign):
    url = f"/api/v1/campaigns/{campaign.id}/"
    for days in (3651, 2 ** 63):
        refused = user_api_client.patch(url, {"retention_days": days}, format="json")
        assert refused.status_code == 400 and refused.json()["field"] == "retention_days", days
    assert user_api_client.patch(url, {"retention_days": 3650}, format="json").json()["retention_days"] == 3650


def test_joining_too_often_from_one_address_is_a_429_with_retry_after(api_client, campaign):
    from studies.services import viewing

    invitation = services.invitation_create(campaign)
    url = f"/api/v1/join/{invitation.token}/"
    for _ in range(viewing.JOINS_PER_ADDRESS.limit):
        assert api_client.post(url, {"analyse_webcam": True}, format="json").status_code == 201
    refused = api_client.post(url, {"analyse_webcam": True}, format="json")
    assert refused.status_code == 429 and refused["Retry-After"] == "3600"
    assert "Too many viewers joined" in refused.json()["detail"]


def test_every_invitation_answer_counts_its_viewers(user_api_client, campaign, join):
    created = user_api_client.post(f"/api/v1/campaigns/{campaign.id}/invitations/", {"label": "Panel"}, format="json")
    assert created.status_code == 201 and created.json()["viewers"] == 0
    invitation = campaign.invitations.get(pk=created.json()["id"])
    joined = services.viewer_session_start(invitation_token=invitation.token,
                                           consent=services.Consent(analyse_webcam=True))
    services.viewer_session_withdraw(join(campaign))  # another invitation's viewer, and withdrawn
    assert user_api_client.get(f"/api/v1/invitations/{invitation.id}/").json()["viewers"] == 1
    assert user_api_client.post(f"/api/v1/invitations/{invitation.id}/revoke/").json()["viewers"] == 1
    listed = user_api_client.get(f"/api/v1/campaigns/{campaign.id}/invitations/").json()
    assert {row["id"]: row["viewers"] for row in listed}[str(invitation.id)] == 1
    assert user_api_client.get(f"/api/v1/viewer-sessions/{joined.id}/").json()["self_report_age"] == ""


def test_the_schema_names_the_errors_each_operation_can_answer(api_client):
    paths = api_client.get("/api/v1/schema/?format=json").json()["paths"]
    campaign = paths["/api/v1/campaigns/{campaign_id}/"]
    assert {"401", "404"} <= set(campaign["get"]["responses"]) and {"400", "401", "404"} <= set(
        campaign["patch"]["responses"])
    token = paths["/api/v1/auth/token/"]["post"]
    assert {"200", "400", "429"} <= set(token["responses"]) and "401" not in token["responses"]
    assert "429" in paths["/api/v1/join/{token}/"]["post"]["responses"]
    samples = paths["/api/v1/viewer-sessions/{session_id}/samples/"]["post"]["requestBody"]["content"]
    assert list(samples) == ["application/json"]


def test_file_endpoints_answer_a_client_that_accepts_only_their_type(user_api_client, campaign, viewer):
    import uuid

    samples = user_api_client.get(f"/api/v1/campaigns/{campaign.id}/samples.csv", HTTP_ACCEPT="text/csv")
    assert samples.status_code == 200 and b"".join(samples.streaming_content).count(b"\n") == 1 + 20
    missing = user_api_client.get(f"/api/v1/jobs/{uuid.uuid4()}/annotated.jpg", HTTP_ACCEPT="image/jpeg")
    assert missing.status_code == 404 and missing["Content-Type"] == "application/json"  # was 406


def test_joining_as_a_minor_through_the_api_needs_the_guardians_agreement(api_client, campaign):
    invitation = services.invitation_create(campaign)
    url = f"/api/v1/join/{invitation.token}/"
    refused = api_client.post(url, {"analyse_webcam": True, "age_band": "under_18"}, format="json")
    assert refused.status_code == 400 and refused.json()["field"] == "guardian_agrees"
    joined = api_client.post(url, {"analyse_webcam": True, "age_band": "under_18", "guardian_agrees": True},
                             format="json")
    assert joined.status_code == 201
    assert ViewerSession.objects.get(pk=joined.json()["session_id"]).consent_guardian is True
