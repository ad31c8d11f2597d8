"""Writes: creating, running and recovering analysis jobs.

The inference library is imported inside the functions that use it: it pulls in
TensorFlow, which the web process should not pay for at start-up.
"""

import logging
import time
from functools import partial

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone
from kombu.exceptions import OperationalError

from studies.errors import UploadRejected
from studies.models import AnalysisJob

logger = logging.getLogger(__name__)

PROGRESS_STARTED = 5
PROGRESS_DECODED = 20
PROGRESS_ANALYZED = 80
PROGRESS_RENDERED = 95
PROGRESS_DONE = 100

UNEXPECTED_FAILURE_MESSAGE = "The analysis failed because of an internal error. Please try again later."

# By content, so a renamed file is stored under what it really is.
_MAGIC_EXTENSIONS = (
    (b"\x89PNG\r\n\x1a\n", "png"),
    (b"\xff\xd8\xff", "jpg"),
    (b"BM", "bmp"),
)


def _image_extension(data: bytes) -> str:
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "webp"
    for magic, extension in _MAGIC_EXTENSIONS:
        if data.startswith(magic):
            return extension
    return "bin"


def _read_checked_image(uploaded_file) -> bytes:
    """The upload's bytes, after the inference decoder accepted them; raises UploadRejected."""
    from inference import decode_image
    from inference.errors import InferenceError

    max_bytes = settings.FER_MAX_UPLOAD_BYTES
    declared_size = getattr(uploaded_file, "size", None)
    if declared_size is not None and declared_size > max_bytes:
        raise UploadRejected(
            f"The file is {declared_size / 1024 / 1024:.1f} MB; the limit is {max_bytes / 1024 / 1024:.1f} MB."
        )
    uploaded_file.seek(0)
    # One byte over the limit is enough for the decoder to report the file as too large.
    data = uploaded_file.read(max_bytes + 1)
    try:
        decode_image(data, max_bytes=max_bytes, max_pixels=settings.FER_MAX_IMAGE_PIXELS)
    except InferenceError as error:
        raise UploadRejected(str(error)) from error
    return data


def analysis_job_create(
    *, owner, session_key: str | None, uploaded_file, kind: str = AnalysisJob.Kind.IMAGE, batch_id=None
) -> AnalysisJob:
    """Check the upload by content, store it, and queue its analysis once the row is committed.

    A rejected upload raises UploadRejected and leaves nothing behind.
    """
    if kind != AnalysisJob.Kind.IMAGE:
        raise UploadRejected(f"Analysis of kind {kind!r} is not available; only images can be analysed.")
    data = _read_checked_image(uploaded_file)

    is_signed_in = owner is not None and owner.is_authenticated
    job = AnalysisJob(
        owner=owner if is_signed_in else None,
        session_key="" if is_signed_in else (session_key or ""),
        kind=kind,
        original_filename=(getattr(uploaded_file, "name", "") or "")[:255],
        batch_id=batch_id,
    )
    job.input_file.save(f"input.{_image_extension(data)}", ContentFile(data), save=False)
    job.save()
    _enqueue_on_commit(job.id)
    return job


def _enqueue_on_commit(job_id) -> None:
    transaction.on_commit(partial(_enqueue, job_id=str(job_id)))


def _enqueue(*, job_id: str) -> None:
    from studies.tasks import run_analysis_job

    try:
        run_analysis_job.delay(job_id=job_id)
    except OperationalError:
        # The upload is safe in the database; the next worker start queues it again.
        logger.exception("Could not reach the broker to queue job %s; it stays queued.", job_id)


def analysis_job_run(*, job_id) -> AnalysisJob:
    """Analyse the job's image and store the result; what the Celery task calls.

    Idempotent: a finished job is returned untouched, and a job left running by a
    crashed worker is simply analysed again from its stored input.
    """
    job = _claim_for_run(job_id)
    if job.is_finished:
        logger.info("Job %s already %s; not running it again.", job.id, job.status)
        return job
    _publish_progress(job)

    from inference.errors import InferenceError

    try:
        analysis, annotated_jpeg, timings = _analyze(job)
    except InferenceError as error:
        return _finish_failed(job, str(error))
    except Exception:
        logger.exception("Job %s failed unexpectedly.", job.id)
        return _finish_failed(job, UNEXPECTED_FAILURE_MESSAGE)
    return _finish_succeeded(job, analysis=analysis, annotated_jpeg=annotated_jpeg, timings=timings)


def _claim_for_run(job_id) -> AnalysisJob:
    with transaction.atomic():
        job = AnalysisJob.objects.select_for_update().get(pk=job_id)
        if job.is_finished:
            return job
        job.status = AnalysisJob.Status.RUNNING
        job.progress = PROGRESS_STARTED
        job.attempts += 1
        job.started_at = timezone.now()
        job.error_message = ""
        job.save(update_fields=["status", "progress", "attempts", "started_at", "error_message", "updated_at"])
    return job


def get_analysis_engine():
    """The process-wide inference engine (models load on the first call only)."""
    from inference import EngineOptions, get_engine

    if settings.FER_MODEL_PATH:
        return get_engine(EngineOptions(model_path=settings.FER_MODEL_PATH))
    return get_engine()


def _analyze(job: AnalysisJob):
    from inference import decode_image, encode_jpeg, render_annotated

    started = time.perf_counter()
    with job.input_file.open("rb") as stored:
        data = stored.read()
    image = decode_image(data, max_bytes=settings.FER_MAX_UPLOAD_BYTES, max_pixels=settings.FER_MAX_IMAGE_PIXELS)
    _set_progress(job, PROGRESS_DECODED)

    analysis = get_analysis_engine().analyze(image)
    analyzed = time.perf_counter()
    _set_progress(job, PROGRESS_ANALYZED)

    annotated_jpeg = encode_jpeg(render_annotated(image, analysis))
    rendered = time.perf_counter()
    _set_progress(job, PROGRESS_RENDERED)
    timings = {
        "analysis": round((analyzed - started) * 1000, 1),
        "render": round((rendered - analyzed) * 1000, 1),
    }
    return analysis, annotated_jpeg, timings


def _set_progress(job: AnalysisJob, value: int) -> None:
    job.progress = value
    AnalysisJob.objects.filter(pk=job.pk).update(progress=value, updated_at=timezone.now())
    _publish_progress(job)


def _finish_succeeded(job: AnalysisJob, *, analysis, annotated_jpeg: bytes, timings: dict) -> AnalysisJob:
    job.annotated_file.save("annotated.jpg", ContentFile(annotated_jpeg), save=False)
    job.result = analysis.to_dict()
    job.status = AnalysisJob.Status.SUCCEEDED
    job.progress = PROGRESS_DONE
    job.finished_at = timezone.now()
    job.timings_ms = {**_queue_timings(job), **timings, "run": _run_ms(job)}
    job.save(
        update_fields=[
            "annotated_file", "result", "status", "progress", "finished_at", "timings_ms", "updated_at",
        ]
    )
    _publish_progress(job)
    logger.info("Job %s succeeded: %d face(s) in %s ms.", job.id, len(job.result.get("faces", [])), job.timings_ms)
    return job


def _finish_failed(job: AnalysisJob, message: str) -> AnalysisJob:
    job.status = AnalysisJob.Status.FAILED
    job.error_message = message
    job.finished_at = timezone.now()
    job.timings_ms = {**_queue_timings(job), "run": _run_ms(job)}
    job.save(update_fields=["status", "error_message", "finished_at", "timings_ms", "updated_at"])
    _publish_progress(job)
    logger.info("Job %s failed: %s", job.id, message)
    return job


def _queue_timings(job: AnalysisJob) -> dict:
    return {"queued": round((job.started_at - job.created_at).total_seconds() * 1000, 1)}


def _run_ms(job: AnalysisJob) -> float:
    return round((job.finished_at - job.started_at).total_seconds() * 1000, 1)


def analysis_jobs_requeue_stale() -> list:
    """Queue again every job a dead worker left queued or running; returns their ids.

    Called when a worker starts. A job that is in fact still queued may run twice,
    which is harmless: runs are idempotent and a finished job is never redone.
    """
    stale_ids = list(
        AnalysisJob.objects.filter(
            status__in=[AnalysisJob.Status.QUEUED, AnalysisJob.Status.RUNNING]
        ).values_list("id", flat=True)
    )
    for job_id in stale_ids:
        _enqueue_on_commit(job_id)
    if stale_ids:
        logger.info("Requeued %d job(s) left unfinished by a previous worker.", len(stale_ids))
    return stale_ids


def job_progress_message(job: AnalysisJob) -> dict:
    """What WebSocket clients of the job's group receive."""
    return {"type": "job.progress", "status": str(job.status), "progress": job.progress}


def _publish_progress(job: AnalysisJob) -> None:
    # Best effort: a job must never fail because nobody could be told about it.
    try:
        layer = get_channel_layer()
        if layer is not None:
            async_to_sync(layer.group_send)(job.progress_group_name, job_progress_message(job))
    except Exception:
        logger.warning("Could not publish progress of job %s.", job.id, exc_info=True)
