"""One shape for every API error, so a client reads the same fields whatever went wrong:

    {"detail": "what went wrong, written for a person",
     "field": "the input at fault, or null",
     "errors": {"<input>": ["message", ...], ...}}

`errors` holds every invalid input as DRF's validation reports it (nested for lists and objects,
e.g. {"samples": [{}, {"t_ms": [...]}]}) and is empty when no input is at fault (not found,
not signed in, refused). A service error (studies.errors) raised in a view is answered here
too, so API views call services without try blocks.
"""

from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler

from studies.errors import InvalidInput, ParticipationRefused, StudiesError, UploadRejected

NON_FIELD_KEY = "non_field_errors"


def api_exception_handler(exc, context):
    if isinstance(exc, StudiesError):
        return _service_error_response(exc)
    response = exception_handler(exc, context)
    if response is None:
        return None  # not an API error: Django's 500 handling
    if isinstance(exc, exceptions.ValidationError):
        response.data = _validation_body(exc.detail)
    else:
        response.data = error_body(str(response.data.get("detail", "")) if isinstance(response.data, dict)
                                   else str(response.data))
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
    if isinstance(error, ParticipationRefused):
        return Response(error_body(error.message), status=status.HTTP_403_FORBIDDEN)
    return Response(error_body(str(error)), status=status.HTTP_400_BAD_REQUEST)


def _validation_body(detail) -> dict:
    errors = detail if isinstance(detail, dict) else {NON_FIELD_KEY: detail if isinstance(detail, list) else [detail]}
    path, message = _first_error(errors)
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
