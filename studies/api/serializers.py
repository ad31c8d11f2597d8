"""Input and output shapes of the jobs API."""

from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema_field, inline_serializer
from rest_framework import serializers

from studies.models import AnalysisJob

PAGE_PARAMETER = OpenApiParameter("page", OpenApiTypes.INT, description="Which page of 20 items (default 1).")


def paginated(item_serializer: type[serializers.Serializer], name: str) -> serializers.Serializer:
    """The page PageNumberPagination answers, for the schema: list views paginate by hand, which
    drf-spectacular cannot see."""
    return inline_serializer(name=name, fields={
        "count": serializers.IntegerField(help_text="items on every page together"),
        "next": serializers.URLField(allow_null=True, help_text="the next page, or null on the last"),
        "previous": serializers.URLField(allow_null=True, help_text="the previous page, or null on the first"),
        "results": item_serializer(many=True),
    })


class JobCreateInputSerializer(serializers.Serializer):
    # Empty files pass here so the content check reports them in its own words.
    file = serializers.FileField(
        allow_empty_file=True,
        help_text="A PNG, JPEG, BMP or WebP image, or an MP4, MOV, AVI, MKV or WebM video; "
        "the kind is judged from the content.",
    )

    def validate(self, attrs):
        # A second `file` part would otherwise be dropped without a word (the last one wins).
        if len(self.initial_data.getlist("file")) > 1:
            raise serializers.ValidationError({"file": "One file per request: send each file in a request of its own."})
        return attrs


def _with_probabilities_in_class_order(result: dict | None) -> dict | None:
    """PostgreSQL's jsonb does not keep key order; clients get the canonical class order back."""
    if not result:
        return result
    from inference.labels import EMOTIONS

    faces = []
    for face in result.get("faces", []):
        probabilities = face.get("probabilities", {})
        ordered = {name: probabilities[name] for name in EMOTIONS if name in probabilities}
        faces.append({**face, "probabilities": {**ordered, **probabilities}})
    return {**result, "faces": faces}


class ProgressDetailSerializer(serializers.Serializer):
    """Videos only, while and after they run."""

    frames_done = serializers.IntegerField()
    frames_total = serializers.IntegerField(allow_null=True)
    frames_per_s = serializers.FloatField(required=False)
    seconds_left = serializers.FloatField(allow_null=True, required=False)


class AbsoluteUrlMixin:
    """Links come out absolute when the request is in the serializer's context, else as paths."""

    def _absolute(self, path: str) -> str:
        request = self.context.get("request")
        return request.build_absolute_uri(path) if request is not None else path


class JobOutputSerializer(AbsoluteUrlMixin, serializers.ModelSerializer):
    url = serializers.SerializerMethodField()
    web_url = serializers.SerializerMethodField()
    websocket_path = serializers.SerializerMethodField()
    annotated_image_url = serializers.SerializerMethodField()
    annotated_video_url = serializers.SerializerMethodField()
    timeline_csv_url = serializers.SerializerMethodField()
    timeline_json_url = serializers.SerializerMethodField()
    progress_detail = serializers.SerializerMethodField()
    face_count = serializers.IntegerField(
        read_only=True, allow_null=True, help_text="Faces in an image; face tracks (people) in a video."
    )
    error = serializers.CharField(source="error_message", read_only=True)
    result = serializers.SerializerMethodField()

    class Meta:
        model = AnalysisJob
        fields = [
            "id",
            "kind",
            "status",
            "progress",
            "progress_detail",
            "original_filename",
            "batch_id",
            "created_at",
            "started_at",
            "finished_at",
            "error",
            "face_count",
            "result",
            "timings_ms",
            "url",
            "web_url",
            "websocket_path",
            "annotated_image_url",
            "annotated_video_url",
            "timeline_csv_url",
            "timeline_json_url",
        ]
        read_only_fields = fields

    def get_url(self, job) -> str:
        return self._absolute(reverse("api:job_detail", args=[job.id]))

    def get_web_url(self, job) -> str:
        return self._absolute(f"/jobs/{job.id}/")

    @extend_schema_field(serializers.JSONField(allow_null=True))
    def get_result(self, job) -> dict | None:
        return _with_probabilities_in_class_order(job.result)

    def get_websocket_path(self, job) -> str:
        return f"/ws/jobs/{job.id}/"

    @extend_schema_field(serializers.URLField(allow_null=True))
    def get_annotated_image_url(self, job) -> str | None:
        if not job.annotated_file or job.has_timeline:
            return None
        return self._absolute(reverse("api:job_annotated_image", args=[job.id]))

    def _video_file_url(self, job, field_name: str, url_name: str) -> str | None:
        # Attached only when the whole video (or live recording) succeeded; nothing partial is offered.
        if not job.has_timeline or job.status != AnalysisJob.Status.SUCCEEDED or not getattr(job, field_name):
            return None
        return self._absolute(reverse(url_name, args=[job.id]))

    @extend_schema_field(serializers.URLField(allow_null=True, help_text="H.264 MP4; supports HTTP Range."))
    def get_annotated_video_url(self, job) -> str | None:
        return self._video_file_url(job, "annotated_file", "api:job_annotated_video")

    @extend_schema_field(serializers.URLField(allow_null=True))
    def get_timeline_csv_url(self, job) -> str | None:
        return self._video_file_url(job, "timeline_csv", "api:job_timeline_csv")

    @extend_schema_field(serializers.URLField(allow_null=True))
    def get_timeline_json_url(self, job) -> str | None:
        return self._video_file_url(job, "timeline_json", "api:job_timeline_json")

    @extend_schema_field(ProgressDetailSerializer(allow_null=True))
    def get_progress_detail(self, job) -> dict | None:
        return job.progress_detail or None


class JobListItemSerializer(JobOutputSerializer):
    """The list leaves out the (large) per-face result; fetch the job for it."""

    class Meta(JobOutputSerializer.Meta):
        fields = [name for name in JobOutputSerializer.Meta.fields if name != "result"]
        read_only_fields = fields


class ErrorSerializer(serializers.Serializer):
    """Every API error (studies.api.errors)."""

    detail = serializers.CharField(help_text="what went wrong, written for a person")
    field = serializers.CharField(allow_null=True, help_text="the input at fault, or null")
    errors = serializers.DictField(help_text="each invalid input's messages, as DRF's validation reports "
                                             "them; empty when no input is at fault")
