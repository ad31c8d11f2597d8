"""The web's video file views: HTTP Range for the player, owner checks, nothing before success."""

import json
import re
from html import unescape as html_unescape

import pytest
from django.core.files.base import ContentFile

from studies.models import AnalysisJob
from studies.presenters import analysis_speed

pytestmark = pytest.mark.django_db

VIDEO_BYTES = bytes(range(256)) * 40  # 10,240 bytes, each position recognisable


def _session_key(client) -> str:
    session = client.session
    session.save()
    return session.session_key


@pytest.fixture
def own_video_job(client, make_video_job):
    job = make_video_job(session_key=_session_key(client), status=AnalysisJob.Status.SUCCEEDED, progress=100,
                         result={"tracks": [], "chart": [], "info": {}})
    job.annotated_file.save("annotated.mp4", ContentFile(VIDEO_BYTES), save=False)
    job.timeline_csv.save("timeline.csv", ContentFile(b"time_s,frame,track_id\n0.0,0,1\n"), save=False)
    job.timeline_json.save("timeline.json", ContentFile(b'{"frames": []}'), save=False)
    job.save()
    return job


def _get(client, job, **headers):
    response = client.get(f"/jobs/{job.id}/annotated.mp4", **headers)
    body = b"".join(response.streaming_content) if response.streaming else response.content
    return response, body


def test_whole_video_says_it_accepts_ranges(client, own_video_job):
    response, body = _get(client, own_video_job)
    assert response.status_code == 200
    assert response["Accept-Ranges"] == "bytes"
    assert response["Content-Length"] == str(len(VIDEO_BYTES))
    assert response["Content-Type"] == "video/mp4"
    assert body == VIDEO_BYTES


@pytest.mark.parametrize(
    ("header", "first", "last"),
    [("bytes=0-99", 0, 99), ("bytes=10000-", 10000, 10239), ("bytes=-40", 10200, 10239),
     ("bytes=500-999999", 500, 10239), ("bytes=0-0", 0, 0)],
)
def test_a_range_gets_206_with_exactly_those_bytes(header, first, last, client, own_video_job):
    response, body = _get(client, own_video_job, HTTP_RANGE=header)
    assert response.status_code == 206
    assert response["Content-Range"] == f"bytes {first}-{last}/{len(VIDEO_BYTES)}"
    assert response["Content-Length"] == str(last - first + 1)
    assert body == VIDEO_BYTES[first:last + 1]


@pytest.mark.parametrize("header", ["bytes=20000-", "bytes=-0", "bytes=50-10"])
def test_an_unsatisfiable_range_gets_416(header, client, own_video_job):
    response, _ = _get(client, own_video_job, HTTP_RANGE=header)
    assert response.status_code == 416
    assert response["Content-Range"] == f"bytes */{len(VIDEO_BYTES)}"


@pytest.mark.parametrize("header", ["bytes=0-1,5-6", "items=0-5", "bytes=abc"])
def test_ranges_it_does_not_serve_get_the_whole_file(header, client, own_video_job):
    response, body = _get(client, own_video_job, HTTP_RANGE=header)
    assert response.status_code == 200
    assert body == VIDEO_BYTES


def test_head_gives_the_size_without_the_body(client, own_video_job):
    response = client.head(f"/jobs/{own_video_job.id}/annotated.mp4")
    assert response.status_code == 200
    assert response["Content-Length"] == str(len(VIDEO_BYTES))
    assert b"".join(response.streaming_content) == b""


def test_timelines_download_as_attachments(client, own_video_job):
    csv_response = client.get(f"/jobs/{own_video_job.id}/timeline.csv")
    assert csv_response.status_code == 200
    assert csv_response["Content-Type"].startswith("text/csv")
    assert csv_response["Content-Disposition"] == 'attachment; filename="single_face_timeline.csv"'
    json_response = client.get(f"/jobs/{own_video_job.id}/timeline.json")
    assert json_response["Content-Type"] == "application/json"


def test_someone_elses_video_files_are_404(client, make_video_job, django_user_model, own_video_job):
    other = django_user_model.objects.create_user(username="rival", password="rival-password")
    theirs = make_video_job(owner=other, status=AnalysisJob.Status.SUCCEEDED)
    theirs.annotated_file.save("annotated.mp4", ContentFile(VIDEO_BYTES), save=True)
    anonymous_elsewhere = make_video_job(session_key="another-browser", status=AnalysisJob.Status.SUCCEEDED)
    anonymous_elsewhere.annotated_file.save("annotated.mp4", ContentFile(VIDEO_BYTES), save=True)

    for job in (theirs, anonymous_elsewhere):
        for name in ("annotated.mp4", "timeline.csv", "timeline.json", "", "status.json"):
            assert client.get(f"/jobs/{job.id}/{name}", HTTP_RANGE="bytes=0-10").status_code == 404, name

    client.force_login(other)
    assert client.get(f"/jobs/{own_video_job.id}/annotated.mp4").status_code == 404


def test_a_running_job_serves_no_video_even_if_a_file_exists(client, make_video_job):
    job = make_video_job(session_key=_session_key(client), status=AnalysisJob.Status.RUNNING, progress=40)
    job.annotated_file.save("annotated.mp4", ContentFile(b"half"), save=True)
    assert client.get(f"/jobs/{job.id}/annotated.mp4").status_code == 404
    assert client.get(f"/jobs/{job.id}/annotated.jpg").status_code == 404


def test_status_json_carries_frames_and_time_left(client, make_video_job):
    detail = {"frames_done": 30, "frames_total": 72, "frames_per_s": 61.5, "seconds_left": 0.7}
    job = make_video_job(session_key=_session_key(client), status=AnalysisJob.Status.RUNNING, progress=41,
                         progress_detail=detail)
    status = client.get(f"/jobs/{job.id}/status.json").json()
    assert (status["kind"], status["progress"], status["progress_detail"]) == ("video", 41, detail)
    assert status["annotated_video_url"] is None

    page = client.get(f"/jobs/{job.id}/").content.decode()
    assert "30 / 72 frames" in page and "61.5 frames/s" in page and "1 s left" in page


def test_result_page_shows_the_player_downloads_chart_and_track_table(client, own_video_job):
    shares = {"angry": 0.0, "disgust": 0.0, "fear": 0.05, "happy": 0.75, "sad": 0.0, "surprise": 0.1, "neutral": 0.1}
    own_video_job.result = {
        "info": {"width": 640, "height": 360, "fps": 30.0, "frame_count": 74, "duration_s": 2.4},
        "frames": 72,  # decoded and analysed; the container announced 74
        "tracks": [{"track_id": 1, "first_time_s": 0.0, "last_time_s": 2.367, "frames": 72, "dominant": "happy",
                    "shares": shares}],
        "chart": [{"time_s": t / 10, "track_id": 1, "probabilities": {**shares, "happy": 0.5 + t / 100}}
                  for t in range(3)],
        "realtime_factor": 0.21,
    }
    own_video_job.save()

    html = client.get(f"/jobs/{own_video_job.id}/").content.decode()

    assert f'src="/jobs/{own_video_job.id}/annotated.mp4"' in html and "<video" in html and "controls" in html
    for name in ("annotated.mp4", "timeline.csv", "timeline.json"):
        assert f'href="/jobs/{own_video_job.id}/{name}" download' in html
    # the player needs the video inline; the header names it after the upload, which a bare download attribute keeps
    assert f'href="/jobs/{own_video_job.id}/annotated.mp4" download>' in html
    row = re.search(r'<tr data-track="1">(.*?)</tr>', html, re.S).group(1)
    assert "happy" in row and "75.0%" in row and "10.0%" in row
    assert "analysed 4.8× faster than real time" in html
    assert "72 frames ·" in html and "74 frames" not in html
    chart_attribute = re.search(r'class="video-timeline-chart"[^>]*data-chart="([^"]*)"', html).group(1)
    chart = json.loads(html_unescape(chart_attribute))
    assert chart["emotions"] == ["angry", "disgust", "fear", "happy", "sad", "surprise", "neutral"]
    assert chart["tracks"][0]["times"] == [0.0, 0.1, 0.2]
    assert chart["tracks"][0]["values"]["happy"] == [50.0, 51.0, 52.0]

    listing = client.get("/jobs/").content.decode()
    assert re.search(r"<td class=\"text-end d-none d-sm-table-cell\">1</td>", listing), "one person (face track) in the list"
    assert re.search(r"happy</span> &times;1", listing)


def test_result_page_of_several_faces_has_one_chart_a_track_selector_and_a_table_a_phone_can_read(
        client, own_video_job):
    """Five faces once meant five full-height charts and a phone table of "ang dis fea" columns."""
    def shares(top):
        return {name: (0.7 if name == top else 0.05) for name in
                ("angry", "disgust", "fear", "happy", "sad", "surprise", "neutral")}

    dominants = {1: "happy", 2: "sad", 3: "neutral", 4: "surprise", 5: "angry"}
    frames = {1: 20, 2: 30, 3: 75, 4: 40, 5: 10}  # track 3 is on screen longest
    own_video_job.result = {
        "info": {"width": 1280, "height": 854, "fps": 25.0, "frame_count": 75, "duration_s": 3.0},
        "tracks": [{"track_id": track_id, "first_time_s": 0.0, "last_time_s": frames[track_id] / 25, "frames":
                    frames[track_id], "dominant": dominant, "shares": shares(dominant)}
                   for track_id, dominant in dominants.items()],
        "chart": [{"time_s": t / 10, "track_id": track_id, "probabilities": shares(dominant)}
                  for track_id, dominant in dominants.items() for t in range(3)],
    }
    own_video_job.save()

    html = client.get(f"/jobs/{own_video_job.id}/").content.decode()

    assert html.count("<canvas") == 1, "one chart, not one per track"
    canvas = re.search(r"<canvas[^>]*>", html).group(0)
    assert 'class="video-timeline-chart"' in canvas and "face track #3" in canvas
    assert len(json.loads(html_unescape(re.search(r'data-chart="([^"]*)"', canvas).group(1)))["tracks"]) == 5
    select = re.search(r'<select[^>]*class="[^"]*video-track-select[^"]*"[^>]*id="([^"]+)"[^>]*>(.*?)</select>', html, re.S)
    assert select, "a track selector above the chart"
    assert re.search(rf'<label[^>]*for="{select.group(1)}"[^>]*>Face track</label>', html)
    options = re.findall(r'<option value="(\d+)"( selected)?>([^<]*)</option>', select.group(2))
    assert [value for value, _, _ in options] == ["1", "2", "3", "4", "5"], "every track can be picked"
    assert [value for value, selected, _ in options if selected] == ["3"], "the longest track is shown first"
    assert "neutral" in options[2][2] and "0.0–3.0 s" in options[2][2]

    # The table keeps its columns on a phone (nothing hidden below sm) and labels every share in its cell,
    # so a stacked row reads "sad 70.0%" rather than a bare number under an abbreviated heading.
    table = re.search(r'<table[^>]*track-table.*?</table>', html, re.S).group(0)
    assert "d-none" not in table and "<abbr" not in table
    for track_id, dominant in dominants.items():
        row = re.search(rf'<tr data-track="{track_id}">(.*?)</tr>', table, re.S).group(1)
        assert re.search(rf'class="[^"]*dominant-emotion[^"]*">.*?{dominant}</span>', row, re.S)
        assert f"({frames[track_id]} frames)" in row
        cells = re.findall(r'<td class="[^"]*share-cell[^"]*">(.*?)</td>', row, re.S)
        assert len(cells) == 7
        for cell, name in zip(cells, ("angry", "disgust", "fear", "happy", "sad", "surprise", "neutral")):
            assert re.search(rf'class="share-label[^"]*">.*?</span> {name}</span>', cell), (name, cell)
            assert ("70.0%" if name == dominant else "5.0%") in cell


def test_a_single_face_needs_no_track_selector(client, own_video_job):
    shares = {"angry": 0.0, "disgust": 0.0, "fear": 0.0, "happy": 1.0, "sad": 0.0, "surprise": 0.0, "neutral": 0.0}
    own_video_job.result = {
        "info": {"duration_s": 1.0},
        "tracks": [{"track_id": 7, "first_time_s": 0.0, "last_time_s": 1.0, "frames": 25, "dominant": "happy",
                    "shares": shares}],
        "chart": [{"time_s": 0.0, "track_id": 7, "probabilities": shares}],
    }
    own_video_job.save()
    html = client.get(f"/jobs/{own_video_job.id}/").content.decode()
    assert html.count("<canvas") == 1 and "face track #7" in html
    assert "<select" not in html


def test_result_page_of_a_video_without_faces_says_so(client, own_video_job):
    html = client.get(f"/jobs/{own_video_job.id}/").content.decode()
    assert "No face found in this video." in html
    assert "video-timeline-chart" not in html


def test_analysis_speed_reads_as_faster_or_slower_than_real_time():
    assert analysis_speed(0.25) == "analysed 4.0× faster than real time"
    assert analysis_speed(2.5) == "the analysis took 2.5× the video's length"
    assert analysis_speed(0.96) == "analysed in about real time"  # not "1.0× faster"
    assert analysis_speed(None) == ""
