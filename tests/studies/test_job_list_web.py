"""The job list: one row per analysis with the emotions it found."""

import pytest

from studies.models import AnalysisJob

pytestmark = pytest.mark.django_db


def test_job_list_rows_summarise_photos_by_face_and_videos_by_track(client, user, make_job, make_video_job):
    make_job(owner=user, status=AnalysisJob.Status.SUCCEEDED, progress=100,
             result={"faces": [{"label": "happy"}, {"label": "happy"}, {"label": "sad"}]})
    make_video_job(owner=user, status=AnalysisJob.Status.SUCCEEDED, progress=100,
                   result={"tracks": [{"track_id": 1, "dominant": "surprise", "shares": {"surprise": 0.9}}],
                           "chart": []})
    make_job(owner=user, status=AnalysisJob.Status.FAILED, error_message="corrupt")
    client.force_login(user)

    summaries = {row["job"].kind if row["job"].status == "succeeded" else "failed":
                 [(item["name"], item["count"]) for item in row["emotion_summary"]]
                 for row in client.get("/jobs/").context["rows"]}
    assert summaries == {"image": [("happy", 2), ("sad", 1)], "video": [("surprise", 1)], "failed": []}
