"""Writes: creating, running and recovering analysis jobs.

The inference library is imported inside the functions that use it: it pulls in
TensorFlow, which the web process should not pay for at start-up.
"""

import logging
import os
import time
import uuid
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from functools import partial

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.conf import settings
from django.core.files import File
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from kombu.exceptions import OperationalError

from studies import media_checks
from studies.errors import InvalidInput, UploadRejected
from studies.models import AnalysisJob
from studies.selectors.accounts import account_is_shared

logger = logging.getLogger(__name__)

PROGRESS_STARTED = 5
PROGRESS_DECODED = 20
PROGRESS_ANALYZED = 80
PROGRESS_RENDERED = 95
PROGRESS_DONE = 100

UNEXPECTED_FAILURE_MESSAGE = "The analysis failed because of an internal error. Please try again later."
# A job still unfinished after this many runs took its worker down each time (a crash in a decoder,
# the memory killer): running it again would only take the next worker down too.
MAX_RUN_ATTEMPTS = 3
WORKER_LOST_MESSAGE = (f"The analysis stopped its worker {MAX_RUN_ATTEMPTS} times, so it was given up. "
                       "The file may be damaged in a way the decoder cannot survive: re-encode it and upload it again.")
# A run saves its progress at least every few seconds (a video's every second); one silent this long
# lost its worker, and the job is queued again. Until then a second message for the job (a worker that
# restarted, a redelivery) leaves the run alone: two runs of one job would fight over its progress.
RUN_SILENT_AFTER = timedelta(minutes=3)
# A job queued this long without any worker starting it may have lost its message (the broker was
# down at upload, or restarted without keeping its queue): it is sent again, at most this often. A
# job merely waiting behind long videos gets a spare message each time, which its run then drops.
QUEUED_SILENT_AFTER = timedelta(minutes=30)


class RunSuperseded(Exception):
    """This run went silent for so long that the job was queued again, and another run took it over."""


def analysis_job_create(
    *, owner, session_key: str | None, uploaded_file, kind: str | None = None, batch_id=None,
    original_filename: str | None = None,
) -> AnalysisJob:
    """Check the upload by content, store it, and queue its analysis once the row is committed.

    `kind` None means "whatever the content is" (an image or a video); naming a
    kind refuses the other. A rejected upload raises UploadRejected and leaves
    nothing behind. `original_filename` defaults to the upload's own name.
    """
    if original_filename is None:
        original_filename = os.path.basename(getattr(uploaded_file, "name", "") or "")
    with media_checks.checked_upload(uploaded_file, expected_kind=kind) as checked:
        job = AnalysisJob(
            **_ownership(owner, session_key),
            kind=checked.kind,
            original_filename=original_filename[-255:],  # a long path inside a zip keeps its file name
            batch_id=batch_id,
        )
        if checked.video_info is not None:
            job.progress_detail = {"frames_done": 0, "frames_total": int(checked.video_info.frame_count)}
        stored = checked.open_for_storage()
        try:
            job.input_file.save(f"input.{checked.extension}", stored, save=False)
        finally:
            stored.close()
    try:
        job.save()
    except BaseException:
        job.input_file.delete(save=False)
        raise
    _enqueue_on_commit(job.id)
    return job


def _ownership(owner, session_key: str | None) -> dict:
    """A signed-in user owns the job; an anonymous visitor's job belongs to their browser session."""
    if owner is not None and owner.is_authenticated:
        return {"owner": owner, "session_key": ""}
    return {"owner": None, "session_key": session_key or ""}


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
    """Analyse the job's image or video and store the result; what the Celery task calls.

    Idempotent: a finished job is returned untouched, and a job left running by a
    crashed worker is simply analysed again from its stored input.
    """
    job, claimed = _claim_for_run(job_id)
    if not claimed:
        return job
    if job.attempts > MAX_RUN_ATTEMPTS:
        return _finish_failed(job, WORKER_LOST_MESSAGE)
    _publish_progress(job)

    from inference.errors import InferenceError

    try:
        if job.is_video:
            return _run_video(job)
        return _run_image(job)
    except InferenceError as error:
        return _finish_failed(job, str(error))
    except AnalysisJob.DoesNotExist:
        raise  # its owner deleted it meanwhile: nothing to finish
    except RunSuperseded:
        logger.warning("Job %s: this run (attempt %d) was taken over by a later one; it stops.", job.id, job.attempts)
        job.refresh_from_db()
        return job
    except Exception:
        logger.exception("Job %s failed unexpectedly.", job.id)
        return _finish_failed(job, UNEXPECTED_FAILURE_MESSAGE)


def _claim_for_run(job_id) -> tuple[AnalysisJob, bool]:
    """The job, and whether this run is to analyse it: not when it is finished, a live recording, or
    being run by a worker that reported progress within RUN_SILENT_AFTER."""
    with transaction.atomic():
        job = AnalysisJob.objects.select_for_update().get(pk=job_id)
        if job.is_finished:
            logger.info("Job %s already %s; not running it again.", job.id, job.status)
            return job, False
        if job.is_live:
            logger.warning("Job %s is a live recording; the web process writes it, not a worker.", job.id)
            return job, False
        if job.status == AnalysisJob.Status.RUNNING and job.updated_at > timezone.now() - RUN_SILENT_AFTER:
            logger.info("Job %s is running elsewhere (attempt %d, heard from at %s); not running it twice.",
                        job.id, job.attempts, job.updated_at)
            return job, False
        job.status = AnalysisJob.Status.RUNNING
        job.attempts += 1
        job.started_at = timezone.now()
        job.error_message = ""
        if job.is_video:
            # A rerun starts from the first frame again; its frame count is known from the upload.
            job.progress = 0
            job.progress_detail = {"frames_done": 0, "frames_total": job.progress_detail.get("frames_total")}
        else:
            job.progress = PROGRESS_STARTED
        job.save(
            update_fields=[
                "status", "progress", "progress_detail", "attempts", "started_at", "error_message", "updated_at",
            ]
        )
    return job, True


def _run_image(job: AnalysisJob) -> AnalysisJob:
    analysis, annotated_jpeg, timings = _analyze(job)
    return _finish_succeeded(job, analysis=analysis, annotated_jpeg=annotated_jpeg, timings=timings)


def _run_video(job: AnalysisJob) -> AnalysisJob:
    from studies import video_jobs

    video_jobs.discard_unattached_outputs(job)
    with video_jobs.work_folder(job) as folder:
        outputs = video_jobs.process(
            job,
            folder=folder,
            engine_options=video_engine_options(),
            on_progress=VideoProgressReporter(job),
        )
        return _finish_video_succeeded(job, outputs)


def video_engine_options():
    """The same engine options as images, so both share one loaded engine per process.

    process_video picks its own (fast) detector whatever these options name.
    """
    return get_analysis_engine().options


class VideoProgressReporter:
    """The `progress` callback of process_video: saves and publishes at most once per interval."""

    def __init__(self, job: AnalysisJob, *, interval_s: float = 1.0):
        self.job = job
        self.interval_s = interval_s
        self._last_saved = None

    def __call__(self, frames_done: int, frames_total: int, frames_per_s: float) -> None:
        now = time.monotonic()
        finished = frames_total and frames_done >= frames_total
        if self._last_saved is not None and now - self._last_saved < self.interval_s and not finished:
            return
        self._last_saved = now
        frames_total = max(int(frames_total or 0), int(frames_done))
        remaining = max(frames_total - frames_done, 0)
        detail = {
            "frames_done": int(frames_done),
            "frames_total": frames_total,
            "frames_per_s": round(float(frames_per_s), 1),
            "seconds_left": round(remaining / frames_per_s, 1) if frames_per_s > 0 else None,
        }
        # 100 is kept for success, which also needs the outputs saved.
        percent = min(99, int(100 * frames_done / frames_total)) if frames_total else 0
        self.job.progress = percent
        self.job.progress_detail = detail
        _save_progress(self.job, progress=percent, progress_detail=detail)
        _publish_progress(self.job)


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
    _save_progress(job, progress=value)
    _publish_progress(job)


def _save_progress(job: AnalysisJob, **fields) -> None:
    """Store a running job's progress; a job deleted meanwhile raises DoesNotExist, and one that a later
    run took over RunSuperseded, either of which ends this run."""
    if AnalysisJob.objects.filter(pk=job.pk, attempts=job.attempts, status=AnalysisJob.Status.RUNNING).update(
            **fields, updated_at=timezone.now()):
        return
    if not AnalysisJob.objects.filter(pk=job.pk).exists():
        raise AnalysisJob.DoesNotExist(f"Job {job.pk} was deleted while it ran.")
    raise RunSuperseded(str(job.pk))


def _finish_succeeded(job: AnalysisJob, *, analysis, annotated_jpeg: bytes, timings: dict) -> AnalysisJob:
    with _finishing(job) as may_finish:
        if not may_finish:
            return job
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


@contextmanager
def _finishing(job: AnalysisJob):
    """Lock the job's row while a run records its outcome.

    Yields False when another run of the same job (it went silent and was queued again) took it over
    or finished first: that run's outcome stands and this one is dropped.
    """
    with transaction.atomic():
        current = AnalysisJob.objects.select_for_update().only("status", "attempts").get(pk=job.pk)
        ours = not current.is_finished and current.attempts == job.attempts
        yield ours
    if not ours:
        logger.info("Job %s was taken over by another run meanwhile; keeping that one's outcome.", job.id)
        job.refresh_from_db()


def _finish_video_succeeded(job: AnalysisJob, outputs) -> AnalysisJob:
    """Attach the finished outputs; until this runs the job shows none of them."""
    with _finishing(job) as may_finish:
        if not may_finish:
            return job
        with open(outputs.annotated_path, "rb") as annotated, open(outputs.csv_path, "rb") as csv_file, open(
            outputs.json_path, "rb"
        ) as json_file:
            job.annotated_file.save("annotated.mp4", File(annotated), save=False)
            job.timeline_csv.save("timeline.csv", File(csv_file), save=False)
            job.timeline_json.save("timeline.json", File(json_file), save=False)
        job.result = outputs.result
        job.status = AnalysisJob.Status.SUCCEEDED
        job.progress = PROGRESS_DONE
        info = outputs.result.get("info") or {}
        # Frames actually decoded and written; a container's own count can include hidden ones.
        frames_total = outputs.result.get("frames") or info.get("frame_count")
        job.progress_detail = {
            **job.progress_detail, "frames_done": frames_total, "frames_total": frames_total, "seconds_left": 0,
        }
        job.finished_at = timezone.now()
        job.timings_ms = {**_queue_timings(job), **outputs.timings_ms, "run": _run_ms(job)}
        job.save(
            update_fields=[
                "annotated_file", "timeline_csv", "timeline_json", "result", "status", "progress",
                "progress_detail", "finished_at", "timings_ms", "updated_at",
            ]
        )
    _publish_progress(job)
    logger.info(
        "Job %s succeeded: video with %d face track(s) in %s ms.", job.id, len(job.result.get("tracks", [])),
        job.timings_ms,
    )
    return job


def _finish_failed(job: AnalysisJob, message: str) -> AnalysisJob:
    with _finishing(job) as may_finish:
        if not may_finish:
            return job
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


def analysis_jobs_requeue_stale(now=None) -> list:
    """Queue again the jobs a dead worker left running (silent for RUN_SILENT_AFTER) or whose message
    may be lost (queued for QUEUED_SILENT_AFTER); returns their ids.

    Sent by Celery beat every minute and run when a worker starts. Healthy runs are left alone, so
    starting a worker never restarts the others' jobs. A job sent twice runs once: the second message
    finds it running or finished (_claim_for_run).
    """
    now = now or timezone.now()
    live_recordings_fail_stale()
    silent = (Q(status=AnalysisJob.Status.RUNNING, updated_at__lt=now - RUN_SILENT_AFTER)
              | Q(status=AnalysisJob.Status.QUEUED, updated_at__lt=now - QUEUED_SILENT_AFTER))
    with transaction.atomic():
        stale_ids = list(AnalysisJob.objects.select_for_update().filter(silent).exclude(kind=AnalysisJob.Kind.LIVE)
                         .values_list("id", flat=True))
        # Queued again, and not sent again before QUEUED_SILENT_AFTER has passed once more.
        AnalysisJob.objects.filter(pk__in=stale_ids).update(status=AnalysisJob.Status.QUEUED, updated_at=now)
        for job_id in stale_ids:
            _enqueue_on_commit(job_id)
    if stale_ids:
        logger.info("Requeued %d job(s) left unfinished by a previous worker.", len(stale_ids))
    return stale_ids


def analysis_jobs_delete(jobs, *, only_if_anonymous: bool = False) -> int:
    """Delete analyses for good; their uploads and outputs go once that commits (studies.signals).

    A worker running one of them stops at its next progress report and writes nothing more. A
    live recording still being recorded is refused: the live page is writing it (one whose page
    died is marked failed first, and goes). `only_if_anonymous` skips any that an account claimed
    since they were read.
    """
    live_recordings_fail_stale(among=[job.pk for job in jobs])
    still = {"owner__isnull": True} if only_if_anonymous else {}
    with transaction.atomic():
        locked = list(AnalysisJob.objects.select_for_update().filter(pk__in=[job.pk for job in jobs], **still)
                      .only("id", "kind", "status", "original_filename"))
        for job in locked:
            if job.is_live and job.status == AnalysisJob.Status.RUNNING:
                raise InvalidInput(f"“{job.original_filename}” is still being recorded: stop the recording on "
                                   "the live camera page first, then delete it.")
        AnalysisJob.objects.filter(pk__in=[job.pk for job in locked]).delete()
    if locked:
        logger.info("Deleted %d analysis job(s): %s.", len(locked), ", ".join(str(job.pk) for job in locked))
    return len(locked)


def job_progress_message(job: AnalysisJob) -> dict:
    """What WebSocket clients of the job's group receive; videos add frames, frames/s and time left."""
    message = {"type": "job.progress", "status": str(job.status), "progress": job.progress}
    if job.progress_detail:
        message["detail"] = job.progress_detail
    return message


def _publish_progress(job: AnalysisJob) -> None:
    # Best effort: a job must never fail because nobody could be told about it.
    try:
        layer = get_channel_layer()
        if layer is not None:
            async_to_sync(layer.group_send)(job.progress_group_name, job_progress_message(job))
    except Exception:
        logger.warning("Could not publish progress of job %s.", job.id, exc_info=True)


def analysis_jobs_claim_for_user(*, user, session_key: str | None) -> int:
    """Move an anonymous browser session's analyses to the account that just signed in or up.

    Django gives the session a new key at login, so callers pass the key read
    before logging in. Returns how many jobs moved. Nothing moves into a shared account
    (the demo one, whose password is public): everyone signing in to it would see them.
    """
    if not session_key or user is None or not user.is_authenticated or account_is_shared(user):
        return 0
    moved = AnalysisJob.objects.filter(owner__isnull=True, session_key=session_key).update(
        owner=user, session_key="", updated_at=timezone.now()
    )
    if moved:
        logger.info("Moved %d anonymous job(s) to user %s.", moved, user.pk)
    return moved


def analysis_jobs_follow_session(*, old_key: str | None, new_key: str | None) -> int:
    """A browser's anonymous analyses follow its session to the new key Django gives it at sign-in and
    sign-out; for a shared account, which they are not moved into. Returns how many."""
    if not old_key or not new_key or old_key == new_key:
        return 0
    return AnalysisJob.objects.filter(owner__isnull=True, session_key=old_key).update(session_key=new_key)


@dataclass
class BatchUpload:
    """What one upload of many files (or one .zip) became."""

    batch_id: uuid.UUID
    jobs: list = field(default_factory=list)
    rejections: list = field(default_factory=list)  # (file name, message), in upload order


def analysis_jobs_create_batch(*, owner, session_key: str | None, uploaded_files) -> BatchUpload:
    """One job per image or video, all sharing a new batch_id; a .zip counts as its media files.

    Each file is judged on its own, so one bad file does not sink the batch; the
    rejected ones come back with the reason.
    """
    from studies import archives

    batch = BatchUpload(batch_id=uuid.uuid4())
    max_files = settings.FER_MAX_BATCH_FILES

    def create(name: str, uploaded_file, original_filename: str | None = None) -> None:
        if len(batch.jobs) >= max_files:
            batch.rejections.append((name, f"left out: at most {max_files} files can be analysed at once."))
            return
        try:
            batch.jobs.append(
                analysis_job_create(
                    owner=owner, session_key=session_key, uploaded_file=uploaded_file, batch_id=batch.batch_id,
                    original_filename=original_filename,
                )
            )
        except UploadRejected as rejection:
            batch.rejections.append((name, rejection.message))

    zip_bytes_left = settings.FER_MAX_ZIP_BYTES  # for all the archives of this upload together
    for uploaded_file in uploaded_files:
        name = getattr(uploaded_file, "name", "") or "upload"
        if not archives.is_zip(uploaded_file):
            create(name, uploaded_file)
            continue
        try:
            for member in archives.zip_members(uploaded_file, max_files=max_files, max_bytes=zip_bytes_left):
                if member.file is None:
                    batch.rejections.append((f"{name}: {member.name}", member.skipped_because))
                    continue
                zip_bytes_left -= member.file.size
                with member.file:  # named by its path in the zip, folders included
                    create(f"{name}: {member.name}", member.file, original_filename=member.file.name)
        except UploadRejected as rejection:
            batch.rejections.append((name, rejection.message))
    return batch


# A recording sends a heartbeat every few seconds (studies.live.HEARTBEAT_S); one silent
# for this long lost its web process and can never be finished.
LIVE_RECORDING_STALE_AFTER_S = 120
LIVE_RECORDING_INTERRUPTED_MESSAGE = (
    "The recording was interrupted before it was saved (the server stopped). Please record again."
)


def live_recording_start(*, owner, session_key: str | None):
    """A running live job and the LiveRecording that collects its emotion scores."""
    from studies.live import LiveRecording

    now = timezone.now()
    job = AnalysisJob.objects.create(
        kind=AnalysisJob.Kind.LIVE,
        status=AnalysisJob.Status.RUNNING,
        **_ownership(owner, session_key),
        original_filename=f"Live camera, {timezone.localtime(now):%d %b %Y %H:%M:%S}",
        started_at=now,
        attempts=1,
        progress_detail={"frames": 0, "seconds": 0, "faces": 0},
    )
    logger.info("Live recording %s started.", job.id)
    return LiveRecording(job.id, max_seconds=settings.FER_LIVE_MAX_RECORDING_SECONDS)


def live_recording_heartbeat(recording) -> None:
    """Show how far the recording got, and that its web process is alive."""
    AnalysisJob.objects.filter(pk=recording.job_id, status=AnalysisJob.Status.RUNNING).update(
        progress_detail=recording.progress(), updated_at=timezone.now()
    )


def live_recording_finish(recording) -> AnalysisJob | None:
    """Attach the timeline and summary; a recording without a single frame is deleted (None), and
    so is what was recorded for a job deleted meanwhile (its account was, say)."""
    job = AnalysisJob.objects.filter(pk=recording.job_id).first()
    if job is None or recording.frames == 0:
        recording.discard()
        if job is not None:
            job.delete()
        logger.info("Live recording %s %s; nothing kept.", recording.job_id,
                    "had no frames" if job is not None else "was deleted while it ran")
        return None
    try:
        result = recording.finish()
        with _finishing(job) as may_finish:
            if not may_finish:
                return job
            with open(recording.csv_path, "rb") as csv_file, open(recording.json_path, "rb") as json_file:
                job.timeline_csv.save("timeline.csv", File(csv_file), save=False)
                job.timeline_json.save("timeline.json", File(json_file), save=False)
            job.result = result
            job.status = AnalysisJob.Status.SUCCEEDED
            job.progress = PROGRESS_DONE
            job.progress_detail = recording.progress()
            job.finished_at = timezone.now()
            job.timings_ms = {"recorded": round(recording.duration_s * 1000, 1)}
            job.save(update_fields=[
                "timeline_csv", "timeline_json", "result", "status", "progress", "progress_detail",
                "finished_at", "timings_ms", "updated_at",
            ])
    except AnalysisJob.DoesNotExist:  # deleted between the two reads: its files go below
        logger.info("Live recording %s was deleted while it was being saved; nothing kept.", recording.job_id)
        return None
    finally:
        recording.remove_files()
    _publish_progress(job)
    logger.info("Live recording %s saved: %d frames, %d face track(s).", job.id, recording.frames,
                len(job.result.get("tracks", [])))
    return job


def live_recordings_fail_stale(among=None) -> int:
    """Mark failed the recordings whose web process died (only those of the job ids `among`, if
    given); returns how many."""
    cutoff = timezone.now() - timedelta(seconds=LIVE_RECORDING_STALE_AFTER_S)
    stale = AnalysisJob.objects.filter(kind=AnalysisJob.Kind.LIVE, status=AnalysisJob.Status.RUNNING,
                                       updated_at__lt=cutoff)
    if among is not None:
        stale = stale.filter(pk__in=among)
    failed = stale.update(
        status=AnalysisJob.Status.FAILED, error_message=LIVE_RECORDING_INTERRUPTED_MESSAGE,
        finished_at=timezone.now(), updated_at=timezone.now(),
    )
    if failed:
        logger.info("Marked %d interrupted live recording(s) failed.", failed)
    return failed
