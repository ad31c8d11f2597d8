"""Producer pages and the viewer's pages, over HTTP."""

import csv
import io
import json
import re
import uuid

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from studies import services
from studies.models import Campaign, EmotionSample, Segment, ViewerSession
from studies.viewer_access import VIEWER_SESSIONS_KEY
from tests.studies.conftest import WEBM_HEAD, sample_series

pytestmark = pytest.mark.django_db

HOOK = {"name": "Hook", "start_s": 0.5, "end_s": 1.5, "expected_emotions": ["happy"]}


@pytest.fixture
def producer(client, user):
    client.force_login(user)
    return client


@pytest.fixture
def campaign(user, make_campaign, join):
    campaign = make_campaign(user, segments=[HOOK])
    for happy in (0.3, 0.5, 0.7):
        session = join(campaign)
        services.viewer_samples_add(session, sample_series(range(0, 500, 100), 0.1)
                                    + sample_series(range(500, 1500, 100), happy))
        services.viewer_session_finish(session)
    return campaign


def test_studies_need_a_producer_account(client):
    response = client.get("/campaigns/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


def test_a_producer_creates_a_campaign_on_the_web(producer, video_upload):
    response = producer.post("/campaigns/new/", {"name": "Web cut", "status": "draft",
                                                 "ad_video": video_upload("single_face.mp4")})
    campaign = Campaign.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/campaigns/{campaign.id}/"
    page = producer.get(response["Location"]).content.decode()
    assert "Web cut" in page and "drag across it to mark a new one" in page


def test_a_bad_ad_is_refused_with_its_reason(producer, bad_videos, video_upload):
    path, phrase = bad_videos["audio_only"]
    response = producer.post("/campaigns/new/", {"name": "Radio", "status": "draft", "ad_video": video_upload(path)})
    assert response.status_code == 200 and phrase in response.content.decode()
    assert not Campaign.objects.exists()


def test_segments_are_added_checked_edited_and_deleted(producer, campaign):
    base = f"/campaigns/{campaign.id}/segments/"
    response = producer.post(base, {"name": "Reveal", "start_s": "1.5", "end_s": "2.2", "expected_emotions": ["surprise"]})
    assert response.status_code == 302
    reveal = campaign.segments.get(name="Reveal")
    bad = producer.post(base, {"name": "Late", "start_s": "2", "end_s": "9", "expected_emotions": ["happy"]})
    assert bad.status_code == 400 and "the segment ends at 9" in bad.content.decode()
    producer.post(f"{base}{reveal.id}/", {"name": "Reveal", "start_s": "1.6", "end_s": "2.2",
                                          "expected_emotions": ["surprise", "happy"]})
    reveal.refresh_from_db()
    assert reveal.start_s == 1.6 and reveal.expected_emotions == ["happy", "surprise"]
    producer.post(f"{base}{reveal.id}/delete/")
    assert not Segment.objects.filter(pk=reveal.pk).exists()


def test_a_refused_segment_edit_comes_back_still_editing_that_segment(producer, campaign):
    hook = campaign.segments.get()
    base = f"/campaigns/{campaign.id}/segments/"
    refused = producer.post(f"{base}{hook.id}/", {"name": "Hook", "start_s": "0.5", "end_s": "99",
                                                  "expected_emotions": ["happy"]})
    html = refused.content.decode()
    assert refused.status_code == 400 and "the segment ends at 99" in html
    assert f'action="{base}{hook.id}/" class="card-body segment-form"' in html, "saving again updates, not adds"
    assert "Edit “Hook”" in html
    producer.post(f"{base}{hook.id}/", {"name": "Hook", "start_s": "0.5", "end_s": "1.8", "expected_emotions": ["happy"]})
    assert list(campaign.segments.values_list("name", "end_s")) == [("Hook", 1.8)]


def test_the_campaign_page_gives_every_element_its_own_id(producer, campaign):
    html = producer.get(f"/campaigns/{campaign.id}/").content.decode()
    ids = re.findall(r'\sid="([^"]+)"', html)
    assert sorted({i for i in ids if ids.count(i) > 1}) == []
    assert 'for="segment_name"' in html, "the segment's Name label focuses the segment's own field"


def test_a_face_visible_share_is_shown_rounded_down_as_the_filter_judges_it(producer, campaign):
    session = campaign.viewer_sessions.first()
    ViewerSession.objects.filter(pk=session.pk).update(face_visible_share=0.8967)
    page = producer.get(f"/campaigns/{campaign.id}/report/?min_face=0.9").content.decode()
    row = re.search(rf'<tr[^>]*>(?:(?!</tr>).)*{session.viewer_id}(?:(?!</tr>).)*</tr>', page, re.S).group(0)
    assert "89%" in row and "face visible under 90 %" in row


def test_viewers_past_the_retention_period_are_counted_apart_and_their_page_says_so(producer, campaign):
    from datetime import timedelta

    from django.utils import timezone

    old = campaign.viewer_sessions.first()
    ViewerSession.objects.filter(pk=old.pk).update(started_at=timezone.now() - timedelta(days=3))
    Campaign.objects.filter(pk=campaign.pk).update(retention_days=1)
    assert services.campaign_data_purge_expired() == 1
    report = producer.get(f"/campaigns/{campaign.id}/report/").content.decode()
    assert "2 completed," in report and "1 past the retention period (data deleted)" in report
    viewer_page = producer.get(f"/campaigns/{campaign.id}/viewers/{old.id}/").content.decode()
    assert "when the campaign's retention period (1 day) ran out" in viewer_page
    assert 'id="curves-chart"' not in viewer_page


def test_invitations_are_created_shown_and_revoked(producer, campaign):
    producer.post(f"/campaigns/{campaign.id}/invitations/", {"label": "Panel B", "max_viewers": "20"})
    invitation = campaign.invitations.get(label="Panel B")
    page = producer.get(f"/campaigns/{campaign.id}/").content.decode()
    assert f"/v/{invitation.token}/" in page
    producer.post(f"/campaigns/{campaign.id}/invitations/{invitation.id}/revoke/")
    invitation.refresh_from_db()
    assert invitation.is_revoked


def test_an_invitation_whose_places_are_taken_says_full_not_active(producer, campaign, join):
    producer.post(f"/campaigns/{campaign.id}/invitations/", {"label": "One only", "max_viewers": "1"})
    invitation = campaign.invitations.get(label="One only")

    def badge():
        page = producer.get(f"/campaigns/{campaign.id}/").content.decode()
        item = page.split(f'data-invitation="{invitation.id}"')[1].split("</li>")[0]
        return item.split('<span class="badge')[1].split("</span>")[0].rsplit(">", 1)[1]

    assert badge() == "active"
    services.viewer_session_start(invitation_token=invitation.token, consent=services.Consent(analyse_webcam=True))
    assert badge() == "full"


def test_the_report_page_shows_curves_and_the_segment_table(producer, campaign):
    page = producer.get(f"/campaigns/{campaign.id}/report/").content.decode()
    assert 'id="curves-chart"' in page and 'id="report-data"' in page and "Hook" in page
    assert "verdict-badge" in page
    data = json.loads(page.split('<script id="report-data" type="application/json">')[1].split("</script>")[0])
    assert data["viewers"] == 3 and data["segments"][0]["lift"]["n"] == 3


def test_the_report_names_the_key_moments_and_offers_to_play_them(producer, user, make_campaign, join,
                                                                  ten_second_ad):
    campaign = make_campaign(user, video=ten_second_ad)  # no segments: moments are found without them
    for laugh in (0.6, 0.65, 0.7, 0.75):
        session = join(campaign)
        services.viewer_samples_add(session, sample_series(range(0, 6000, 100), 0.05)
                                    + sample_series(range(6000, 8000, 100), laugh)  # the joke lands
                                    + sample_series(range(8000, 10000, 100), 0.05))
        services.viewer_session_finish(session)
    page = producer.get(f"/campaigns/{campaign.id}/report/").content.decode()
    moments = page[page.index('class="card shadow-sm key-moments"'):page.index("Segments: expected vs observed")]
    assert 'data-seek="6.0" data-band="happy"' in moments and "&#x25B6; 6.0–8.0 s" in moments
    assert re.search(r"<strong class=\"text-capitalize\">happy</strong>\s+peaks: \+\d+\.\d pts above viewers' own level",
                     moments)
    assert "Attention dips" not in moments and "Faces stayed in view" in moments

    quiet = make_campaign(user, name="Quiet")
    session = join(quiet)
    services.viewer_samples_add(session, sample_series(range(0, 2400, 250), 0.05))
    services.viewer_session_finish(session)
    page = producer.get(f"/campaigns/{quiet.id}/report/").content.decode()
    assert "No clear peak" in page and "(at least 3 viewers are needed)" in page
    assert "Faces stayed in view" not in page  # with one viewer, nothing is said about attention


def _csv_rows(producer, url):
    return list(csv.DictReader(io.StringIO(producer.get(url).content.decode())))


def test_the_report_exports(producer, campaign):
    rows = _csv_rows(producer, f"/campaigns/{campaign.id}/report.csv")
    assert [row["segment"] for row in rows] == ["Hook"] and float(rows[0]["mean_happy_pct"]) == pytest.approx(50.0)
    curves = _csv_rows(producer, f"/campaigns/{campaign.id}/report.curves.csv")
    assert curves[0]["time_s"] == "0.0" and float(curves[0]["happy_mean_pct"]) == pytest.approx(10.0)
    report = producer.get(f"/campaigns/{campaign.id}/report.json").json()
    assert report["viewers"] == 3
    png = producer.get(f"/campaigns/{campaign.id}/report.png")
    assert png["Content-Type"] == "image/png" and png.content.startswith(b"\x89PNG")


def test_both_csv_exports_are_in_percent_and_the_json_keeps_its_fractions(producer, campaign):
    # happy 10 % before the Hook, then 30, 50, 70 %: lifts of 20, 40, 60 points, t(2) = 4.303
    segment, = _csv_rows(producer, f"/campaigns/{campaign.id}/report.csv")
    half = 4.303 * 20 / 3 ** 0.5
    assert float(segment["expected_mean_pct"]) == pytest.approx(50.0)
    assert float(segment["lift_pct_points"]) == pytest.approx(40.0)
    assert float(segment["lift_ci95_low_pct_points"]) == pytest.approx(40 - half, abs=0.01)
    assert float(segment["lift_ci95_high_pct_points"]) == pytest.approx(40 + half, abs=0.01)
    assert float(segment["face_visible_pct"]) == 100.0
    assert segment["verdict_reason"] == "happy +40.0 pts vs the rest of the ad, too uncertain either way: more viewers would tell"
    first_bin = _csv_rows(producer, f"/campaigns/{campaign.id}/report.curves.csv")[0]
    assert float(first_bin["face_visible_pct"]) == 100.0 and float(first_bin["happy_ci95_high_pct"]) == pytest.approx(10.0)
    lift = producer.get(f"/campaigns/{campaign.id}/report.json").json()["segments"][0]["lift"]
    assert lift["mean"] == pytest.approx(0.4, abs=1e-4)  # the JSON (and API) keep the documented 0..1 fractions


def test_the_segment_table_shows_the_lift_in_points_and_why_the_verdict(producer, campaign):
    page = producer.get(f"/campaigns/{campaign.id}/report/").content.decode()
    row = page.split('class="segment-row')[1].split("</tr>")[0]
    assert "+40.0 pts" in row and "[-9.7, +89.7]" in row and "0.400" not in row
    assert "50%" in row  # the expected emotion's level, in percent like the lift
    assert 'class="small text-body-secondary verdict-reason">happy +40.0 pts vs the rest of the ad, too uncertain either way: more viewers would tell' in row
    # phones hide the Viewers and Face visible columns: the verdict's cell still says what it rests on
    assert 'd-lg-none segment-basis">3 viewers · face visible 100%' in row


def test_two_disagreeing_viewers_get_an_interval_within_what_is_possible(producer, user, make_campaign, join):
    campaign = make_campaign(user, name="Split", segments=[HOOK])
    for before, during in ((0.0, 0.9), (0.9, 0.0)):
        session = join(campaign)
        services.viewer_samples_add(session, sample_series(range(0, 500, 100), before)
                                    + sample_series(range(500, 1500, 100), during))
        services.viewer_session_finish(session)
    page = producer.get(f"/campaigns/{campaign.id}/report/").content.decode()
    row = page.split('class="segment-row')[1].split("</tr>")[0]
    assert "[-100.0, +100.0]" in row and "Too few viewers" in row and "only 2 viewers, 3 needed for a verdict" in row
    segment, = _csv_rows(producer, f"/campaigns/{campaign.id}/report.csv")
    assert (float(segment["lift_ci95_low_pct_points"]), float(segment["lift_ci95_high_pct_points"])) == (-100.0, 100.0)


def _viewer_tables(page):
    """The per-viewer table's rows of viewers in the report, and the part listing those left out ('' if none)."""
    table = page.split('report-viewers"')[1].split("</table>")[0]
    in_report, _, left_out = table.partition("report-viewers-left-out")
    return in_report, left_out


def test_the_viewer_table_lists_only_the_reports_viewers_and_the_others_apart(producer, campaign, join):
    watching = join(campaign)
    services.viewer_samples_add(watching, sample_series(range(0, 500, 100), 0.2))
    finished = list(campaign.viewer_sessions.filter(status="completed"))
    page = producer.get(f"/campaigns/{campaign.id}/report/").content.decode()
    assert "<strong class=\"text-body\">3</strong> viewers in this report" in page
    in_report, left_out = _viewer_tables(page)
    assert all(session.viewer_id in in_report for session in finished)
    assert watching.viewer_id not in in_report
    assert watching.viewer_id in left_out and "Not in report: in progress" in left_out and "Not in this report (1)" in left_out

    with_unfinished = producer.get(f"/campaigns/{campaign.id}/report/?include_unfinished=on").content.decode()
    in_report, left_out = _viewer_tables(with_unfinished)
    assert watching.viewer_id in in_report and left_out == ""


def test_a_viewers_drill_down_and_erasure(producer, campaign):
    session = campaign.viewer_sessions.first()
    page = producer.get(f"/campaigns/{campaign.id}/viewers/{session.id}/").content.decode()
    assert session.viewer_id in page and 'id="curves-chart"' in page
    assert re.search(r'class="text-end lift">\+(20|40|60)\.0 pts<', page)  # signed points, as on the report
    # samples from 0 to 1.4 s of a 2.4 s ad: 6 of its 10 quarter seconds, however many faces they held
    assert "samples span 60% of the ad" in page
    producer.post(f"/campaigns/{campaign.id}/viewers/{session.id}/delete/")
    assert not ViewerSession.objects.filter(pk=session.pk).exists()
    assert not EmotionSample.objects.filter(session_id=session.pk).exists()


def test_a_viewers_recording_parts_play_on_their_page(producer, client, other_user, campaign, join):
    session = join(campaign, keep_recording=True)
    parts = []
    for number, start_ms in ((1, 0), (2, 1250)):
        parts.append(services.viewer_recording_append(session, services.RecordingChunk(
            part_id=uuid.UUID(int=number), offset=0, starts_at_ms=start_ms,
            data=SimpleUploadedFile("webcam.webm", WEBM_HEAD + bytes(100 * number)))))
    page = producer.get(f"/campaigns/{campaign.id}/viewers/{session.id}/").content.decode()
    assert "Webcam from 0:00 of the ad" in page and "Webcam from 0:01 of the ad" in page
    assert "the recording is in 2 parts" in page
    url = f"/campaigns/{campaign.id}/viewers/{session.id}/recordings/{parts[1].id}"
    assert f'src="{url}"' in page
    seek = producer.get(url, HTTP_RANGE="bytes=0-3")
    assert seek.status_code == 206 and b"".join(seek.streaming_content) == WEBM_HEAD[:4]
    assert seek["Content-Type"] == "video/webm"
    with parts[1].file.storage.open(parts[1].file.name, "ab") as file:
        file.write(b"bytes of a write whose transaction failed")
    whole = producer.get(url)
    assert int(whole["Content-Length"]) == parts[1].size == len(WEBM_HEAD) + 200
    assert b"".join(whole.streaming_content) == WEBM_HEAD + bytes(200)
    assert producer.get(f"/campaigns/{campaign.id}/viewers/{session.id}/recordings/{uuid.uuid4()}").status_code == 404
    another_viewer = campaign.viewer_sessions.exclude(pk=session.pk).first()  # the part is not theirs
    assert producer.get(f"/campaigns/{campaign.id}/viewers/{another_viewer.id}/recordings/{parts[1].id}"
                        ).status_code == 404
    client.force_login(other_user)
    assert client.get(url).status_code == 404


def test_comparing_two_campaigns(producer, campaign, make_campaign, user):
    other = make_campaign(user, name="Other cut")
    page = producer.get(f"/campaigns/compare/?a={campaign.id}&b={other.id}").content.decode()
    assert 'id="compare-overall-chart"' in page and "Other cut" in page
    assert "happy +40.0 pts vs the rest of the ad, too uncertain either way: more viewers would tell" in page  # why Hook is unclear
    assert producer.get("/campaigns/compare/?a=not-a-uuid").status_code == 404


def test_another_producers_pages_are_404(client, other_user, campaign):
    client.force_login(other_user)
    session = campaign.viewer_sessions.first()
    segment = campaign.segments.get()
    for url in (f"/campaigns/{campaign.id}/", f"/campaigns/{campaign.id}/report/", f"/campaigns/{campaign.id}/report.csv",
                f"/campaigns/{campaign.id}/ad", f"/campaigns/{campaign.id}/viewers/{session.id}/",
                f"/campaigns/compare/?a={campaign.id}"):
        assert client.get(url).status_code == 404, url
    for url in (f"/campaigns/{campaign.id}/edit/", f"/campaigns/{campaign.id}/delete/",
                f"/campaigns/{campaign.id}/segments/", f"/campaigns/{campaign.id}/segments/{segment.id}/delete/",
                f"/campaigns/{campaign.id}/viewers/{session.id}/delete/"):
        assert client.post(url, {"name": "x"}).status_code == 404, url
    assert Campaign.objects.filter(pk=campaign.pk).exists() and campaign.segments.count() == 1


# The viewer's pages ------------------------------------------------------------------------------


def test_the_consent_page_explains_and_declining_stores_nothing(client, campaign):
    invitation = services.invitation_create(campaign)
    page = client.get(f"/v/{invitation.token}/").content.decode()
    for phrase in ("What is captured", "What is kept", "thrown away at once", "Withdraw", "Consent text version"):
        assert phrase in page, phrase
    response = client.post(f"/v/{invitation.token}/", {"decline": "1"})
    assert "Nothing was recorded" in response.content.decode()
    unticked = client.post(f"/v/{invitation.token}/", {"agree": "1"})
    assert "Tick this box to take part" in unticked.content.decode()  # agreeing is not declining
    assert ViewerSession.objects.filter(invitation=invitation).count() == 0


def test_consent_opens_a_session_for_this_browser_only(client, campaign):
    invitation = services.invitation_create(campaign)
    response = client.post(f"/v/{invitation.token}/", {"agree": "1", "analyse_webcam": "on", "gender": "man"})
    session = ViewerSession.objects.get(invitation=invitation)
    assert response.status_code == 302 and response["Location"] == f"/v/session/{session.id}/check/"
    assert session.self_report_gender == "man" and session.consent_analyse_webcam
    assert client.session[VIEWER_SESSIONS_KEY] == [str(session.id)]
    check = client.get(response["Location"]).content.decode()
    assert f'data-ws-path="/ws/viewer/{session.id}/"' in check
    assert client.get(f"/v/session/{session.id}/watch/").status_code == 200
    assert client.get(f"/v/session/{session.id}/ad")["Accept-Ranges"] == "bytes"
    from django.test import Client

    stranger = Client()
    for step in ("check", "watch", "ad", "thanks", "withdraw"):
        assert stranger.get(f"/v/session/{session.id}/{step}/" if step != "ad" else f"/v/session/{session.id}/ad"
                            ).status_code == 404, step


def test_closed_invitations_say_why(client, campaign):
    invitation = services.invitation_create(campaign)
    services.invitation_revoke(invitation)
    response = client.get(f"/v/{invitation.token}/")
    assert response.status_code == 410 and "withdrawn by the study" in response.content.decode()
    assert client.get("/v/no-such-token/").status_code == 404


def test_withdrawal_on_the_web_deletes_the_samples(client, campaign):
    invitation = services.invitation_create(campaign)
    client.post(f"/v/{invitation.token}/", {"agree": "1", "analyse_webcam": "on"})
    session = ViewerSession.objects.get(invitation=invitation)
    services.viewer_samples_add(session, sample_series(range(0, 500, 100), 0.5))
    assert "will be deleted now" in client.get(f"/v/session/{session.id}/withdraw/").content.decode()
    response = client.post(f"/v/session/{session.id}/withdraw/")
    assert "You have withdrawn" in response.content.decode()
    session.refresh_from_db()
    assert session.status == "withdrawn" and not EmotionSample.objects.filter(session=session).exists()
    assert client.get(f"/v/session/{session.id}/watch/").status_code == 410


def test_the_finish_fallback_completes_the_session(client, campaign):
    invitation = services.invitation_create(campaign)
    client.post(f"/v/{invitation.token}/", {"agree": "1", "analyse_webcam": "on"})
    session = ViewerSession.objects.get(invitation=invitation)
    response = client.post(f"/v/session/{session.id}/finish/")
    assert response["Location"] == f"/v/session/{session.id}/thanks/"
    session.refresh_from_db()
    assert session.status == "completed"


def test_the_report_offers_each_audience_group_and_its_exports_say_which(producer, campaign, join):
    for gender in ("woman", "woman"):
        session = join(campaign, gender=gender, age_band="25_34")
        services.viewer_samples_add(session, sample_series(range(0, 1500, 100), 0.9))
        services.viewer_session_finish(session)
    page = producer.get(f"/campaigns/{campaign.id}/report/").content.decode()
    assert "<strong class=\"text-body\">5</strong> viewers in this report" in page
    women = re.search(r'<a [^>]*href="\?([^"]*gender=woman[^"]*)"[^>]*>Woman <span[^>]*>2</span>', page)
    assert women, "the Woman answer links to the women's report with their count"
    assert re.search(r'not given <span[^>]*>3</span>', page)
    unanswered = producer.get(f"/campaigns/{campaign.id}/report/?gender=not_given").content.decode()
    assert re.search(r'<strong class="text-body">3</strong> viewers in this report:\s*'
                     r'<strong class="text-body report-group">gender not given</strong>', unanswered)

    narrowed = producer.get(f"/campaigns/{campaign.id}/report/?{women.group(1).replace('&amp;', '&')}").content.decode()
    assert "<strong class=\"text-body\">2</strong> viewers in this report" in narrowed
    assert re.search(r'aria-current="true"[^>]*>Woman', narrowed), "the group picked is marked, and unpicks"
    assert re.search(r'in this report:\s*<strong class="text-body report-group">Woman</strong> · '
                     rf'<a href="/campaigns/{campaign.id}/report/">show every viewer</a>', narrowed)
    assert "The whole campaign: 5 completed" in narrowed
    assert "A small group: 2 viewers." in narrowed
    assert "A small group" not in page  # every viewer: no group to warn about
    assert re.search(r'<span class="px-2 text-body-secondary">Man <span', narrowed), "a group of nobody is no link"
    assert "gender: not given" in narrowed  # the other viewers, left out and why
    assert narrowed.count("<td class=\"small d-none d-md-table-cell\">25-34 · Woman</td>") == 2
    assert narrowed.count('viewer-about">25-34 · Woman</div>') == 2  # under the status, where phones hide the column

    export = producer.get(f"/campaigns/{campaign.id}/report.csv?gender=woman&age_band=25_34")
    assert 'filename="spring-launch-woman-25-34-segments.csv"' in export["Content-Disposition"]
    assert [row["viewers"] for row in csv.DictReader(io.StringIO(export.content.decode()))] == ["2"]
    chart = producer.get(f"/campaigns/{campaign.id}/report.png?gender=woman&min_face=0.9&include_unfinished=on")
    assert chart["Content-Disposition"] == \
        'inline; filename="spring-launch-woman-face-visible-90-unfinished-included-chart.png"'
    unreadable = producer.get(f"/campaigns/{campaign.id}/report/?age_band=25-34&gender=woman").content.decode()
    assert "Left out, as they could not be read:" in unreadable
    assert 'id="id_age_band_error">Age: Select a valid choice.' in unreadable
    assert "<strong class=\"text-body\">2</strong> viewers in this report" in unreadable  # the women, all ages
    nobody = producer.get(f"/campaigns/{campaign.id}/report/?gender=man").content.decode()
    assert "No viewer matches the filters above." in nobody


def test_every_sample_of_the_reports_viewers_exports_a_row_each(producer, campaign, join, other_user, client):
    woman = join(campaign, gender="woman", age_band="45_54")
    services.viewer_samples_add(woman, sample_series(range(0, 300, 100), 0.25))
    services.viewer_session_finish(woman)
    response = producer.get(f"/campaigns/{campaign.id}/report.samples.csv")
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="spring-launch-samples.csv"'
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert len(rows) == EmotionSample.objects.count() == 3 * 15 + 3
    last = rows[-1]  # viewers in the order they started, each by time in the ad
    assert (last["viewer"], last["status"], last["age_band"], last["gender"]) == (woman.viewer_id, "completed",
                                                                                "45_54", "woman")
    assert [row["time_s"] for row in rows[-3:]] == ["0.0", "0.1", "0.2"]
    assert float(last["happy_pct"]) == 25.0 and last["face_visible"] == "1"

    women = producer.get(f"/campaigns/{campaign.id}/report.samples.csv?gender=woman")
    assert len(list(csv.DictReader(io.StringIO(b"".join(women.streaming_content).decode())))) == 3

    looked_away = join(campaign, gender="man")
    services.viewer_samples_add(looked_away, sample_series([0], 0, face=False) + sample_series([100], 0.5))
    services.viewer_session_finish(looked_away)
    men = producer.get(f"/campaigns/{campaign.id}/report.samples.csv?gender=man")
    away, seen = csv.DictReader(io.StringIO(b"".join(men.streaming_content).decode()))
    # no face: blank, so a spreadsheet's average over the column counts only faces read, as the report does
    assert away["face_visible"] == "0" and away["happy_pct"] == away["detection_pct"] == ""
    assert seen["face_visible"] == "1" and float(seen["happy_pct"]) == 50.0
    client.force_login(other_user)
    assert client.get(f"/campaigns/{campaign.id}/report.samples.csv").status_code == 404


def test_under_asgi_the_samples_export_streams_a_viewer_at_a_time(user, campaign):
    from asgiref.sync import async_to_sync
    from django.test import AsyncClient

    async def fetch():
        client = AsyncClient()
        await client.aforce_login(user)
        response = await client.get(f"/campaigns/{campaign.id}/report.samples.csv")
        return response, [part async for part in response.streaming_content]

    response, parts = async_to_sync(fetch)()
    assert response.status_code == 200 and response.is_async
    assert len(parts) == 1 + 3  # the header, then one viewer each
    assert sum(part.count(b"\n") for part in parts) == 1 + 3 * 15
