"""Request parsers: JSON bodies held to the same size limit Django applies to form bodies."""

import io

from django.conf import settings
from rest_framework import status
from rest_framework.exceptions import APIException, ParseError
from rest_framework.parsers import JSONParser


class BodyTooLarge(APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_code = "body_too_large"


class SizeLimitedJSONParser(JSONParser):
    """DRF reads a JSON body from the raw stream, past Django's DATA_UPLOAD_MAX_MEMORY_SIZE check:
    read at most one byte over the limit, so an oversized body is refused before it is decoded.
    A body nested deeper than Python's stack is refused too."""

    def parse(self, stream, media_type=None, parser_context=None):
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        body = stream.read(limit + 1) if stream is not None else b""
        if limit is not None and len(body) > limit:
            raise BodyTooLarge(f"The request body is over the {limit / (1024 * 1024):.0f} MB limit.")
        try:
            return super().parse(io.BytesIO(body), media_type, parser_context)
        except RecursionError:  # DRF turns only ValueError into a 400; this was a 500
            raise ParseError("JSON parse error - nested too deeply.") from None
