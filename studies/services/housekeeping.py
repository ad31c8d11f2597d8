"""Writes that keep what is stored honest: analyses nobody can open any more, and files no row names.

`housekeeping_run` does all the daily clearing: Celery beat sends it every FER_HOUSEKEEPING_INTERVAL_H
hours (the `studies.run_housekeeping` task), and `manage.py purge_expired_data` and every starting worker
call it.
"""

import logging
import uuid
from datetime import timedelta
from importlib import import_module

from django.conf import settings
from django.contrib.sessions.backends import db as db_sessions
from django.contrib.sessions.backends import file as file_sessions
from django.utils import timezone

from studies import storage_files, video_jobs
from studies.models import (CAMPAIGNS_STORAGE_ROOT, JOBS_STORAGE_ROOT, AnalysisJob, Campaign, RecordingPart,
                            campaign_ad_folder, campaign_viewers_folder, job_storage_folder,
                            viewer_session_storage_folder)
from studies.services.analysis_jobs import analysis_jobs_delete, live_recordings_fail_stale
from studies.services.recordings import viewer_recordings_finalize_pending
from studies.services.viewing import campaign_data_purge_expired, viewer_sessions_mark_abandoned

logger = logging.getLogger(__name__)

# Files are written before the row that names them commits, and a folder is made just before
# its file: anything younger may belong to a request still in flight.
ORPHAN_GRACE = timedelta(hours=1)
# An anonymous upload's browser session is saved before the upload is stored; the margin only
# keeps the rule clear of clock skew between web and worker machines.
ANONYMOUS_GRACE = timedelta(hours=1)
STORED_ROOTS = (JOBS_STORAGE_ROOT, CAMPAIGNS_STORAGE_ROOT)
# Session stores every process shares and that can tell an ended session from a live one.
SESSION_STORES_THAT_KNOW = (db_sessions.SessionStore, file_sessions.SessionStore)
DELETE_BATCH = 500


def housekeeping_run(now=None) -> dict[str, int | None]:
    """Every daily clearing step; returns how many things each did, None for a step that failed.

    Each step runs whatever happened to the one before it (and logs its own failure), so one bad
    row or file cannot stop the retention periods or the other deletions for good.
    """
    steps = {
        "abandoned_sessions": lambda: viewer_sessions_mark_abandoned(now),
        "purged_sessions": lambda: campaign_data_purge_expired(now),  # before finalizing what it deletes
        "finalized_recordings": viewer_recordings_finalize_pending,
        "interrupted_live_recordings": live_recordings_fail_stale,
        "unreachable_analyses": lambda: analysis_jobs_delete_unreachable(now),
        "orphaned_files": lambda: storage_orphans_delete(now),
        "video_work_folders": lambda: video_jobs.work_folders_sweep(now.timestamp() if now else None),
    }
    done = {}
    for name, step in steps.items():
        try:
            done[name] = step()
        except Exception:
            logger.exception("Daily clearing: the step %r failed; the others still run.", name)
            done[name] = None
    return done


def analysis_jobs_delete_unreachable(now=None) -> int:
    """Delete anonymous analyses whose browser session has ended: nobody can open them again.

    Signing up or logging in moves a session's analyses to the account first, so only the
    uploads of visitors who left are deleted. Returns how many.
    """
    now = now or timezone.now()
    candidates = (AnalysisJob.objects.filter(owner__isnull=True, created_at__lt=now - ANONYMOUS_GRACE)
                  .exclude(kind=AnalysisJob.Kind.LIVE, status=AnalysisJob.Status.RUNNING))
    store = import_module(settings.SESSION_ENGINE).SessionStore
    if issubclass(store, SESSION_STORES_THAT_KNOW):
        store.clear_expired()  # the database and file backends keep expired sessions until told
        keys = set(candidates.values_list("session_key", flat=True).distinct())
        ended = [key for key in keys if not key or not store().exists(key)]
        unreachable = candidates.filter(session_key__in=ended)
    else:
        # Sessions in browsers' cookies, or in a cache this process may not share: only their lifetime tells.
        unreachable = candidates.filter(created_at__lt=now - timedelta(seconds=settings.SESSION_COOKIE_AGE))
    deleted = 0
    job_ids = list(unreachable.values_list("pk", flat=True))
    for start in range(0, len(job_ids), DELETE_BATCH):
        batch = [AnalysisJob(pk=pk) for pk in job_ids[start:start + DELETE_BATCH]]
        deleted += analysis_jobs_delete(batch, only_if_anonymous=True)
    if deleted:
        logger.info("Deleted %d analysis job(s) of browser sessions that have ended.", deleted)
    return deleted


def storage_orphans_delete(now=None) -> int:
    """Delete stored files that no row names, once older than ORPHAN_GRACE; returns how many.

    They are rare: a process killed between writing a file and committing its row, or a file
    whose deletion failed after its row was deleted. Webcam recordings and faces in uploads are
    personal data, so they must not outlive their rows unseen.
    """
    cutoff = (now or timezone.now()) - ORPHAN_GRACE
    storage = AnalysisJob._meta.get_field("input_file").storage
    # Listed before any file goes: deleting a file makes its folder look new.
    old_folders = {root: storage_files.folders_unchanged_since(storage, root, cutoff) for root in STORED_ROOTS}
    deleted = 0
    for folder, kept in _stored_folders(storage):
        for name in storage_files.iter_files(storage, folder):
            try:
                if name in kept or storage.get_modified_time(name) >= cutoff:
                    continue
            except FileNotFoundError:
                continue  # deleted meanwhile, by whatever deleted its row
            logger.warning("Deleting %s: no analysis, campaign or recording names it.", name)
            storage.delete(name)
            deleted += 1
    for root, folders in old_folders.items():
        if folders is not None:
            storage_files.remove_empty_folders(storage, root, among=folders)
    return deleted


def _stored_folders(storage):
    """(folder, the file names rows point to in it) for every folder of job files, ads and recordings.

    The names are read just before the folder's files are listed: a file whose row commits in
    between is younger than ORPHAN_GRACE, so it stays.
    """
    for job_id in _subfolder_ids(storage, JOBS_STORAGE_ROOT):
        job = AnalysisJob.objects.filter(pk=job_id).first()
        yield job_storage_folder(job_id), job.attached_file_names if job else set()
    for campaign_id in _subfolder_ids(storage, CAMPAIGNS_STORAGE_ROOT):
        campaign = Campaign.objects.filter(pk=campaign_id).only("ad_video").first()
        yield campaign_ad_folder(campaign_id), {campaign.ad_video.name} if campaign else set()
        for session_id in _subfolder_ids(storage, campaign_viewers_folder(campaign_id)):
            parts = RecordingPart.objects.filter(session_id=session_id)
            yield viewer_session_storage_folder(campaign_id, session_id), set(parts.values_list("file", flat=True))


def _subfolder_ids(storage, folder: str) -> list[uuid.UUID]:
    """The subfolders named by an id, as the platform names them; anything else it did not make."""
    try:
        names = storage.listdir(folder)[0]
    except FileNotFoundError:
        return []
    ids = []
    for name in names:
        try:
            ids.append(uuid.UUID(name))
        except ValueError:
            continue
    return ids
