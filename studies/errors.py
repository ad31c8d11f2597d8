"""Errors the studies services raise; each message is written for the person uploading."""

from django.conf import settings
from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent


class StudiesError(Exception):
    """Base class for errors a service reports to its caller."""


class UploadRejected(StudiesError):
    """The uploaded file cannot be analysed (wrong type, corrupt, empty, too large)."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class InvalidInput(StudiesError):
    """A value breaks a rule (a segment outside the ad, an unknown emotion); `field` names the culprit."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field


class ParticipationRefused(StudiesError):
    """A viewer may not join or may not send data: link revoked or expired, campaign closed, no consent."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class TooManyAttempts(ParticipationRefused):
    """Refused for now, not for good: too many tries from one address; `retry_after_s` says when to
    try again at the latest (HTTP 429 with Retry-After)."""

    def __init__(self, message: str, retry_after_s: int):
        super().__init__(message)
        self.retry_after_s = retry_after_s


class RecordingGap(StudiesError):
    """A recording chunk starts past the bytes stored so far; `stored` says where to send from."""

    def __init__(self, stored: int):
        self.stored = stored
        self.message = f"This part of the recording holds {stored} bytes; send the rest from there."
        super().__init__(self.message)


def request_refusal_reason(exception) -> str | None:
    """A person's explanation of the Django guard that refused a request, or None for another error.

    Django reads a request's body only when a view asks for it, and refuses one over its own
    limits there, so both the 400 page and the API answer these.
    """
    if isinstance(exception, TooManyFilesSent):
        return (f"Too many files in one upload: at most {settings.FER_MAX_BATCH_FILES} can be analysed at once. "
                "Choose fewer and upload the rest afterwards.")
    if isinstance(exception, TooManyFieldsSent):
        return "The request sent far more fields than any form or endpoint of this site takes."
    if isinstance(exception, RequestDataTooBig):
        return (f"The request body is over {settings.FER_MAX_UPLOAD_MB} MB, more than this site takes "
                "outside a file upload.")
    return None
