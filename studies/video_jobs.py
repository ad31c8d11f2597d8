"""Running one video job: a private work folder, the inference call, the finished outputs.

Outputs are written into a work folder outside storage and attached to the job
by the service only after the whole video succeeded, so a worker killed part-way
leaves nothing a viewer could mistake for a result; the next run starts over.
"""

import logging
import shutil
import tempfile
import time
import uuid
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings

from studies import media_checks
from studies.models import AnalysisJob, job_storage_folder

logger = logging.getLogger(__name__)

WORK_ROOT_NAME = "fer-video-work"
# No run lasts a day (videos are at most FER_MAX_VIDEO_SECONDS long), so an older folder is a dead run's.
ABANDONED_AFTER_S = 24 * 3600
# A work folder touched this recently may belong to a run that is just finishing.
RECENT_S = 15 * 60


@dataclass(frozen=True)
class VideoOutputs:
    annotated_path: Path
    csv_path: Path
    json_path: Path
    result: dict
    timings_ms: dict


def _work_root() -> Path:
    return Path(settings.FER_VIDEO_WORK_DIR or Path(tempfile.gettempdir()) / WORK_ROOT_NAME)


@contextmanager
def work_folder(job: AnalysisJob):
    """A folder of this attempt's own, removed afterwards.

    Per attempt, because a run that went silent (a paused machine, say) may wake up after
    another run took the job over, and the two must not write into one folder. Folders that
    killed attempts left behind are cleared once they are clearly abandoned, here and by
    work_folders_sweep.
    """
    job_folder = _work_root() / str(job.id)
    folder = job_folder / f"attempt-{job.attempts}"
    _remove_abandoned_attempts(job_folder)
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)
        try:
            job_folder.rmdir()
        except OSError:
            pass  # another attempt's folder is still there


def _remove_abandoned_attempts(job_folder: Path) -> None:
    if not job_folder.is_dir():
        return
    cutoff = time.time() - ABANDONED_AFTER_S
    for attempt in job_folder.iterdir():
        try:
            if attempt.stat().st_mtime < cutoff:
                shutil.rmtree(attempt, ignore_errors=True)
        except FileNotFoundError:
            continue


def work_folders_sweep(now_s: float | None = None) -> int:
    """Remove the work folders of jobs that finished or were deleted, which killed runs left behind
    (a partial annotated video each); returns how many. A folder younger than RECENT_S is left alone:
    its run may be finishing and removing it itself."""
    root = _work_root()
    if not root.is_dir():
        return 0
    cutoff = (now_s if now_s is not None else time.time()) - RECENT_S
    folders = {}
    for folder in root.iterdir():
        try:
            if folder.is_dir() and folder.stat().st_mtime < cutoff:
                folders[str(uuid.UUID(folder.name))] = folder
        except (ValueError, FileNotFoundError):
            continue  # not a job's folder, or gone meanwhile
    unfinished = {str(job_id) for job_id in AnalysisJob.objects.filter(
        pk__in=list(folders), status__in=[AnalysisJob.Status.QUEUED, AnalysisJob.Status.RUNNING])
        .values_list("pk", flat=True)}
    removed = 0
    for job_id, folder in folders.items():
        if job_id not in unfinished:
            shutil.rmtree(folder, ignore_errors=True)
            removed += 1
    if removed:
        logger.info("Removed %d video work folder(s) that runs of finished or deleted jobs left behind.", removed)
    return removed


def discard_unattached_outputs(job: AnalysisJob) -> None:
    """Delete files in the job's storage folder that no field points to (left by a killed save)."""
    storage = job.input_file.storage
    folder = job_storage_folder(job.id)
    attached = job.attached_file_names
    try:
        _, names = storage.listdir(folder)
    except FileNotFoundError:
        return
    for name in names:
        path = f"{folder}/{name}"
        if path not in attached:
            logger.info("Removing %s, left unattached by an earlier attempt of job %s.", path, job.id)
            storage.delete(path)


def _local_input_path(job: AnalysisJob, folder: Path) -> Path:
    try:
        return Path(job.input_file.path)
    except NotImplementedError:
        # Remote storage: the decoder needs a local file.
        local = folder / Path(job.input_file.name).name
        with job.input_file.open("rb") as source, open(local, "wb") as target:
            shutil.copyfileobj(source, target, media_checks.COPY_CHUNK_BYTES)
        return local


def process(job: AnalysisJob, *, folder: Path, engine_options, on_progress) -> VideoOutputs:
    """Run the inference library over the job's stored video; raises InferenceError subclasses."""
    from inference import VideoOptions, process_video

    started = time.perf_counter()
    outputs = {
        "annotated_path": folder / "annotated.mp4",
        "csv_path": folder / "timeline.csv",
        "json_path": folder / "timeline.json",
    }
    result = process_video(
        _local_input_path(job, folder),
        annotated_path=outputs["annotated_path"],
        timeline_csv_path=outputs["csv_path"],
        timeline_json_path=outputs["json_path"],
        options=engine_options,
        video_options=VideoOptions(limits=media_checks.video_limits()),
        progress=on_progress,
    )
    elapsed_ms = round((time.perf_counter() - started) * 1000, 1)
    return VideoOutputs(**outputs, result=result.to_dict(), timings_ms={"analysis": elapsed_ms})
