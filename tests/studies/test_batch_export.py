"""The batch .zip: every row of combined.csv names its folder, and every entry carries a real date."""

import csv
import datetime
import io
import json
import zipfile

import pytest
from django.core.files.base import ContentFile
from django.utils import timezone

from studies.models import AnalysisJob

pytestmark = pytest.mark.django_db

BATCH_ID = "7c2d9e4a-51b3-4f0a-9e8d-3a6b1c0f2e57"
PROBABILITIES = {
    "angry": 0.05, "disgust": 0.01, "fear": 0.04, "happy": 0.7, "sad": 0.05, "surprise": 0.1, "neutral": 0.05,
}
TIMELINE_HEADER = "time_s,frame,track_id,x,y,w,h,angry,disgust,fear,happy,sad,surprise,neutral\n"
FINISHED_AT = datetime.datetime(2026, 11, 27, 13, 30, 10, tzinfo=datetime.timezone.utc)


def _session_key(client) -> str:
    session = client.session
    session.save()
    return session.session_key


def _photo(make_job, sample_bytes, key, name, box, *, finished_at=FINISHED_AT):
    job = make_job(session_key=key, batch_id=BATCH_ID, original_filename=name, status=AnalysisJob.Status.SUCCEEDED,
                   progress=100, finished_at=finished_at,
                   result={"faces": [{"box": box, "probabilities": PROBABILITIES, "label": "happy",
                                      "confidence": 0.7}]})
    job.annotated_file.save("annotated.jpg", ContentFile(sample_bytes("single_face.jpg")), save=True)
    return job


def _video(make_video_job, key, name, box):
    job = make_video_job(session_key=key, batch_id=BATCH_ID, original_filename=name,
                         status=AnalysisJob.Status.SUCCEEDED, progress=100, finished_at=FINISHED_AT,
                         result={"tracks": [], "chart": []})
    job.annotated_file.save("annotated.mp4", ContentFile(b"mp4 bytes"), save=False)
    row = ",".join(str(value) for value in (0.04, 1, 1, *box, 0.1, 0, 0, 0.6, 0.1, 0.1, 0.1))
    job.timeline_csv.save("timeline.csv", ContentFile((TIMELINE_HEADER + row + "\n").encode()), save=False)
    job.timeline_json.save("timeline.json", ContentFile(b"{}"), save=True)
    return job


def _download(client) -> zipfile.ZipFile:
    response = client.get(f"/batches/{BATCH_ID}/download.zip")
    assert response.status_code == 200
    return zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))


def _combined_rows(archive: zipfile.ZipFile) -> list[dict]:
    return list(csv.DictReader(io.StringIO(archive.read("combined.csv").decode())))


def test_rows_of_files_sharing_a_name_or_a_stem_lead_to_their_own_folder(client, make_job, make_video_job,
                                                                          sample_bytes):
    key = _session_key(client)
    boxes = {}
    for index, name in enumerate(["single_face.jpg", "single_face.jpg", "face.png", "face.webp", "face.bmp"]):
        boxes[_photo(make_job, sample_bytes, key, name, [index, 10 + index, 30, 40]).id] = [index, 10 + index, 30, 40]
    _video(make_video_job, key, "face.mp4", [7, 8, 70, 80])

    archive = _download(client)

    rows = _combined_rows(archive)
    assert len(rows) == 6
    folders = [row["folder"] for row in rows]
    assert len(set(folders)) == 6, "each file's rows name a folder of their own"
    names = set(archive.namelist())
    for row in rows:
        if row["kind"] == "image":
            # The row's face is the face in that folder's result, so the row and the folder are the same file.
            face = json.loads(archive.read(f"{row['folder']}/result.json"))["faces"][0]
            assert [int(row[column]) for column in ("x", "y", "w", "h")] == face["box"]
            assert f"{row['folder']}/annotated.jpg" in names
        else:
            assert (row["file"], row["x"], row["y"]) == ("face.mp4", "7", "8")
            assert {f"{row['folder']}/annotated.mp4", f"{row['folder']}/timeline.csv"} <= names
    same_name = [row["folder"] for row in rows if row["file"] == "single_face.jpg"]
    assert len(same_name) == 2 and same_name[0] != same_name[1]
    assert {row["file"] for row in rows} == {"single_face.jpg", "face.png", "face.webp", "face.bmp", "face.mp4"}


def test_the_folder_column_follows_the_file_column_and_the_others_keep_their_order(client, make_job, sample_bytes):
    _photo(make_job, sample_bytes, _session_key(client), "team photo.jpg", [1, 2, 30, 40])

    archive = _download(client)

    header, row = list(csv.reader(io.StringIO(archive.read("combined.csv").decode())))
    assert header == ["file", "folder", "kind", "time_s", "frame", "track_id", "x", "y", "w", "h",
                      "angry", "disgust", "fear", "happy", "sad", "surprise", "neutral"]
    assert row[:10] == ["team photo.jpg", "01_team_photo", "image", "0", "0", "1", "1", "2", "30", "40"]
    assert "01_team_photo/annotated.jpg" in archive.namelist()


def test_every_entry_is_dated_when_its_job_finished_in_local_time(client, settings, make_job, make_video_job,
                                                                 sample_bytes):
    settings.TIME_ZONE = "Europe/Berlin"  # zip dates have no zone: they are read as the reader's wall clock
    key = _session_key(client)
    _photo(make_job, sample_bytes, key, "holiday.jpg", [1, 2, 30, 40])
    _video(make_video_job, key, "ad.mp4", [5, 6, 70, 80])
    make_job(session_key=key, batch_id=BATCH_ID, original_filename="bad.jpg", status=AnalysisJob.Status.FAILED,
             error_message="corrupt")

    before = timezone.localtime().replace(tzinfo=None, microsecond=0) - datetime.timedelta(seconds=2)
    archive = _download(client)
    after = timezone.localtime().replace(tzinfo=None) + datetime.timedelta(seconds=2)

    dates = {entry.filename: entry.date_time for entry in archive.infolist()}
    job_entries = {name: date for name, date in dates.items() if "/" in name}
    assert set(job_entries) == {"01_holiday/annotated.jpg", "01_holiday/result.json", "02_ad/annotated.mp4",
                                "02_ad/timeline.csv", "02_ad/timeline.json"}
    assert set(job_entries.values()) == {(2026, 11, 27, 14, 30, 10)}  # 13:30:10 UTC is 14:30:10 in Berlin
    for name in ("combined.csv", "not_included.txt"):
        assert before <= datetime.datetime(*dates[name]) <= after, name
    assert archive.testzip() is None
    assert archive.read("01_holiday/annotated.jpg") == sample_bytes("single_face.jpg")


def test_a_job_without_a_finish_time_is_dated_when_the_zip_was_made(client, make_job, sample_bytes):
    _photo(make_job, sample_bytes, _session_key(client), "holiday.jpg", [1, 2, 30, 40], finished_at=None)

    before = timezone.localtime().replace(tzinfo=None, microsecond=0) - datetime.timedelta(seconds=2)
    archive = _download(client)
    after = timezone.localtime().replace(tzinfo=None) + datetime.timedelta(seconds=2)

    for entry in archive.infolist():
        assert before <= datetime.datetime(*entry.date_time) <= after, entry.filename


def test_files_from_a_zips_folders_keep_the_folders_in_their_names(client, make_job, sample_bytes):
    key = _session_key(client)
    for path in ("shoot 1/take.jpg", "shoot 2/take.jpg"):  # as analysis_jobs_create_batch names zip members
        _photo(make_job, sample_bytes, key, path, [1, 2, 30, 40])

    archive = _download(client)

    assert [(row["file"], row["folder"]) for row in _combined_rows(archive)] == [
        ("shoot 1/take.jpg", "01_shoot_1_take"), ("shoot 2/take.jpg", "02_shoot_2_take")]
    assert {"01_shoot_1_take/annotated.jpg", "02_shoot_2_take/annotated.jpg"} <= set(archive.namelist())


def test_a_job_whose_files_went_missing_from_storage_is_named_not_a_server_error(client, make_job, make_video_job,
                                                                                 sample_bytes):
    key = _session_key(client)
    kept = _photo(make_job, sample_bytes, key, "kept.jpg", [1, 2, 3, 4])
    lost = _video(make_video_job, key, "lost.mp4", [1, 2, 3, 4])
    lost.timeline_csv.storage.delete(lost.timeline_csv.name)  # removed by hand, say

    archive = _download(client)

    assert "lost.mp4: its result files are missing from the server's storage" in archive.read(
        "not_included.txt").decode()
    assert not any(name.startswith("002") for name in archive.namelist())  # no half folder
    assert [row["file"] for row in _combined_rows(archive)] == [kept.original_filename]
