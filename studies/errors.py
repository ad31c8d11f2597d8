"""Errors the studies services raise; each message is written for the person uploading."""


class StudiesError(Exception):
    """Base class for errors a service reports to its caller."""


class UploadRejected(StudiesError):
    """The uploaded file cannot be analysed (wrong type, corrupt, empty, too large)."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message
