"""Batches: many files or one .zip -> one job per file; the batch page, its status and its download."""

import csv
import io
import json
import random
import uuid
import zipfile
from unittest import mock

import pytest
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile

from studies import services
from studies.models import AnalysisJob
from studies.tasks import run_analysis_job

pytestmark = pytest.mark.django_db

PROBABILITIES = {
    "angry": 0.05, "disgust": 0.01, "fear": 0.04, "happy": 0.7, "sad": 0.05, "surprise": 0.1, "neutral": 0.05,
}


def _zip(members: dict) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(zipfile.ZipInfo(name), data, compress_type=zipfile.ZIP_DEFLATED)
    return buffer.getvalue()


def _zip_upload(members: dict, name="campaign.zip"):
    return SimpleUploadedFile(name, _zip(members), content_type="application/zip")


@pytest.fixture
def no_enqueue():
    with mock.patch.object(run_analysis_job, "delay") as enqueue:
        yield enqueue


def test_zip_becomes_one_job_per_media_file_and_unsafe_or_other_entries_are_named(
    user, sample_bytes, no_enqueue, settings, tmp_path
):
    archive = _zip_upload(
        {
            "stills/single_face.jpg": sample_bytes("single_face.jpg"),
            "clips/no_face.mp4": sample_bytes("no_face.mp4"),
            "readme.txt": b"shot list",
            "../evil.jpg": sample_bytes("single_face.jpg"),
            "/etc/abs.jpg": sample_bytes("single_face.jpg"),
            "__MACOSX/stills/._single_face.jpg": b"resource fork",
            "nested.zip": _zip({"a.jpg": sample_bytes("single_face.jpg")}),
            "notes.jpg": b"not really a photo",
        }
    )

    batch = services.analysis_jobs_create_batch(owner=user, session_key=None, uploaded_files=[archive])

    assert [(job.original_filename, job.kind) for job in batch.jobs] == [
        ("stills/single_face.jpg", "image"), ("clips/no_face.mp4", "video"),  # named with their folders
    ]
    assert {job.batch_id for job in batch.jobs} == {batch.batch_id}
    reasons = dict(batch.rejections)
    assert reasons["campaign.zip: readme.txt"] == "skipped because it is not an image or a video."
    assert reasons["campaign.zip: ../evil.jpg"] == "skipped because its path leads outside the archive."
    assert reasons["campaign.zip: /etc/abs.jpg"] == "skipped because its path is absolute."
    assert reasons["campaign.zip: nested.zip"] == "skipped because it is not an image or a video."
    assert "Accepted formats" in reasons["campaign.zip: notes.jpg"]
    assert not any("__MACOSX" in name for name in reasons), "resource forks are ignored silently"
    assert len(batch.rejections) == 5
    # Nothing was written under an archive member's own name.
    written = [path.name for path in settings.MEDIA_ROOT.rglob("*") if path.is_file()]
    assert sorted(written) == ["input.jpg", "input.mp4"]
    assert not (tmp_path.parent / "evil.jpg").exists() and not (tmp_path / "evil.jpg").exists()


def test_zip_with_more_files_than_allowed_is_refused_whole(user, sample_bytes, no_enqueue, settings):
    settings.FER_MAX_BATCH_FILES = 2
    photo = sample_bytes("single_face.jpg")
    archive = _zip_upload({f"frame-{index}.jpg": photo for index in range(3)})

    batch = services.analysis_jobs_create_batch(owner=user, session_key=None, uploaded_files=[archive])

    assert batch.jobs == []
    assert batch.rejections == [
        ("campaign.zip", "The archive holds 3 images and videos; at most 2 can be analysed at once.")
    ]
    assert AnalysisJob.objects.count() == 0


def _incompressible(size: int) -> bytes:
    return random.Random(size).randbytes(size)


def test_zip_expanding_past_the_limit_is_refused_whole(user, no_enqueue, settings):
    settings.FER_MAX_ZIP_BYTES = 1024 * 1024
    # the archive's directory gives the real sizes away before anything is expanded
    archive = _zip_upload({"a.png": _incompressible(600 * 1024), "b.png": _incompressible(600 * 1024)})

    batch = services.analysis_jobs_create_batch(owner=user, session_key=None, uploaded_files=[archive])

    assert batch.jobs == []
    assert batch.rejections == [("campaign.zip", "The archive expands to 1.2 MB; the limit is 1.0 MB.")]


def test_zips_of_one_upload_share_the_expansion_limit(user, no_enqueue, settings):
    settings.FER_MAX_ZIP_BYTES = 1024 * 1024
    first = _zip_upload({"a.png": _incompressible(600 * 1024)}, name="first.zip")
    second = _zip_upload({"b.png": _incompressible(600 * 1024)}, name="second.zip")

    batch = services.analysis_jobs_create_batch(owner=user, session_key=None, uploaded_files=[first, second])

    assert batch.rejections[-1] == ("second.zip", "The archive expands to 0.6 MB; the limit is 1.0 MB for all the "
                                                  "archives of one upload, 0.4 MB of it left.")


def test_a_member_is_refused_unexpanded_when_it_is_a_bomb_or_over_its_kinds_limit(user, no_enqueue, settings):
    settings.FER_MAX_UPLOAD_BYTES = 1024 * 1024  # images; videos keep their own, larger limit
    archive = _zip_upload({
        "zeros.mp4": bytes(8 * 1024 * 1024),  # 8 MB of zeros: a few KB in the zip
        "big.jpg": _incompressible(1024 * 1024 + 1),
    })

    with mock.patch("studies.archives._extract", side_effect=AssertionError("expanded")):
        batch = services.analysis_jobs_create_batch(owner=user, session_key=None, uploaded_files=[archive])

    reasons = dict(batch.rejections)
    assert reasons["campaign.zip: zeros.mp4"].startswith("skipped because it expands ")
    assert "photos and videos hardly shrink in a zip" in reasons["campaign.zip: zeros.mp4"]
    assert reasons["campaign.zip: big.jpg"] == "skipped because it is over the 1 MB limit."


def test_corrupt_zip_is_named(user, no_enqueue):
    broken = SimpleUploadedFile("broken.zip", b"PK\x03\x04" + b"\x00garbage" * 50)
    batch = services.analysis_jobs_create_batch(owner=user, session_key=None, uploaded_files=[broken])
    assert batch.rejections == [("broken.zip", "The .zip archive is corrupt or truncated and cannot be opened.")]


def test_images_and_videos_chosen_together_share_one_batch(client, samples_dir, no_enqueue):
    files = [
        SimpleUploadedFile("single_face.jpg", (samples_dir / "single_face.jpg").read_bytes()),
        SimpleUploadedFile("single_face.mp4", (samples_dir / "single_face.mp4").read_bytes()),
    ]

    response = client.post("/analyze/video/", {"files": files}, follow=True)

    jobs = list(AnalysisJob.objects.order_by("created_at"))
    assert [job.kind for job in jobs] == ["image", "video"]
    assert jobs[0].batch_id == jobs[1].batch_id
    assert response.redirect_chain[-1][0] == f"/analyze/video/?batch={jobs[0].batch_id}"
    html = response.content.decode()
    assert "Analysing 2 files." in html
    assert html.count('class="card job-card') == 2
    assert f'href="/batches/{jobs[0].batch_id}/"' in html
    assert "0 / 72 frames" in html


def test_zip_upload_on_the_web_lists_the_skipped_entries(client, sample_bytes, no_enqueue):
    archive = _zip_upload({"a.jpg": sample_bytes("single_face.jpg"), "../../etc/passwd.jpg": b"x"})

    response = client.post("/analyze/image/", {"files": [archive]}, follow=True)

    html = response.content.decode()
    assert "Analysing 1 image." in html
    assert "“campaign.zip: ../../etc/passwd.jpg” was not accepted: skipped because its path leads outside" in html


def _session_key(client) -> str:
    session = client.session
    session.save()
    return session.session_key


def _finished_batch(session_key, make_job, make_video_job):
    batch_id = "3f0f6bb4-8f4c-4a43-9b39-1d6c1cda0f6e"
    photo = make_job(session_key=session_key, batch_id=batch_id, original_filename="team photo.jpg",
                     status=AnalysisJob.Status.SUCCEEDED, progress=100,
                     result={"faces": [{"box": [1, 2, 30, 40], "probabilities": PROBABILITIES, "label": "happy",
                                        "confidence": 0.7}]})
    photo.annotated_file.save("annotated.jpg", ContentFile(b"\xff\xd8\xff jpeg"), save=True)
    video = make_video_job(session_key=session_key, batch_id=batch_id, original_filename="spot.mp4",
                           status=AnalysisJob.Status.SUCCEEDED, progress=100, result={"tracks": [], "chart": []})
    video.annotated_file.save("annotated.mp4", ContentFile(b"mp4 bytes"), save=False)
    header = "time_s,frame,track_id,x,y,w,h,angry,disgust,fear,happy,sad,surprise,neutral\n"
    video.timeline_csv.save(
        "timeline.csv", ContentFile((header + "0.04,1,1,5,6,70,80,0.1,0,0,0.6,0.1,0.1,0.1\n").encode()), save=False
    )
    video.timeline_json.save("timeline.json", ContentFile(b"{}"), save=True)
    failed = make_job(session_key=session_key, batch_id=batch_id, original_filename="bad.jpg",
                      status=AnalysisJob.Status.FAILED, error_message="corrupt")
    return batch_id, [photo, video, failed]


def test_batch_page_status_and_download(client, make_job, make_video_job):
    batch_id, jobs = _finished_batch(_session_key(client), make_job, make_video_job)

    page = client.get(f"/batches/{batch_id}/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "Batch of 3 files" in html and html.count('class="card job-card') == 3
    assert f'href="/batches/{batch_id}/download.zip"' in html and "Download all results (.zip)" in html

    status = client.get(f"/batches/{batch_id}/status.json").json()
    assert (status["total"], status["finished"], status["progress"], status["is_finished"]) == (3, 3, 100, True)
    assert status["counts"] == {"queued": 0, "running": 0, "succeeded": 2, "failed": 1}

    download = client.get(f"/batches/{batch_id}/download.zip")
    assert download.status_code == 200
    assert download["Content-Type"] == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(b"".join(download.streaming_content)))
    assert sorted(archive.namelist()) == [
        "01_team_photo/annotated.jpg", "01_team_photo/result.json",
        "02_spot/annotated.mp4", "02_spot/timeline.csv", "02_spot/timeline.json",
        "combined.csv", "not_included.txt",
    ]
    assert archive.read("not_included.txt").decode() == "bad.jpg: failed: corrupt\n"
    assert json.loads(archive.read("01_team_photo/result.json"))["faces"][0]["label"] == "happy"
    rows = list(csv.reader(io.StringIO(archive.read("combined.csv").decode())))
    assert rows[0] == ["file", "folder", "kind", "time_s", "frame", "track_id", "x", "y", "w", "h",
                       "angry", "disgust", "fear", "happy", "sad", "surprise", "neutral"]
    assert rows[1][:10] == ["team photo.jpg", "01_team_photo", "image", "0", "0", "1", "1", "2", "30", "40"]
    assert float(rows[1][13]) == pytest.approx(0.7)
    assert rows[2][:10] == ["spot.mp4", "02_spot", "video", "0.04", "1", "1", "5", "6", "70", "80"]
    assert len(rows) == 3


def test_batch_overall_progress_is_the_mean_while_running(client, make_job, make_video_job):
    key = _session_key(client)
    batch_id = "0b1f5c8e-7c1a-4f7e-9a51-2d36f0e5d1aa"
    make_video_job(session_key=key, batch_id=batch_id, status=AnalysisJob.Status.RUNNING, progress=50)
    make_job(session_key=key, batch_id=batch_id)

    status = client.get(f"/batches/{batch_id}/status.json").json()
    assert (status["progress"], status["finished"], status["is_finished"], status["download_url"]) == (
        25, 0, False, None
    )
    assert client.get(f"/batches/{batch_id}/download.zip").status_code == 404


def test_a_batch_still_running_offers_its_results_so_far_and_names_the_rest(client, make_job, make_video_job):
    key = _session_key(client)
    batch_id = "9a4e2c1d-3b5f-4a6e-8c7d-1e2f3a4b5c6d"
    make_job(session_key=key, batch_id=batch_id, status=AnalysisJob.Status.SUCCEEDED)
    make_video_job(session_key=key, batch_id=batch_id, status=AnalysisJob.Status.RUNNING, progress=40,
                   original_filename="long ad.mp4")

    html = client.get(f"/batches/{batch_id}/").content.decode()
    assert "Download the results so far (.zip)" in html and "Download all results" not in html
    download = client.get(f"/batches/{batch_id}/download.zip")
    archive = zipfile.ZipFile(io.BytesIO(b"".join(download.streaming_content)))
    assert "long ad.mp4: still being analysed" in archive.read("not_included.txt").decode()


def test_batch_reads_100_percent_only_when_every_job_has_finished(client, make_job, make_video_job):
    key = _session_key(client)
    batch_id = "5d0c8a3e-1f4b-4c55-8e0e-6a7b9c1d2e3f"
    make_video_job(session_key=key, batch_id=batch_id, status=AnalysisJob.Status.RUNNING, progress=99)
    make_job(session_key=key, batch_id=batch_id, status=AnalysisJob.Status.SUCCEEDED)

    status = client.get(f"/batches/{batch_id}/status.json").json()
    assert (status["progress"], status["finished"], status["is_finished"]) == (99, 1, False)


def test_someone_elses_batch_is_404(client, make_job, make_video_job):
    batch_id, _ = _finished_batch("another-browser", make_job, make_video_job)
    _session_key(client)
    for suffix in ("", "status.json", "download.zip"):
        assert client.get(f"/batches/{batch_id}/{suffix}").status_code == 404, suffix


def test_only_a_job_uploaded_with_others_links_to_its_batch(client, make_job):
    key = _session_key(client)
    alone = make_job(session_key=key, batch_id=uuid.uuid4())
    together = uuid.uuid4()
    first, _ = make_job(session_key=key, batch_id=together), make_job(session_key=key, batch_id=together)
    assert "Its batch" not in client.get(f"/jobs/{alone.id}/").content.decode()
    assert f'href="/batches/{together}/">Its batch' in client.get(f"/jobs/{first.id}/").content.decode()


def test_a_zip_whose_entries_claim_more_bytes_than_it_holds_is_refused_whole(user, no_enqueue):
    """Entries sharing their data (which Python 3.11.7 still opens) could each pass the ratio rule."""
    data = _zip({"a.mp4": bytes(4 * 1024 * 1024)})
    end = data.index(b"PK\x05\x06")
    central = data[data.index(b"PK\x01\x02"):end]
    # a second central-directory entry pointing at the same local data
    forged = data[:end] + central.replace(b"a.mp4", b"b.mp4")
    record = bytearray(data[end:])
    record[8:10] = record[10:12] = (2).to_bytes(2, "little")  # two entries
    record[12:16] = (2 * len(central)).to_bytes(4, "little")
    record[16:20] = data.index(b"PK\x01\x02").to_bytes(4, "little")
    archive = SimpleUploadedFile("overlap.zip", forged + bytes(record))

    batch = services.analysis_jobs_create_batch(owner=user, session_key=None, uploaded_files=[archive])

    assert batch.jobs == []
    assert batch.rejections == [("overlap.zip", "The .zip archive is malformed: its entries claim more bytes "
                                                 "than it holds.")]
