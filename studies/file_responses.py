"""Serving a stored job file with HTTP Range support, so browsers can seek in a video.

Django's FileResponse always sends the whole file; a <video> element asks for
byte ranges and, without 206 answers, cannot seek (Safari will not even play).
One range per request is served; several ranges in one request get the whole
file, which RFC 9110 allows.

Files are stored under fixed names (annotated.mp4, timeline.csv), so the name a
download is saved under is made from the name the file was uploaded with.

Under ASGI (Daphne) Django reads a synchronous streaming body whole into memory before
sending its first byte (a 300 MB video: 870 MB more memory and 0.69 s before the first byte,
benchmarks/bench_downloads.py), so bodies go out through `streamed`, one chunk at a time.
"""

import asyncio
import hashlib
import re
import threading
import unicodedata
from collections.abc import AsyncIterator, Iterator
from pathlib import PurePosixPath

from asgiref.sync import sync_to_async
from django.core.handlers.asgi import ASGIRequest
from django.http import Http404, HttpResponse, StreamingHttpResponse
from django.utils.http import content_disposition_header

CHUNK_BYTES = 256 * 1024
DOWNLOAD_STEM_BYTES = 150
_RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")
# Characters Windows or macOS refuse in a file name, or that would end the quoted header value.
_NOT_IN_FILE_NAMES = re.compile(r'[/\\:*?"<>|]+')


def download_name_for(original_filename: str, ending: str, *, fallback: str) -> str:
    """`ending` after the uploaded file's stem ("ad.mp4", "timeline.csv" -> "ad_timeline.csv"), or `fallback`.

    The upload's name is whatever the sender's machine called it: a path from another system,
    and control or bidirectional-override characters (which can make "gpj.exe" read as "exe.jpg")
    are dropped, so the browser is offered a plain name to save under.
    """
    stem = PurePosixPath(re.split(r"[/\\]", original_filename or "")[-1]).stem
    stem = " ".join(stem.split())  # tabs, line breaks and odd spaces become one plain space
    stem = "".join(character for character in stem if not unicodedata.category(character).startswith("C"))
    stem = _NOT_IN_FILE_NAMES.sub("_", stem)
    # Most file systems allow 255 bytes a name; leave room for the ending.
    stem = stem.encode()[:DOWNLOAD_STEM_BYTES].decode(errors="ignore").strip(" ._")
    return f"{stem}_{ending}" if stem else fallback


def _parse_range(header: str, size: int) -> tuple[int, int] | None | str:
    """(first, last) byte positions, None to send everything, or "unsatisfiable"."""
    match = _RANGE.match(header.strip().replace(" ", ""))
    if not match:
        return None  # several ranges or a unit other than bytes: ignored
    first_text, last_text = match.groups()
    if not first_text and not last_text:
        return None
    if not first_text:
        suffix = int(last_text)
        if suffix == 0:
            return "unsatisfiable"
        return max(size - suffix, 0), size - 1
    first = int(first_text)
    last = int(last_text) if last_text else size - 1
    if first >= size or (last_text and last < first):
        return "unsatisfiable"
    return first, min(last, size - 1)


def streamed(request, chunks: Iterator[bytes], *,
             reads_database: bool = False) -> Iterator[bytes] | AsyncIterator[bytes]:
    """The body for a StreamingHttpResponse: under ASGI an asynchronous iterator that reads each
    chunk in a thread as the client takes it; under WSGI (and Django's test client) `chunks` itself.
    Chunks that query the database are read on the request's own thread, whose connection Django
    closes when the response ends (any other thread's would stay open)."""
    django_request = getattr(request, "_request", request)  # a REST framework request wraps Django's
    if isinstance(django_request, ASGIRequest):
        return _read_in_a_thread(chunks, thread_sensitive=reads_database)
    return chunks


class _OneAtATime:
    """An iterator read from worker threads: `close` waits for a read still running in another thread
    (a client gone mid-read cancels the wait for it, not the read), as a generator cannot be closed
    while it runs."""

    def __init__(self, chunks: Iterator[bytes]) -> None:
        self._chunks, self._lock = chunks, threading.Lock()

    def next(self, default):
        with self._lock:
            return next(self._chunks, default)

    def close(self) -> None:
        with self._lock:
            close = getattr(self._chunks, "close", None)
            if close is not None:
                close()


async def _read_in_a_thread(chunks: Iterator[bytes], *, thread_sensitive: bool) -> AsyncIterator[bytes]:
    done = object()
    reader = _OneAtATime(chunks)
    read_next = sync_to_async(reader.next, thread_sensitive=thread_sensitive)
    try:
        while (chunk := await read_next(done)) is not done:
            yield chunk
    finally:  # a client gone mid-file: its file handle closes now
        # shielded: a second cancel (Daphne's, after the client's) would drop a close queued behind the read
        await asyncio.shield(sync_to_async(reader.close, thread_sensitive=thread_sensitive)())


def _read_span(field_file, first: int, length: int):
    handle = field_file.open("rb")
    try:
        handle.seek(first)
        left = length
        while left > 0:
            chunk = handle.read(min(CHUNK_BYTES, left))
            if not chunk:
                break
            left -= len(chunk)
            yield chunk
    finally:
        handle.close()


def ranged_file_response(request, field_file, *, content_type: str, download_name: str | None = None,
                         as_attachment: bool = True, size: int | None = None):
    """200 with the whole file, 206 with the asked range, or 416 for a range past the end.
    `size` serves only the file's first bytes (a file still being written). `download_name` is the
    name to save it under: a download when `as_attachment`, otherwise shown inline (a player) and saved
    under that name from the page's download link.

    The ETag names the file and its size, so a player continuing with `If-Range` after the file
    behind the URL changed (a recording finalized, an ad replaced) gets the new file whole
    instead of bytes of it spliced onto the old one.
    """
    try:
        size = field_file.size if size is None else min(size, field_file.size)
    except FileNotFoundError:
        raise Http404("This file is no longer stored: it was just replaced or deleted, or is missing from the "
                      "server's storage. Reload the page.") from None
    etag = '"' + hashlib.sha256(f"{field_file.name}:{size}".encode()).hexdigest()[:32] + '"'
    if_range = request.headers.get("If-Range")
    wants_range = request.headers.get("Range") and (not if_range or if_range == etag)
    span = _parse_range(request.headers["Range"], size) if wants_range else None
    if span == "unsatisfiable":
        response = HttpResponse(status=416)
        response["Content-Range"] = f"bytes */{size}"
        response["Accept-Ranges"] = "bytes"
        return response
    first, last = span if span else (0, size - 1)
    length = max(last - first + 1, 0)
    body = iter(()) if request.method == "HEAD" else streamed(request, _read_span(field_file, first, length))
    response = StreamingHttpResponse(body, status=206 if span else 200, content_type=content_type)
    response["Content-Length"] = str(length)
    response["Accept-Ranges"] = "bytes"
    response["ETag"] = etag
    if span:
        response["Content-Range"] = f"bytes {first}-{last}/{size}"
    if download_name:
        # Quotes what ASCII allows, and sends anything else as RFC 5987 filename*=utf-8''...
        response["Content-Disposition"] = content_disposition_header(as_attachment, download_name)
    return response


def video_file_response(request, field_file, *, size: int | None = None):
    """A stored video (an ad, a viewer's recording) for a <video> element, seekable."""
    import mimetypes

    content_type = mimetypes.guess_type(field_file.name)[0] or "video/mp4"
    return ranged_file_response(request, field_file, content_type=content_type, size=size)
