"""Ad-testing API: producers manage campaigns and read reports; viewers' clients join and send samples.

Producer endpoints need a token or session and see only the producer's own
objects (another producer's ids answer 404). Viewer endpoints need no account:
joining takes an invitation token and the consent, and the session's other
endpoints take the `X-Viewer-Token` header that joining returned.
"""

import math
import secrets
from functools import partial

from django.http import Http404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.pagination import PageNumberPagination
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from studies import selectors, services
from studies.api.campaign_serializers import (
    CampaignCreateSerializer,
    CampaignSerializer,
    CampaignUpdateSerializer,
    InvitationSerializer,
    JoinedSerializer,
    JoinSerializer,
    SamplesInSerializer,
    SegmentSerializer,
    SegmentUpdateSerializer,
    StoredSerializer,
    ViewerSessionSerializer,
)
from studies.api.parsers import SizeLimitedJSONParser
from studies.api.serializers import PAGE_PARAMETER, ErrorSerializer, paginated
from studies.api.views import FileApi
from studies.campaign_views import samples_csv_response
from studies.models import Campaign, Invitation, Segment, ViewerSession
from studies.rate_limits import client_address
from studies.report_filters import ReportFilters

REPORT_PARAMETERS = [
    OpenApiParameter("include_unfinished", OpenApiTypes.BOOL, description="also viewers who did not finish"),
    OpenApiParameter("min_face", {"type": "number", "minimum": 0, "maximum": 1},
                     description="only viewers whose face was visible this share of the time (0..1)"),
    OpenApiParameter("age_band", OpenApiTypes.STR, enum=[*ViewerSession.AgeBand.values, ViewerSession.NOT_GIVEN],
                     description="only viewers who gave this age band on the consent page (not_given: no answer)"),
    OpenApiParameter("gender", OpenApiTypes.STR, enum=[*ViewerSession.Gender.values, ViewerSession.NOT_GIVEN],
                     description="only viewers who gave this answer for gender on the consent page "
                                 "(not_given: no answer)"),
]


def _owned(lookup, model, **ids):
    try:
        return lookup(**ids)
    except (model.DoesNotExist, ValueError):
        raise Http404(f"No such {model._meta.verbose_name}.") from None


def _campaign(request, campaign_id) -> Campaign:
    return _owned(selectors.campaign_get_for_owner, Campaign, user=request.user, campaign_id=campaign_id)


def _campaign_output(request, campaign_id) -> dict:
    """The campaign as the list shows it, viewer counts included (they come from the list's query); 404
    for another producer's."""
    counted = _owned(lambda: selectors.campaign_list_for_owner(user=request.user).get(pk=campaign_id), Campaign)
    return CampaignSerializer(counted, context={"request": request}).data


def _created(request, input_serializer, create, output) -> Response:
    """Validate the body, call the `create` service, answer 201 with `output(object)` (errors: studies.api.errors)."""
    serializer = input_serializer(data=request.data)
    serializer.is_valid(raise_exception=True)
    return Response(output(create(**serializer.validated_data)), status=status.HTTP_201_CREATED)


class CampaignListCreateApi(APIView):
    parser_classes = [MultiPartParser, FormParser]

    @extend_schema(operation_id="campaigns_list", responses=paginated(CampaignSerializer, "PaginatedCampaignList"),
                   parameters=[PAGE_PARAMETER])
    def get(self, request):
        paginator = PageNumberPagination()
        page = paginator.paginate_queryset(selectors.campaign_list_for_owner(user=request.user), request, view=self)
        return paginator.get_paginated_response(CampaignSerializer(page, many=True, context={"request": request}).data)

    @extend_schema(operation_id="campaigns_create", request={"multipart/form-data": CampaignCreateSerializer},
                   responses={201: CampaignSerializer, 400: ErrorSerializer})
    def post(self, request):
        return _created(request, CampaignCreateSerializer, partial(services.campaign_create, owner=request.user),
                        lambda campaign: _campaign_output(request, campaign.pk))


class CampaignDetailApi(APIView):
    parser_classes = [MultiPartParser, FormParser, SizeLimitedJSONParser]

    @extend_schema(operation_id="campaigns_retrieve", responses=CampaignSerializer)
    def get(self, request, campaign_id):
        return Response(_campaign_output(request, campaign_id))

    @extend_schema(operation_id="campaigns_update", request=CampaignUpdateSerializer,
                   responses={200: CampaignSerializer, 400: ErrorSerializer})
    def patch(self, request, campaign_id):
        campaign = _campaign(request, campaign_id)
        serializer = CampaignUpdateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        services.campaign_update(campaign, ad_video=data.pop("ad_video", None), **data)
        return Response(_campaign_output(request, campaign.pk))

    @extend_schema(operation_id="campaigns_destroy", responses={204: None})
    def delete(self, request, campaign_id):
        services.campaign_delete(_campaign(request, campaign_id))
        return Response(status=status.HTTP_204_NO_CONTENT)


class SegmentListCreateApi(APIView):
    @extend_schema(operation_id="campaign_segments_list", responses=SegmentSerializer(many=True))
    def get(self, request, campaign_id):
        return Response(SegmentSerializer(_campaign(request, campaign_id).segments.all(), many=True).data)

    @extend_schema(operation_id="campaign_segments_create", request=SegmentSerializer,
                   responses={201: SegmentSerializer, 400: ErrorSerializer})
    def post(self, request, campaign_id):
        campaign = _campaign(request, campaign_id)
        return _created(request, SegmentSerializer, partial(services.segment_create, campaign),
                        lambda segment: SegmentSerializer(segment).data)


class SegmentDetailApi(APIView):
    def _segment(self, request, segment_id) -> Segment:
        return _owned(selectors.segment_get_for_owner, Segment, user=request.user, segment_id=segment_id)

    @extend_schema(operation_id="segments_retrieve", responses=SegmentSerializer)
    def get(self, request, segment_id):
        return Response(SegmentSerializer(self._segment(request, segment_id)).data)

    @extend_schema(operation_id="segments_update", request=SegmentUpdateSerializer,
                   responses={200: SegmentSerializer, 400: ErrorSerializer})
    def patch(self, request, segment_id):
        segment = self._segment(request, segment_id)
        serializer = SegmentUpdateSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        services.segment_update(segment, **serializer.validated_data)
        return Response(SegmentSerializer(segment).data)

    @extend_schema(operation_id="segments_destroy", responses={204: None})
    def delete(self, request, segment_id):
        services.segment_delete(self._segment(request, segment_id))
        return Response(status=status.HTTP_204_NO_CONTENT)


class InvitationListCreateApi(APIView):
    @extend_schema(operation_id="campaign_invitations_list", responses=InvitationSerializer(many=True))
    def get(self, request, campaign_id):
        invitations = selectors.invitations_with_counts(_campaign(request, campaign_id))
        return Response(InvitationSerializer(invitations, many=True, context={"request": request}).data)

    @extend_schema(operation_id="campaign_invitations_create", request=InvitationSerializer,
                   responses={201: InvitationSerializer, 400: ErrorSerializer})
    def post(self, request, campaign_id):
        campaign = _campaign(request, campaign_id)
        return _created(request, InvitationSerializer, partial(services.invitation_create, campaign),
                        lambda invitation: InvitationSerializer(invitation, context={"request": request}).data)


def _invitation(request, invitation_id) -> Invitation:
    return _owned(selectors.invitation_get_for_owner, Invitation, user=request.user, invitation_id=invitation_id)


class InvitationDetailApi(APIView):
    @extend_schema(operation_id="invitations_retrieve", responses=InvitationSerializer)
    def get(self, request, invitation_id):
        return Response(InvitationSerializer(_invitation(request, invitation_id), context={"request": request}).data)


class InvitationRevokeApi(APIView):
    @extend_schema(operation_id="invitations_revoke", request=None, responses=InvitationSerializer)
    def post(self, request, invitation_id):
        invitation = _invitation(request, invitation_id)
        services.invitation_revoke(invitation)
        return Response(InvitationSerializer(invitation, context={"request": request}).data)


class ViewerSessionFilterSerializer(serializers.Serializer):
    # An unknown status is refused: an empty list would read as "no such viewers".
    status = serializers.ChoiceField(choices=ViewerSession.Status.values, required=False)


class ViewerSessionListApi(APIView):
    @extend_schema(operation_id="campaign_viewer_sessions_list",
                   responses=paginated(ViewerSessionSerializer, "PaginatedViewerSessionList"),
                   parameters=[OpenApiParameter("status", OpenApiTypes.STR, enum=ViewerSession.Status.values),
                               PAGE_PARAMETER])
    def get(self, request, campaign_id):
        campaign = _campaign(request, campaign_id)
        filters = ViewerSessionFilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        sessions = selectors.viewer_sessions_listed(campaign, status=filters.validated_data.get("status"))
        paginator = PageNumberPagination()
        page = paginator.paginate_queryset(sessions, request, view=self)
        return paginator.get_paginated_response(ViewerSessionSerializer(page, many=True).data)


def _viewer_session(request, session_id) -> ViewerSession:
    return _owned(selectors.viewer_session_get_for_owner, ViewerSession, user=request.user, session_id=session_id)


class ViewerSessionDetailApi(APIView):
    @extend_schema(operation_id="viewer_sessions_retrieve", responses=ViewerSessionSerializer)
    def get(self, request, session_id):
        return Response(ViewerSessionSerializer(_viewer_session(request, session_id)).data)

    @extend_schema(operation_id="viewer_sessions_erase", responses={204: None},
                   description="Erasure: the session, its samples and any recording are deleted for good.")
    def delete(self, request, session_id):
        services.viewer_session_erase(_viewer_session(request, session_id))
        return Response(status=status.HTTP_204_NO_CONTENT)


class ReportFilterSerializer(serializers.Serializer):
    # Refused when malformed: a report silently computed over other viewers than asked for misleads.
    include_unfinished = serializers.BooleanField(required=False, default=False)
    min_face = serializers.FloatField(required=False, default=0.0, min_value=0.0, max_value=1.0)
    age_band = serializers.ChoiceField(choices=[*ViewerSession.AgeBand.values, ViewerSession.NOT_GIVEN],
                                       required=False, allow_blank=True, default="")
    gender = serializers.ChoiceField(choices=[*ViewerSession.Gender.values, ViewerSession.NOT_GIVEN],
                                     required=False, allow_blank=True, default="")

    def validate_min_face(self, value):
        if math.isnan(value):  # passes both bounds
            raise serializers.ValidationError("A share of the time from 0 to 1, e.g. 0.8.")
        return value


def _report_filters(request) -> ReportFilters:
    asked = ReportFilterSerializer(data=request.query_params)
    asked.is_valid(raise_exception=True)
    chosen = asked.validated_data
    return ReportFilters(completed_only=not chosen["include_unfinished"], min_face_share=chosen["min_face"],
                         age_band=chosen["age_band"], gender=chosen["gender"])


class CampaignReportApi(APIView):
    @extend_schema(operation_id="campaigns_report", parameters=REPORT_PARAMETERS, responses=OpenApiTypes.OBJECT,
                   description="Curves across viewers (percent, 95 % band) per 250 ms, overall means, and per "
                               "segment: means, dominant emotion, lift over each viewer's own baseline with its "
                               "95 % CI, and the verdict (met, not_met, unclear, too_few_viewers); `moments`: the key "
                               "moments found without segments (per emotion, the 2 s of clearest rise over "
                               "viewers' own level, and the attention dip).")
    def get(self, request, campaign_id):
        return Response(selectors.campaign_report(_campaign(request, campaign_id), _report_filters(request)))


class CampaignSamplesCsvApi(FileApi):
    @extend_schema(operation_id="campaigns_samples_csv", parameters=REPORT_PARAMETERS,
                   responses={(200, "text/csv"): OpenApiTypes.STR},
                   description="Every sample of every viewer in the report (same filters), a row each: viewer, "
                               "status, age_band, gender, time_s, face_visible (0/1), detection_pct and the seven "
                               "emotions in percent (`happy_pct`, ...); viewers in the order they started.")
    def get(self, request, campaign_id):
        return samples_csv_response(request, _campaign(request, campaign_id), _report_filters(request))


class ViewerReportApi(APIView):
    @extend_schema(operation_id="viewer_sessions_report", responses=OpenApiTypes.OBJECT)
    def get(self, request, session_id):
        return Response(selectors.viewer_report(_viewer_session(request, session_id)))


# Viewer endpoints (no account) ---------------------------------------------------------------------


class JoinApi(APIView):
    """Join a campaign through an invitation, giving consent; returns the session and its ingest token."""

    permission_classes = [AllowAny]
    authentication_classes = []

    @extend_schema(operation_id="viewer_join", request=JoinSerializer,
                   responses={201: JoinedSerializer, 403: ErrorSerializer, 400: ErrorSerializer,
                              429: ErrorSerializer})
    def post(self, request, token):
        serializer = JoinSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        session = services.viewer_session_start(
            invitation_token=token, consent=services.Consent(**serializer.validated_data),
            user_agent=request.headers.get("User-Agent", ""), client_address=client_address(request))
        return Response({"session_id": session.id, "viewer_id": session.viewer_id, "ingest_token": session.ingest_token,
                         "consent_version": session.consent_version,
                         "ad_duration_s": session.campaign.ad_duration_s}, status=status.HTTP_201_CREATED)


def _viewer_own_session(request, session_id) -> ViewerSession:
    """The session whose X-Viewer-Token the request carries; 404 for anything else."""
    session = selectors.viewer_session_for_capture(session_id)
    token = request.headers.get("X-Viewer-Token", "")
    if session is None or not token or not secrets.compare_digest(token, session.ingest_token):
        raise Http404("No such viewer session, or the X-Viewer-Token does not match.")
    return session


VIEWER_TOKEN = OpenApiParameter("X-Viewer-Token", OpenApiTypes.STR, OpenApiParameter.HEADER, required=True)


class SampleIngestApi(APIView):
    """Samples computed by the viewer's own client (the web page sends frames over /ws/viewer/ instead)."""

    permission_classes = [AllowAny]
    authentication_classes = []
    parser_classes = [SizeLimitedJSONParser]  # a list of objects: no form can carry it

    @extend_schema(operation_id="viewer_samples_create", parameters=[VIEWER_TOKEN], request=SamplesInSerializer,
                   responses={201: StoredSerializer, 400: ErrorSerializer, 403: ErrorSerializer})
    def post(self, request, session_id):
        session = _viewer_own_session(request, session_id)
        serializer = SamplesInSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        samples = [services.Sample.from_named_probabilities(
            item["t_ms"], face=item["face"], detection=item.get("detection", 0.0),
            probabilities=item.get("probabilities"), number=number)
            for number, item in enumerate(serializer.validated_data["samples"])]
        stored = services.viewer_samples_add(session, samples, batch_id=serializer.validated_data.get("batch_id"))
        return Response({"stored": stored}, status=status.HTTP_201_CREATED)


class ViewerFinishApi(APIView):
    permission_classes = [AllowAny]
    authentication_classes = []

    @extend_schema(operation_id="viewer_finish", parameters=[VIEWER_TOKEN], request=None,
                   responses=ViewerSessionSerializer)
    def post(self, request, session_id):
        session = services.viewer_session_finish(_viewer_own_session(request, session_id))
        return Response(ViewerSessionSerializer(session).data)


class ViewerWithdrawApi(APIView):
    permission_classes = [AllowAny]
    authentication_classes = []

    @extend_schema(operation_id="viewer_withdraw", parameters=[VIEWER_TOKEN], request=None,
                   responses=ViewerSessionSerializer,
                   description="Deletes every sample and any recording of the session; the consent record stays.")
    def post(self, request, session_id):
        session = services.viewer_session_withdraw(_viewer_own_session(request, session_id))
        return Response(ViewerSessionSerializer(session).data)
