"""Writes that finish viewers' webcam recordings once their session has closed.

A part arrives second by second as MediaRecorder writes it (`viewing.viewer_recording_append`),
so its file has no length and no seek index. When the session closes, a worker rewrites each part
with both (`studies.recording_files`): the producer's player then shows the length at once and
seeks by fetching only the bytes it needs, instead of downloading every part in full.
"""

import logging
import posixpath
from functools import partial
from pathlib import Path

from django.db import transaction
from django.utils import timezone
from kombu.exceptions import OperationalError

from studies import recording_files
from studies.models import RecordingPart, ViewerSession

logger = logging.getLogger(__name__)

CLOSED_STATUSES = (ViewerSession.Status.COMPLETED, ViewerSession.Status.ABANDONED)
MAX_FINALIZE_ATTEMPTS = 2


def viewer_recording_finalize_on_commit(session_id) -> None:
    """Have a worker finalize the session's recording once the transaction that closed it commits."""
    transaction.on_commit(partial(_enqueue, session_id=str(session_id)))


def _enqueue(*, session_id: str) -> None:
    from studies.tasks import finalize_viewer_recording

    try:
        finalize_viewer_recording.delay(session_id=session_id)
    except OperationalError:
        # The recording plays as it is meanwhile; the next worker start finalizes it.
        logger.exception("Could not reach the broker to finalize the recording of session %s.", session_id)


def viewer_recording_finalize(session_id) -> int:
    """Give every part of a closed session's recording its length and seek index; returns how many
    parts were done. Idempotent: a finalized part is skipped; one that cannot be rewritten plays
    as it came."""
    pending = RecordingPart.objects.filter(session_id=session_id, session__status__in=CLOSED_STATUSES,
                                           finalized_at__isnull=True)
    done = 0
    for part_id in list(pending.values_list("pk", flat=True)):
        try:
            done += _finalize(session_id, part_id)
        except Exception:  # one bad part must not stop the others, nor the daily clearing
            logger.exception("Could not finalize recording part %s; it plays as it came.", part_id)
    return done


def viewer_recordings_finalize_pending() -> int:
    """Finalize what a worker that died, or a broker that was down, left unfinalized; returns how many parts."""
    sessions = (RecordingPart.objects.filter(session__status__in=CLOSED_STATUSES, finalized_at__isnull=True)
                .values_list("session_id", flat=True).distinct())
    return sum(viewer_recording_finalize(session_id) for session_id in list(sessions))


def _finalize(session_id, part_id) -> bool:
    """Rewrite one part outside any transaction, then swap the files if the part is unchanged."""
    part = _claim(session_id, part_id)
    if part is None:
        return False
    storage, recorded_name, recorded_size = part.file.storage, part.file.name, part.size
    try:
        recorded = Path(storage.path(recorded_name))
    except NotImplementedError:
        recorded = None  # appending needed a local file, so this part came from elsewhere: left as it is
    finalized = recording_files.finalize(recorded, size=recorded_size) if recorded else None
    with transaction.atomic():
        part = _lock_pending_part(session_id, part_id)
        if part is None or (part.file.name, part.size) != (recorded_name, recorded_size):
            if finalized:
                finalized.path.unlink(missing_ok=True)  # deleted or changed meanwhile: the copy is stale
            return False
        part.finalized_at = timezone.now()
        if finalized:
            part.file.name = posixpath.join(posixpath.dirname(recorded_name), finalized.path.name)
            part.size, part.duration_ms = finalized.size, finalized.duration_ms
            # A rollback instead leaves the new file unnamed, for the daily orphan sweep.
            transaction.on_commit(lambda: storage.delete(recorded_name), robust=True)
        part.save(update_fields=["file", "size", "duration_ms", "finalized_at", "updated_at"])
    if finalized:
        logger.info("Recording part %s finalized: %.1f s, %d bytes.", part_id, finalized.duration_ms / 1000,
                    finalized.size)
    return True


def _claim(session_id, part_id) -> RecordingPart | None:
    """Count an attempt before the rewrite starts, so a file that takes its worker down (a crash in
    the demuxer, the memory killer) is given up after MAX_FINALIZE_ATTEMPTS instead of for ever."""
    with transaction.atomic():
        part = _lock_pending_part(session_id, part_id)
        if part is None:
            return None
        if part.finalize_attempts >= MAX_FINALIZE_ATTEMPTS:
            logger.warning("Recording part %s failed to finalize %d times; it stays as it came.",
                           part_id, part.finalize_attempts)
            part.finalized_at = timezone.now()
            part.save(update_fields=["finalized_at", "updated_at"])
            return None
        part.finalize_attempts += 1
        part.save(update_fields=["finalize_attempts", "updated_at"])
    return part


def _lock_pending_part(session_id, part_id) -> RecordingPart | None:
    """Lock the session, then the part, until the transaction ends; None when either is gone or the
    part was finalized meanwhile. The session first, as erasure, withdrawal and retention lock it:
    one of them arriving now waits, then deletes whichever file is current."""
    if not ViewerSession.objects.select_for_update().filter(pk=session_id).exists():
        return None
    return RecordingPart.objects.select_for_update().filter(pk=part_id, finalized_at__isnull=True).first()
