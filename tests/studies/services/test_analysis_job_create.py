"""analysis_job_create: checks uploads by content, stores them, enqueues after commit."""

import uuid
from datetime import timedelta
from unittest import mock

import pytest
from django.utils import timezone

from studies import services
from studies.services import analysis_jobs
from studies.errors import UploadRejected
from studies.models import AnalysisJob
from studies.tasks import run_analysis_job

pytestmark = pytest.mark.django_db


def _stored_files(settings):
    media = settings.MEDIA_ROOT
    return [path for path in media.rglob("*") if path.is_file()] if media.exists() else []


def test_signed_in_upload_is_stored_and_queued_only_after_commit(
    user, upload, sample_bytes, django_capture_on_commit_callbacks
):
    batch_id = uuid.uuid4()
    with mock.patch.object(run_analysis_job, "delay") as enqueue:
        with django_capture_on_commit_callbacks() as callbacks:
            job = services.analysis_job_create(
                owner=user, session_key="ignored-for-users", uploaded_file=upload("multi_face.jpg"), batch_id=batch_id
            )
            enqueue.assert_not_called()
        for callback in callbacks:
            callback()

    enqueue.assert_called_once_with(job_id=str(job.id))
    job.refresh_from_db()
    assert job.owner == user
    assert job.session_key == ""
    assert job.status == AnalysisJob.Status.QUEUED
    assert job.progress == 0
    assert job.kind == "image"
    assert job.batch_id == batch_id
    assert job.original_filename == "multi_face.jpg"
    assert job.input_file.name == f"jobs/{job.id}/input.jpg"
    with job.input_file.open("rb") as stored:
        assert stored.read() == sample_bytes("multi_face.jpg")


def test_anonymous_upload_belongs_to_the_session(upload, django_capture_on_commit_callbacks):
    from django.contrib.auth.models import AnonymousUser

    with mock.patch.object(run_analysis_job, "delay"), django_capture_on_commit_callbacks():
        job = services.analysis_job_create(
            owner=AnonymousUser(), session_key="browser-session-1", uploaded_file=upload("single_face.jpg")
        )
    assert job.owner is None
    assert job.session_key == "browser-session-1"


def test_stored_extension_follows_content_not_the_name(user, upload, django_capture_on_commit_callbacks):
    import io

    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (32, 24), (10, 200, 30)).save(buffer, format="PNG")
    with mock.patch.object(run_analysis_job, "delay"), django_capture_on_commit_callbacks():
        job = services.analysis_job_create(
            owner=user, session_key=None, uploaded_file=upload(buffer.getvalue(), filename="looks-like.jpg")
        )
    assert job.input_file.name.endswith("/input.png")
    assert job.original_filename == "looks-like.jpg"


@pytest.mark.parametrize("case", ["gif", "text", "truncated_jpeg", "corrupt_png", "empty", "bomb"])
def test_rejected_upload_leaves_no_row_and_no_file(case, user, upload, bad_uploads, settings):
    data, filename, phrase = bad_uploads[case]
    with mock.patch.object(run_analysis_job, "delay") as enqueue:
        with pytest.raises(UploadRejected) as rejected:
            services.analysis_job_create(owner=user, session_key=None, uploaded_file=upload(data, filename=filename))
    assert phrase in rejected.value.message
    assert AnalysisJob.objects.count() == 0
    assert _stored_files(settings) == []
    enqueue.assert_not_called()


def test_file_over_the_byte_limit_is_rejected_before_decoding(user, upload, settings):
    settings.FER_MAX_UPLOAD_BYTES = 100_000
    with mock.patch("inference.decode_image") as decode:
        with pytest.raises(UploadRejected, match=r"The file is 0\.\d MB; the limit is 0\.1 MB\."):
            services.analysis_job_create(owner=user, session_key=None, uploaded_file=upload("multi_face.jpg"))
    decode.assert_not_called()
    assert AnalysisJob.objects.count() == 0


def test_image_over_the_pixel_limit_is_rejected(user, upload, settings):
    settings.FER_MAX_IMAGE_PIXELS = 1000 * 667 - 1  # multi_face.jpg is 1000x667
    with pytest.raises(UploadRejected, match="the limit is 666,999 pixels"):
        services.analysis_job_create(owner=user, session_key=None, uploaded_file=upload("multi_face.jpg"))
    assert AnalysisJob.objects.count() == 0


def test_a_named_kind_refuses_the_other_kind(user, upload, sample_bytes):
    with pytest.raises(UploadRejected, match="This file is an image; only videos are accepted here."):
        services.analysis_job_create(
            owner=user, session_key=None, uploaded_file=upload("single_face.jpg"), kind="video"
        )
    with pytest.raises(UploadRejected, match="This file is a video; only images are accepted here."):
        services.analysis_job_create(
            owner=user, session_key=None, uploaded_file=upload("single_face.mp4", content_type="video/mp4"),
            kind="image",
        )
    assert AnalysisJob.objects.count() == 0


def test_unreachable_broker_keeps_the_upload_queued_and_the_sweep_sends_it_later(
    user, upload, django_capture_on_commit_callbacks
):
    from kombu.exceptions import OperationalError

    with mock.patch.object(run_analysis_job, "delay", side_effect=OperationalError("connection refused")):
        with django_capture_on_commit_callbacks(execute=True):
            job = services.analysis_job_create(owner=user, session_key=None, uploaded_file=upload("single_face.jpg"))

    job.refresh_from_db()
    assert job.status == AnalysisJob.Status.QUEUED
    later = timezone.now() + analysis_jobs.QUEUED_SILENT_AFTER + timedelta(minutes=1)
    with mock.patch.object(run_analysis_job, "delay") as enqueue, django_capture_on_commit_callbacks(execute=True):
        services.analysis_jobs_requeue_stale()  # at once: it may just be waiting its turn
        enqueue.assert_not_called()
        services.analysis_jobs_requeue_stale(now=later)
    enqueue.assert_called_once_with(job_id=str(job.id))
