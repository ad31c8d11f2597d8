"""Errors the studies services raise; each message is written for the person uploading."""


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


class RecordingGap(StudiesError):
    """A recording chunk starts past the bytes stored so far; `stored` says where to send from."""

    def __init__(self, stored: int):
        self.stored = stored
        self.message = f"This part of the recording holds {stored} bytes; send the rest from there."
        super().__init__(self.message)
