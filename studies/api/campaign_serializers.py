"""Input and output shapes of the ad-testing API (campaigns, segments, invitations, viewers, samples)."""

from django.urls import reverse
from rest_framework import serializers

from inference.labels import EMOTIONS
from studies import selectors
from studies.api.serializers import AbsoluteUrlMixin
from studies.models import Campaign, Invitation, Segment, ViewerSession


class CampaignSerializer(AbsoluteUrlMixin, serializers.ModelSerializer):
    viewers_total = serializers.IntegerField(read_only=True, required=False)
    viewers_completed = serializers.IntegerField(read_only=True, required=False)
    ad_video_url = serializers.SerializerMethodField()
    report_url = serializers.SerializerMethodField()
    web_url = serializers.SerializerMethodField()

    class Meta:
        model = Campaign
        fields = ["id", "name", "brand", "description", "status", "retention_days", "ad_original_filename",
                  "ad_duration_s", "ad_fps", "ad_width", "ad_height", "is_demo", "created_at", "updated_at",
                  "viewers_total", "viewers_completed", "ad_video_url", "report_url", "web_url"]
        read_only_fields = fields

    def get_ad_video_url(self, campaign) -> str:
        return self._absolute(reverse("studies:campaign_ad_video", args=[campaign.id]))

    def get_report_url(self, campaign) -> str:
        return self._absolute(reverse("api:campaign_report", args=[campaign.id]))

    def get_web_url(self, campaign) -> str:
        return self._absolute(reverse("studies:campaign_report", args=[campaign.id]))


class CampaignCreateSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=200)
    brand = serializers.CharField(max_length=200, required=False, allow_blank=True)
    description = serializers.CharField(required=False, allow_blank=True)
    status = serializers.ChoiceField(choices=Campaign.Status.choices, required=False)
    retention_days = serializers.IntegerField(required=False, allow_null=True, min_value=1,
                                              max_value=Campaign.MAX_RETENTION_DAYS)
    ad_video = serializers.FileField(allow_empty_file=True, help_text="MP4 (H.264) or WebM")


class CampaignUpdateSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=200, required=False)
    brand = serializers.CharField(max_length=200, required=False, allow_blank=True)
    description = serializers.CharField(required=False, allow_blank=True)
    status = serializers.ChoiceField(choices=Campaign.Status.choices, required=False)
    retention_days = serializers.IntegerField(required=False, allow_null=True, min_value=1,
                                              max_value=Campaign.MAX_RETENTION_DAYS)
    ad_video = serializers.FileField(required=False, allow_empty_file=True)


def _expected_emotions_field(**kwargs) -> serializers.ListField:
    return serializers.ListField(child=serializers.ChoiceField(choices=list(EMOTIONS)), min_length=1,
                                 error_messages={"min_length": "Choose the emotion(s) the segment should evoke."},
                                 **kwargs)


class SegmentSerializer(serializers.ModelSerializer):
    expected_emotions = _expected_emotions_field()

    class Meta:
        model = Segment
        fields = ["id", "campaign", "name", "start_s", "end_s", "expected_emotions", "notes"]
        read_only_fields = ["id", "campaign"]
        extra_kwargs = {"notes": {"required": False}}


class SegmentUpdateSerializer(SegmentSerializer):
    class Meta(SegmentSerializer.Meta):
        extra_kwargs = {name: {"required": False} for name in ("name", "start_s", "end_s", "notes")}

    expected_emotions = _expected_emotions_field(required=False)


class InvitationSerializer(AbsoluteUrlMixin, serializers.ModelSerializer):
    link = serializers.SerializerMethodField()
    viewers = serializers.SerializerMethodField()
    is_usable = serializers.SerializerMethodField()

    class Meta:
        model = Invitation
        fields = ["id", "campaign", "token", "label", "expires_at", "max_viewers", "revoked_at", "created_at",
                  "viewers", "is_usable", "link"]
        read_only_fields = ["id", "campaign", "token", "revoked_at", "created_at", "viewers", "is_usable", "link"]
        extra_kwargs = {"label": {"required": False}, "expires_at": {"required": False},
                        "max_viewers": {"required": False}}

    def get_link(self, invitation) -> str:
        return self._absolute(reverse("studies:viewer_consent", args=[invitation.token]))

    def get_viewers(self, invitation) -> int:
        """Who joined through it, withdrawn viewers apart."""
        counted = getattr(invitation, "viewers", None)  # selectors.invitations_with_counts, for lists
        return counted if counted is not None else selectors.invitation_viewer_count(invitation)

    def get_is_usable(self, invitation) -> bool:
        return not invitation.is_revoked and not invitation.is_expired


class ViewerSessionSerializer(serializers.ModelSerializer):
    # "" when the viewer preferred not to say
    self_report_age = serializers.ChoiceField(choices=ViewerSession.AgeBand.choices, allow_blank=True, read_only=True)
    self_report_gender = serializers.ChoiceField(choices=ViewerSession.Gender.choices, allow_blank=True,
                                                 read_only=True)

    class Meta:
        model = ViewerSession
        fields = ["id", "campaign", "invitation", "viewer_id", "status", "consent_version", "consented_at",
                  "consent_analyse_webcam", "consent_keep_recording", "consent_guardian", "self_report_age",
                  "self_report_gender",
                  "user_agent", "started_at", "last_seen_at", "finished_at", "withdrawn_at", "data_purged_at",
                  "sample_count", "face_sample_count", "face_visible_share", "mean_detection_confidence", "is_demo"]
        read_only_fields = fields


class JoinSerializer(serializers.Serializer):
    analyse_webcam = serializers.BooleanField(help_text="Consent to webcam analysis; required to take part.")
    keep_recording = serializers.BooleanField(required=False, default=False)
    guardian_agrees = serializers.BooleanField(
        required=False, default=False,
        help_text="For a viewer under 18 (age_band under_18): a parent or guardian agrees too; required then.")
    age_band = serializers.ChoiceField(choices=ViewerSession.AgeBand.choices, required=False, allow_blank=True,
                                       default="")
    gender = serializers.ChoiceField(choices=ViewerSession.Gender.choices, required=False, allow_blank=True,
                                     default="")


class JoinedSerializer(serializers.Serializer):
    session_id = serializers.UUIDField()
    viewer_id = serializers.CharField()
    ingest_token = serializers.CharField(help_text="Send it as the X-Viewer-Token header of the viewer endpoints.")
    consent_version = serializers.CharField()
    ad_duration_s = serializers.FloatField()


class SampleInSerializer(serializers.Serializer):
    t_ms = serializers.IntegerField(min_value=0, help_text="time in the ad, milliseconds")
    face = serializers.BooleanField()
    probabilities = serializers.DictField(child=serializers.FloatField(), required=False,
                                          help_text=f"with a face: {{{', '.join(EMOTIONS)}}}, each 0..1, summing to 1")
    detection = serializers.FloatField(required=False, default=0.0, min_value=0.0, max_value=1.0)


class SamplesInSerializer(serializers.Serializer):
    batch_id = serializers.UUIDField(required=False, allow_null=True,
                                     help_text="Client-made id: a batch sent twice is stored once.")
    samples = SampleInSerializer(many=True)


class StoredSerializer(serializers.Serializer):
    stored = serializers.IntegerField()
