"""One shape for every API error, so a client reads the same fields whatever went wrong:

    {"detail": "what went wrong, written for a person",
     "field": "the input at fault, or null",
     "errors": {"<input>": ["message", ...], ...}}

`errors` holds every invalid input as DRF's validation reports it (nested for lists and objects,
e.g. {"samples": [{}, {"t_ms": [...]}]}) and is empty when no input is at fault (not found,
not signed in, refused). A service error (studies.errors) raised in a view is answered here
too, so API views call services without try blocks, and so is a bug (500, logged).
"""

import logging

from django.conf import settings
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler, set_rollback

from studies.errors import (
    InvalidInput,
    ParticipationRefused,
    RecordingGap,
    StudiesError,
    TooManyAttempts,
    UploadRejected,
    request_refusal_reason,
)

logger = logging.getLogger(__name__)

NON_FIELD_KEY = "non_field_errors"
UNEXPECTED_ERROR = "Something went wrong on the server; the error was logged. Please try again later."


def api_exception_handler(exc, context):
    if isinstance(exc, StudiesError):
        set_rollback()
        return _service_error_response(exc)
    response = exception_handler(exc, context)
    if response is None and (reason := request_refusal_reason(exc)):
        return Response(error_body(reason), status=status.HTTP_400_BAD_REQUEST)
    if response is None:
        if settings.DEBUG:
            return None  # Django's debug page shows the traceback
        # a bug: logged with its traceback, and answered in the same shape rather than an HTML page
        logger.exception("Unexpected error in %s", context.get("view").__class__.__name__)
        set_rollback()
        return Response(error_body(UNEXPECTED_ERROR), status=status.HTTP_500_INTERNAL_SERVER_ERROR)
    if isinstance(exc, exceptions.ValidationError):
        response.data = _validation_body(exc.detail)
    else:
        response.data = error_body(_first_error(response.data)[1] or response.status_text)
    return response


def error_body(detail: str, field: str | None = None, errors: dict | None = None) -> dict:
    return {"detail": detail, "field": field, "errors": errors or {}}


def _service_error_response(error: StudiesError) -> Response:
    if isinstance(error, InvalidInput):
        field = error.field
        body = error_body(error.message, field, {field or NON_FIELD_KEY: [error.message]})
        return Response(body, status=status.HTTP_400_BAD_REQUEST)
    if isinstance(error, UploadRejected):
        return Response(error_body(error.message, "file", {"file": [error.message]}),
                        status=status.HTTP_400_BAD_REQUEST)
    if isinstance(error, TooManyAttempts):
        return Response(error_body(error.message), status=status.HTTP_429_TOO_MANY_REQUESTS,
                        headers={"Retry-After": str(error.retry_after_s)})
    if isinstance(error, ParticipationRefused):
        return Response(error_body(error.message), status=status.HTTP_403_FORBIDDEN)
    if isinstance(error, RecordingGap):
        return Response(error_body(error.message), status=status.HTTP_409_CONFLICT)
    return Response(error_body(str(error)), status=status.HTTP_400_BAD_REQUEST)


def _validation_body(detail) -> dict:
    errors = detail if isinstance(detail, dict) else {NON_FIELD_KEY: detail if isinstance(detail, list) else [detail]}
    path, message = _first_error(errors)
    if not message:
        return error_body("The request is not valid.", None, errors)
    field = path[0] if path and path[0] != NON_FIELD_KEY else None
    where = ".".join(str(part) for part in path if part != NON_FIELD_KEY)
    return error_body(f"{where}: {message}" if where else message, field, errors)


def _first_error(errors, path=()) -> tuple[tuple, str]:
    """The path (keys and list positions) and text of the first message in DRF's nested errors."""
    if isinstance(errors, dict):
        for key, value in errors.items():
            found = _first_error(value, path + (key,))
            if found[1]:
                return found
        return path, ""
    if isinstance(errors, list):
        for position, value in enumerate(errors):
            # a list of messages for one input, or one entry per item of a list input
            found = _first_error(value, path if isinstance(value, str) else path + (position,))
            if found[1]:
                return found
        return path, ""
    return path, str(errors)
