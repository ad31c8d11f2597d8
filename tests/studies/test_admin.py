"""The admin lists and opens analysis jobs and every ad-testing model."""

import uuid
from html.parser import HTMLParser

import pytest
from django.core.files.base import ContentFile
from django.urls import reverse
from rest_framework.authtoken.models import Token

from studies import services
from studies.models import AnalysisJob, EmotionSample, SampleBatch
from tests.studies.conftest import sample_series

pytestmark = pytest.mark.django_db


def test_admin_lists_searches_and_opens_jobs(admin_client, user, make_job):
    job = make_job(owner=user, original_filename="campaign-frame.jpg")

    listing = admin_client.get("/admin/studies/analysisjob/", {"q": "campaign-frame"})
    assert listing.status_code == 200
    assert str(job.id) in listing.content.decode()

    change = admin_client.get(f"/admin/studies/analysisjob/{job.id}/change/")
    assert change.status_code == 200
    assert "campaign-frame.jpg" in change.content.decode()


def test_admin_is_closed_to_ordinary_users(client, user):
    client.force_login(user)
    response = client.get("/admin/studies/analysisjob/")
    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]


def test_admin_opens_every_ad_testing_model(admin_client, user, make_campaign, join):
    campaign = make_campaign(user, segments=[{"name": "Hook", "start_s": 0, "end_s": 1, "expected_emotions": ["happy"]}])
    session = join(campaign)
    services.viewer_samples_add(session, sample_series([0, 100], 0.5), batch_id=uuid.uuid4())
    objects = {
        "campaign": campaign.id, "segment": campaign.segments.get().id, "invitation": session.invitation_id,
        "viewersession": session.id, "emotionsample": EmotionSample.objects.first().id,
        "samplebatch": SampleBatch.objects.get().id,
    }
    for model, pk in objects.items():
        assert admin_client.get(f"/admin/studies/{model}/").status_code == 200, model
        assert admin_client.get(f"/admin/studies/{model}/{pk}/change/").status_code == 200, model
    assert "Spring launch" in admin_client.get(f"/admin/studies/campaign/{campaign.id}/change/").content.decode()


def test_admin_lists_viewer_sessions_with_their_face_visible_share_in_percent(admin_client, user, make_campaign, join):
    campaign = make_campaign(user, segments=[{"name": "Hook", "start_s": 0, "end_s": 1, "expected_emotions": ["happy"]}])
    session = join(campaign)
    session.face_visible_share = 0.9466666
    session.save(update_fields=["face_visible_share"])
    listing = admin_client.get("/admin/studies/viewersession/").content.decode()
    assert "94%" in listing and "0.946" not in listing, "rounded down, as the report shows it"


def test_admin_index_spells_every_plural(admin_client):
    index = admin_client.get("/admin/").content.decode()
    assert "Sample batches" in index and "batchs" not in index


# Admin forms are posted back as a browser would: the page's own fields with a few values changed.

class _AdminFormReader(HTMLParser):
    """The name -> value pairs a browser would post back from an admin change page's form."""

    def __init__(self):
        super().__init__()
        self.data, self._in_form, self._select, self._textarea = {}, False, None, None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            self._in_form = attrs.get("id", "").endswith("_form")
        name = attrs.get("name")
        if not self._in_form:
            return
        if tag == "input" and name and attrs.get("type") not in ("submit", "file"):
            if attrs.get("type") not in ("checkbox", "radio") or "checked" in attrs:
                self.data[name] = attrs.get("value") or ("on" if attrs.get("type") == "checkbox" else "")
        elif tag == "select":
            self._select = name
            self.data[name] = ""
        elif tag == "option" and self._select and "selected" in attrs:
            self.data[self._select] = attrs.get("value", "")
        elif tag == "textarea":
            self._textarea = name
            self.data[name] = ""

    def handle_data(self, data):
        if self._textarea:
            self.data[self._textarea] += data

    def handle_endtag(self, tag):
        if tag == "form":
            self._in_form = False
        elif tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None


def admin_form(admin_client, url) -> dict:
    reader = _AdminFormReader()
    reader.feed(admin_client.get(url).content.decode())
    return reader.data


HOOK = {"name": "Hook", "start_s": 0, "end_s": 1, "expected_emotions": ["happy"]}


def test_admin_holds_segments_to_the_rules_of_the_campaign_pages(admin_client, user, make_campaign):
    campaign = make_campaign(user, segments=[HOOK])
    segment = campaign.segments.get()
    url = f"/admin/studies/segment/{segment.id}/change/"
    for field, value, message in [
        ("end_s", "999", f"The ad is {campaign.ad_duration_s:.2f} s long; the segment ends at 999 s."),
        ("expected_emotions", '["joy"]', "Unknown emotion(s) joy; choose from angry,"),
        ("expected_emotions", "5", "Write the emotions as a list"),
    ]:
        response = admin_client.post(url, {**admin_form(admin_client, url), field: value})
        assert response.status_code == 200, field
        assert message in response.content.decode()
    segment.refresh_from_db()
    assert (segment.end_s, segment.expected_emotions) == (1, ["happy"])

    added = admin_client.post("/admin/studies/segment/add/", {
        "campaign": campaign.id, "name": "Logo", "start_s": "1", "end_s": "2", "expected_emotions": '["joy"]'})
    assert "Unknown emotion(s) joy" in added.content.decode()
    assert campaign.segments.count() == 1


def test_admin_campaign_page_holds_its_segments_to_the_same_rules_and_cleans_them_alike(
        admin_client, user, make_campaign):
    campaign = make_campaign(user, segments=[HOOK])
    url = f"/admin/studies/campaign/{campaign.id}/change/"
    data = admin_form(admin_client, url)

    response = admin_client.post(url, {**data, "segments-0-end_s": "999"})
    assert f"The ad is {campaign.ad_duration_s:.2f} s long" in response.content.decode()
    response = admin_client.post(url, {**data, "segments-0-expected_emotions": '["joy"]'})
    assert "Unknown emotion(s) joy" in response.content.decode()
    assert campaign.segments.get().expected_emotions == ["happy"]

    # Within the tolerance past the ad's end, in any order: saved as the service saves it.
    response = admin_client.post(url, {**data, "segments-0-start_s": "1.0",
                                       "segments-0-end_s": str(campaign.ad_duration_s + 0.01),
                                       "segments-0-expected_emotions": '["surprise", "happy"]'})
    assert response.status_code == 302
    segment = campaign.segments.get()
    assert (segment.end_s, segment.expected_emotions) == (round(campaign.ad_duration_s, 3), ["happy", "surprise"])


def test_admin_shows_a_campaigns_sharing_but_leaves_it_to_the_share_button(admin_client, user, make_campaign):
    campaign = make_campaign(user)
    url = f"/admin/studies/campaign/{campaign.id}/change/"
    data = admin_form(admin_client, url)
    assert not {"share_token", "share_snapshot", "shared_at_0"} & set(data)

    response = admin_client.post(url, {**data, "share_token": "hand-typed", "share_snapshot": "{}",
                                       "shared_at_0": "2025-01-01", "shared_at_1": "12:00:00"})
    assert response.status_code == 302
    campaign.refresh_from_db()
    assert (campaign.share_token, campaign.share_snapshot, campaign.shared_at) == (None, None, None)
    assert admin_client.get("/r/hand-typed/").status_code == 404
    assert admin_client.get("/admin/studies/campaign/add/").status_code == 403  # campaigns start from a checked ad


def test_admin_cannot_add_or_edit_analysis_jobs_but_deletes_them(admin_client, user, make_job):
    job = make_job(owner=user, original_filename="notes.txt")
    assert admin_client.get("/admin/studies/analysisjob/add/").status_code == 403
    assert "/admin/studies/analysisjob/add/" not in admin_client.get("/admin/studies/analysisjob/").content.decode()

    url = f"/admin/studies/analysisjob/{job.id}/change/"
    data = admin_form(admin_client, url)
    assert not {"kind", "status", "progress", "error_message", "session_key", "batch_id", "original_filename",
                "input_file", "annotated_file", "timeline_csv", "timeline_json"} & set(data)
    response = admin_client.post(url, {**data, "status": "succeeded", "progress": "100", "original_filename": "x.jpg"})
    assert response.status_code == 302
    job.refresh_from_db()
    assert (job.status, job.progress, job.original_filename) == ("queued", 0, "notes.txt")

    assert admin_client.post(f"/admin/studies/analysisjob/{job.id}/delete/", {"post": "yes"}).status_code == 302
    assert not AnalysisJob.objects.filter(pk=job.id).exists()


def test_admin_links_files_to_the_views_that_serve_them_never_to_media(
        admin_client, admin_user, make_job, make_video_job, make_campaign):
    photo = make_job(owner=admin_user, status="succeeded")
    photo.annotated_file.save("annotated.jpg", ContentFile(b"jpeg"))
    video = make_video_job(owner=admin_user, status="succeeded")
    for field, name in (("annotated_file", "annotated.mp4"), ("timeline_csv", "timeline.csv"),
                        ("timeline_json", "timeline.json")):
        getattr(video, field).save(name, ContentFile(b"data"), save=False)
    video.save()
    campaign = make_campaign(admin_user)
    pages = {
        f"/admin/studies/analysisjob/{photo.id}/change/": [reverse("studies:job_annotated_image", args=[photo.id])],
        f"/admin/studies/analysisjob/{video.id}/change/": [
            reverse(f"studies:job_{name}", args=[video.id]) for name in ("annotated_video", "timeline_csv",
                                                                        "timeline_json")],
        f"/admin/studies/campaign/{campaign.id}/change/": [reverse("studies:campaign_ad_video", args=[campaign.id])],
    }
    for page, links in pages.items():
        content = admin_client.get(page).content.decode()
        assert "/media/" not in content, page
        for link in links:
            assert f'href="{link}"' in content, link
            assert admin_client.get(link).status_code == 200, link
    # No view serves an upload back: its name only.
    assert video.input_file.name in admin_client.get(f"/admin/studies/analysisjob/{video.id}/change/").content.decode()


def test_admin_lists_api_tokens_without_their_keys_and_revokes_them(admin_client, user):
    token = Token.objects.create(user=user)
    listing = admin_client.get("/admin/authtoken/tokenproxy/").content.decode()
    assert f"{token.key[:4]}…" in listing and "producer" in listing
    assert token.key not in listing
    for page in ("change", "history", "delete"):
        response = admin_client.get(f"/admin/authtoken/tokenproxy/{user.pk}/{page}/")
        assert response.status_code == 200, page
        assert token.key not in response.content.decode(), page
    assert admin_client.get("/admin/authtoken/tokenproxy/add/").status_code == 403

    response = admin_client.post(f"/admin/authtoken/tokenproxy/{user.pk}/delete/", {"post": "yes"}, follow=True)
    assert response.status_code == 200
    assert token.key not in response.content.decode()
    assert not Token.objects.filter(user=user).exists()
