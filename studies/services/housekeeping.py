"""Writes that keep what is stored honest: analyses nobody can open any more, and files no row names.

`housekeeping_run` does all the daily clearing: `manage.py purge_expired_data` (cron) and every
starting worker call it.
"""

import logging
import uuid
from datetime import timedelta
from importlib import import_module

from django.conf import settings
from django.utils import timezone

from studies import storage_files
from studies.models import AnalysisJob, Campaign, RecordingPart
from studies.services.analysis_jobs import analysis_jobs_delete
from studies.services.recordings import viewer_recordings_finalize_pending
from studies.services.viewing import campaign_data_purge_expired, viewer_sessions_mark_abandoned

logger = logging.getLogger(__name__)

# Files are written before the row that names them commits, and a folder is made just before
# its file: anything younger may belong to a request still in flight.
ORPHAN_GRACE = timedelta(hours=1)
# An anonymous upload's browser session is saved before the upload is stored; the margin only
# keeps the rule clear of clock skew between web and worker machines.
ANONYMOUS_GRACE = timedelta(hours=1)
# The top folders of what the platform stores: analyses' files, and campaigns' ads and recordings.
STORED_ROOTS = ("jobs", "campaigns")
SIGNED_COOKIE_SESSIONS = "django.contrib.sessions.backends.signed_cookies"


def housekeeping_run(now=None) -> dict[str, int]:
    """Close abandoned viewer sessions, finalize recordings left unfinalized, apply retention periods,
    delete unreachable analyses and orphaned files; returns how many of each."""
    return {
        "abandoned_sessions": viewer_sessions_mark_abandoned(now),
        "finalized_recordings": viewer_recordings_finalize_pending(),
        "purged_sessions": campaign_data_purge_expired(now),
        "unreachable_analyses": analysis_jobs_delete_unreachable(now),
        "orphaned_files": storage_orphans_delete(now),
    }


def analysis_jobs_delete_unreachable(now=None) -> int:
    """Delete anonymous analyses whose browser session has ended: nobody can open them again.

    Signing up or logging in moves a session's analyses to the account first, so only the
    uploads of visitors who left are deleted. Returns how many.
    """
    now = now or timezone.now()
    candidates = (AnalysisJob.objects.filter(owner__isnull=True, created_at__lt=now - ANONYMOUS_GRACE)
                  .exclude(kind=AnalysisJob.Kind.LIVE, status=AnalysisJob.Status.RUNNING))
    if settings.SESSION_ENGINE == SIGNED_COOKIE_SESSIONS:
        # Sessions live only in browsers: the server cannot ask, so a session's lifetime decides.
        unreachable = candidates.filter(created_at__lt=now - timedelta(seconds=settings.SESSION_COOKIE_AGE))
    else:
        store = import_module(settings.SESSION_ENGINE).SessionStore
        store.clear_expired()  # the database backend keeps expired sessions until told
        keys = set(candidates.values_list("session_key", flat=True).distinct())
        ended = [key for key in keys if not key or not store().exists(key)]
        unreachable = candidates.filter(session_key__in=ended)
    deleted = analysis_jobs_delete(list(unreachable))
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
            if name not in kept and storage.get_modified_time(name) < cutoff:
                logger.warning("Deleting %s: no analysis, campaign or recording names it.", name)
                storage.delete(name)
                deleted += 1
    for root, folders in old_folders.items():
        if folders is not None:
            storage_files.remove_empty_folders(storage, root, among=folders)
    return deleted


def _stored_folders(storage):
    """(folder, the file names rows point to in it) for every folder of job files, ads and recordings."""
    for job_folder in _subfolders(storage, "jobs"):
        job = AnalysisJob.objects.filter(pk=_as_uuid(job_folder)).first()
        fields = (job.input_file, job.annotated_file, job.timeline_csv, job.timeline_json) if job else ()
        yield f"jobs/{job_folder}", {field.name for field in fields if field}
    for campaign_folder in _subfolders(storage, "campaigns"):
        campaign = Campaign.objects.filter(pk=_as_uuid(campaign_folder)).first()
        yield f"campaigns/{campaign_folder}/ad", {campaign.ad_video.name} if campaign else set()
        for session_folder in _subfolders(storage, f"campaigns/{campaign_folder}/viewers"):
            parts = RecordingPart.objects.filter(session_id=_as_uuid(session_folder))
            yield f"campaigns/{campaign_folder}/viewers/{session_folder}", set(parts.values_list("file", flat=True))


def _subfolders(storage, folder: str) -> list[str]:
    try:
        return storage.listdir(folder)[0]
    except FileNotFoundError:
        return []


def _as_uuid(name: str):
    try:
        return uuid.UUID(name)
    except ValueError:
        return None  # not a folder the platform made: nothing names its files
