"""Jobs API. Each view validates input, calls one service or selector, shapes the output."""

from collections.abc import Mapping

from django.http import Http404, HttpResponsePermanentRedirect
from django.urls import Resolver404, resolve
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers as drf_serializers
from rest_framework import status
from rest_framework.authtoken.serializers import AuthTokenSerializer
from rest_framework.authtoken.views import ObtainAuthToken
from rest_framework.exceptions import NotFound, Throttled
from rest_framework.pagination import PageNumberPagination
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from studies import selectors, services
from studies.api.parsers import SizeLimitedJSONParser
from studies.api.serializers import (
    PAGE_PARAMETER,
    ErrorSerializer,
    JobCreateInputSerializer,
    JobListItemSerializer,
    JobOutputSerializer,
    paginated,
)
from studies.file_views import annotated_image_response, serve_job_file
from studies.models import AnalysisJob


def _viewer(request) -> dict:
    session = getattr(request, "session", None)
    return {"user": request.user, "session_key": session.session_key if session is not None else None}


def _get_job_or_404(request, job_id) -> AnalysisJob:
    try:
        return selectors.analysis_job_get_for_viewer(job_id=job_id, **_viewer(request))
    except AnalysisJob.DoesNotExist:
        raise Http404("No such job.") from None


class JobListCreateApi(APIView):
    # /api/v1/jobs/: two operations share the URL the contract fixes, so one class routes both; each
    # method is still one operation calling one selector or service. (A docstring would show in the
    # API docs as both operations' description.)

    parser_classes = [MultiPartParser, FormParser]

    @extend_schema(operation_id="jobs_list", responses=paginated(JobListItemSerializer, "PaginatedJobList"),
                   parameters=[PAGE_PARAMETER],
                   description="Your analyses, newest first, 20 a page.")
    def get(self, request):
        paginator = PageNumberPagination()
        jobs = selectors.analysis_job_list_for_viewer(**_viewer(request))
        page = paginator.paginate_queryset(jobs, request, view=self)
        return paginator.get_paginated_response(
            JobListItemSerializer(page, many=True, context={"request": request}).data
        )

    @extend_schema(
        operation_id="jobs_create",
        request={"multipart/form-data": JobCreateInputSerializer},
        responses={201: JobOutputSerializer, 400: ErrorSerializer},
        description="Upload one image or video (multipart field `file`); a worker analyses it. Poll the job, "
        "or follow /ws/jobs/<id>/, until its status is succeeded or failed.",
    )
    def post(self, request):
        serializer = JobCreateInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        job = services.analysis_job_create(
            owner=request.user,
            session_key=None,
            uploaded_file=serializer.validated_data["file"],
        )
        job.refresh_from_db()
        return Response(JobOutputSerializer(job, context={"request": request}).data, status=status.HTTP_201_CREATED)


class JobDetailApi(APIView):
    @extend_schema(operation_id="jobs_retrieve", responses=JobOutputSerializer)
    def get(self, request, job_id):
        job = _get_job_or_404(request, job_id)
        return Response(JobOutputSerializer(job, context={"request": request}).data)

    @extend_schema(operation_id="jobs_destroy", responses={204: None, 400: ErrorSerializer},
                   description="Deletes the analysis for good, with its upload and outputs; a running one stops.")
    def delete(self, request, job_id):
        services.analysis_jobs_delete([_get_job_or_404(request, job_id)])
        return Response(status=status.HTTP_204_NO_CONTENT)


class FileApi(APIView):
    """An endpoint that answers a file (image, video, CSV). DRF chooses how to answer from its JSON
    renderers before the view runs, and refused `Accept: text/csv` or `image/jpeg` with 406: here
    the file goes out whatever the client accepts, and an error as JSON."""

    def perform_content_negotiation(self, request, force=False):
        return super().perform_content_negotiation(request, force=True)


class JobAnnotatedImageApi(FileApi):
    """The annotated JPEG, behind the same ownership check as the job itself."""

    @extend_schema(operation_id="jobs_annotated_image", responses={(200, "image/jpeg"): OpenApiTypes.BINARY})
    def get(self, request, job_id):
        job = _get_job_or_404(request, job_id)
        if not job.annotated_file or job.has_timeline:
            raise Http404("This job has no annotated image.")
        return annotated_image_response(job)


class _JobVideoFileApi(FileApi):
    """A video job's output, behind the job's ownership check; 404 until the whole video succeeded."""

    file_name = None

    def get(self, request, job_id):
        job = _get_job_or_404(request, job_id)
        return serve_job_file(request, job, self.file_name)


class JobAnnotatedVideoApi(_JobVideoFileApi):
    """The annotated H.264 MP4. Honours `Range: bytes=...` (206 Partial Content) so players can seek."""

    file_name = "annotated_video"

    @extend_schema(
        operation_id="jobs_annotated_video",
        responses={(200, "video/mp4"): OpenApiTypes.BINARY, (206, "video/mp4"): OpenApiTypes.BINARY},
    )
    def get(self, request, job_id):
        return super().get(request, job_id)


class JobTimelineCsvApi(_JobVideoFileApi):
    """One row per face per frame: time_s,frame,track_id,x,y,w,h and the seven probabilities."""

    file_name = "timeline_csv"

    @extend_schema(operation_id="jobs_timeline_csv", responses={(200, "text/csv"): OpenApiTypes.STR})
    def get(self, request, job_id):
        return super().get(request, job_id)


class JobTimelineJsonApi(_JobVideoFileApi):
    """The same per-frame timeline as JSON."""

    file_name = "timeline_json"

    @extend_schema(operation_id="jobs_timeline_json", responses={(200, "application/json"): OpenApiTypes.OBJECT})
    def get(self, request, job_id):
        return super().get(request, job_id)


class AuthTokenApi(ObtainAuthToken):
    """The account's API token for its username and password; 429 with the reason for an address
    refused for failing too often (the password is then not even checked)."""

    # ObtainAuthToken's own list has DRF's JSONParser, without the size limit and the nesting check.
    parser_classes = [SizeLimitedJSONParser, FormParser, MultiPartParser]

    @extend_schema(operation_id="auth_token_create", auth=[], request=AuthTokenSerializer,
                   responses={200: inline_serializer("AuthToken", {"token": drf_serializers.CharField()}),
                              400: ErrorSerializer, 429: ErrorSerializer})
    def post(self, request, *args, **kwargs):
        fields = request.data if isinstance(request.data, Mapping) else {}  # the serializer words what is wrong
        refusal = services.sign_in_refusal(request, fields.get("username"))
        if refusal:
            raise Throttled(detail=refusal)
        return super().post(request, *args, **kwargs)


class UnknownEndpointApi(APIView):
    """Whatever no API route matches (a mistyped path, an id that is not a UUID) gets a JSON 404, not a web page."""

    authentication_classes = []
    permission_classes = [AllowAny]

    @extend_schema(exclude=True)
    def dispatch_not_found(self, request, *args, **kwargs):
        raise NotFound(f"No API endpoint at {request.path}. Ids are UUIDs (a segment's is a number); "
                       "/api/v1/docs/ lists the endpoints.")

    get = post = put = patch = delete = options = dispatch_not_found


class HttpResponsePermanentRedirectKeepingMethod(HttpResponsePermanentRedirect):
    status_code = 308


class MissingSlashApi(UnknownEndpointApi):
    """An endpoint asked without its trailing slash is sent to it, the method and body kept.

    Django's APPEND_SLASH would answer a POST with a 301, which clients follow as a GET: the
    upload is lost while the client sees a 200 (the job list). 308 makes them send it again.
    """

    @extend_schema(exclude=True)
    def dispatch_to_slashed(self, request, *args, **kwargs):
        slashed = request.path + "/"
        try:
            match = resolve(slashed)
        except Resolver404:
            match = None
        if match is None or match.url_name == "unknown_endpoint":
            return self.dispatch_not_found(request)
        query = request.META.get("QUERY_STRING")
        location = slashed + (f"?{query}" if query else "")
        if request.method in ("GET", "HEAD"):
            return HttpResponsePermanentRedirect(location)
        return HttpResponsePermanentRedirectKeepingMethod(location)

    get = post = put = patch = delete = options = dispatch_to_slashed
