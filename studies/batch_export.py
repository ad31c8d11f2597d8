"""One .zip with every result of a batch: annotated files, timelines, and a combined CSV.

The combined CSV has one row per face per frame: the video timeline columns,
led by the file they came from and the zip folder holding that file's results
(two uploads may share a name; their folders never do). A photo is one "frame"
at time 0 whose faces are numbered like tracks, so both kinds can be read with
the same code.

Every entry is dated: a job's files when it finished, the CSV and the list of
left-out files when the zip was made. The zip is sent as it is written (`iter_batch_zip`): a
batch of videos starts downloading at once, and is never held whole by the server.
"""

import csv
import io
import json
import re
import zipfile
from collections.abc import Iterator
from datetime import datetime
from pathlib import PurePosixPath

from django.utils import timezone

from inference.labels import EMOTIONS
from studies.file_responses import CHUNK_BYTES
from studies.models import AnalysisJob

TIMELINE_COLUMNS = ["time_s", "frame", "track_id", "x", "y", "w", "h", *EMOTIONS]
COMBINED_COLUMNS = ["file", "folder", "kind", *TIMELINE_COLUMNS]
COMBINED_CSV_NAME = "combined.csv"
NOT_INCLUDED_NAME = "not_included.txt"
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def _folder_name(number: int, job: AnalysisJob) -> str:
    # A file from a zip keeps its folders in the name: "03_shoot2_take1" beside "02_shoot1_take1".
    stem = PurePosixPath(job.original_filename or "file").with_suffix("").as_posix()
    return f"{number:02d}_{_UNSAFE.sub('_', stem).strip('_') or 'file'}"


def _image_rows(job: AnalysisJob):
    for number, face in enumerate((job.result or {}).get("faces", []), start=1):
        x, y, w, h = face.get("box", (0, 0, 0, 0))
        probabilities = face.get("probabilities", {})
        yield [0, 0, number, x, y, w, h, *(probabilities.get(name, 0.0) for name in EMOTIONS)]


def _video_rows(job: AnalysisJob):
    with job.timeline_csv.open("rb") as stored:
        reader = csv.DictReader(io.TextIOWrapper(stored, encoding="utf-8", newline=""))
        for row in reader:
            yield [row.get(column, "") for column in TIMELINE_COLUMNS]


def _entry(arcname: str, moment: datetime, compress_type: int = zipfile.ZIP_STORED) -> zipfile.ZipInfo:
    # A bare name given to ZipFile.open(..., "w") is dated 1980-01-01; zip dates are local wall-clock time.
    entry = zipfile.ZipInfo(arcname, date_time=timezone.localtime(moment).timetuple()[:6])
    entry.compress_type = compress_type
    return entry


class _Outbox(io.RawIOBase):
    """A write-only file the zip is written into, whose bytes are taken out as they come: the zip
    goes to the client while it is being made, never whole in memory or on disk."""

    def __init__(self):
        super().__init__()
        self._parts: list[bytes] = []

    def writable(self) -> bool:
        return True

    def write(self, data) -> int:
        self._parts.append(bytes(data))
        return len(data)

    def take(self) -> bytes:
        taken = b"".join(self._parts)
        self._parts.clear()
        return taken


def _add_stored(archive: zipfile.ZipFile, field_file, entry: zipfile.ZipInfo, outbox: _Outbox) -> Iterator[bytes]:
    with field_file.open("rb") as source, archive.open(entry, "w", force_zip64=True) as target:
        while block := source.read(CHUNK_BYTES):
            target.write(block)
            yield outbox.take()


def _why_not_included(job: AnalysisJob) -> str | None:
    """None for a job whose results go into the zip."""
    if job.status == AnalysisJob.Status.FAILED:
        return f"failed: {job.error_message or 'no reason recorded'}"
    if job.status != AnalysisJob.Status.SUCCEEDED:
        return "still being analysed when this zip was made; download it again once the batch has finished"
    outputs = [job.annotated_file, job.timeline_csv, job.timeline_json] if job.has_timeline else [job.annotated_file]
    if any(output and not output.storage.exists(output.name) for output in outputs):
        return "its result files are missing from the server's storage; analyse it again"
    return None


def iter_batch_zip(jobs: list[AnalysisJob]) -> Iterator[bytes]:
    """The batch's results as a .zip, in pieces as it is written (one per CHUNK_BYTES of a stored file,
    as file_responses sends a file).

    Failed and unfinished jobs have no result, so they get no folder; they are
    named in `not_included.txt` with the reason, so the zip never drops a file silently.
    """
    combined = io.StringIO()
    writer = csv.writer(combined)
    writer.writerow(COMBINED_COLUMNS)
    not_included = []
    made_at = timezone.now()
    outbox = _Outbox()
    # Videos are already compressed; deflating them again only costs time.
    with zipfile.ZipFile(outbox, "w", compression=zipfile.ZIP_STORED) as archive:
        for number, job in enumerate(jobs, start=1):
            reason = _why_not_included(job)
            if reason:
                not_included.append(f"{job.original_filename or 'file'}: {reason}")
                continue
            folder = _folder_name(number, job)
            finished_at = job.finished_at or made_at
            if job.has_timeline:
                for stored, name in ((job.annotated_file, "annotated.mp4"), (job.timeline_csv, "timeline.csv"),
                                     (job.timeline_json, "timeline.json")):
                    yield from _add_stored(archive, stored, _entry(f"{folder}/{name}", finished_at), outbox)
                rows = _video_rows(job)
            else:
                if job.annotated_file:
                    yield from _add_stored(archive, job.annotated_file, _entry(f"{folder}/annotated.jpg", finished_at),
                                           outbox)
                archive.writestr(_entry(f"{folder}/result.json", finished_at), json.dumps(job.result, indent=2))
                rows = _image_rows(job)
            for row in rows:
                writer.writerow([job.original_filename, folder, job.kind, *row])
            yield outbox.take()
        archive.writestr(_entry(COMBINED_CSV_NAME, made_at, zipfile.ZIP_DEFLATED), combined.getvalue())
        if not_included:
            archive.writestr(_entry(NOT_INCLUDED_NAME, made_at, zipfile.ZIP_DEFLATED), "\n".join(not_included) + "\n")
    yield outbox.take()  # the central directory, written as the archive closes
