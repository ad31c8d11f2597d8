"""Writes that finish viewers' webcam recordings once their session has closed.

A part arrives second by second as MediaRecorder writes it (`viewing.viewer_recording_append`),
so its file has no length and no seek index. When the session closes, a worker rewrites each part
with both (`studies.recording_files`): the producer's player then shows the length at once and
seeks by fetching only the bytes it needs, instead of downloading every part in full.
"""

import logging
import os
from functools import partial
from pathlib import Path

from django.db import transaction
from django.utils import timezone
from kombu.exceptions import OperationalError

from studies import recording_files
from studies.models import RecordingPart, ViewerSession

logger = logging.getLogger(__name__)

CLOSED_STATUSES = (ViewerSession.Status.COMPLETED, ViewerSession.Status.ABANDONED)


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
    """Give every part of a closed session's recording its length and seek index; returns how many.

    Idempotent: a finalized part is skipped. A part nothing could be read from keeps its file.
    """
    finalized = 0
    pending = RecordingPart.objects.filter(session_id=session_id, session__status__in=CLOSED_STATUSES,
                                           finalized_at__isnull=True)
    for part_id in list(pending.values_list("pk", flat=True)):
        with transaction.atomic():
            # The session first, as erasure and withdrawal lock it: one of them arriving now waits,
            # then finds the part's current file to delete.
            if not ViewerSession.objects.select_for_update().filter(pk=session_id).exists():
                break  # erased meanwhile
            part = RecordingPart.objects.select_for_update().filter(pk=part_id, finalized_at__isnull=True).first()
            if part is not None:
                _finalize(part)
                finalized += 1
    return finalized


def viewer_recordings_finalize_pending() -> int:
    """Finalize what a worker that died, or a broker that was down, left unfinalized; returns how many parts."""
    sessions = (RecordingPart.objects.filter(session__status__in=CLOSED_STATUSES, finalized_at__isnull=True)
                .values_list("session_id", flat=True).distinct())
    return sum(viewer_recording_finalize(session_id) for session_id in list(sessions))


def _finalize(part: RecordingPart) -> None:
    storage, recorded_name = part.file.storage, part.file.name
    part.finalized_at = timezone.now()
    try:
        recorded = Path(storage.path(recorded_name))
    except NotImplementedError:
        part.save(update_fields=["finalized_at"])  # appending needed a local file; nothing to do
        return
    if recorded.stat().st_size > part.size:
        os.truncate(recorded, part.size)  # the bytes of a failed write: no chunk will overwrite them now
    indexed_name = storage.get_available_name(recorded_name)
    duration_ms = recording_files.remux(recorded, Path(storage.path(indexed_name)))
    if duration_ms is None:
        part.save(update_fields=["finalized_at"])
        return
    part.file.name = indexed_name
    part.size = Path(storage.path(indexed_name)).stat().st_size
    part.duration_ms = duration_ms
    part.save(update_fields=["file", "size", "duration_ms", "finalized_at", "updated_at"])
    # A rollback instead leaves the new file unnamed, for the daily orphan sweep.
    transaction.on_commit(lambda: storage.delete(recorded_name), robust=True)
    logger.info("Recording part %s finalized: %.1f s, %d bytes.", part.pk, duration_ms / 1000, part.size)
