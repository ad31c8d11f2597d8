"""Reads for producers: their campaigns (never anyone else's), and the aggregated reports.

Every object lookup takes the asking user and raises the model's DoesNotExist
for an object that belongs to another producer, exactly as for one that does
not exist, so ids of other people's campaigns reveal nothing.
"""

from collections.abc import Iterator

import numpy as np
from django.db.models import Count, Max, Q, QuerySet

from inference.labels import EMOTIONS
from studies import reports
from studies.consent import SHARING_CONSENT_SINCE
from studies.models import PER_MILLE, Campaign, EmotionSample, Invitation, RecordingPart, Segment, ViewerSession
from studies.report_filters import ReportFilters

VISIBLE_SESSIONS = ~Q(viewer_sessions__status=ViewerSession.Status.WITHDRAWN)


def _campaigns_of(user) -> QuerySet[Campaign]:
    """The user's own campaigns; none for an anonymous user."""
    if user is None or not user.is_authenticated:
        return Campaign.objects.none()
    return Campaign.objects.filter(owner=user)


def campaign_shareable_figures(campaign: Campaign) -> tuple[dict, list[str]]:
    """What a read-only link may show now, and the ids of the viewers behind it: completed viewers who
    read the consent wording that allows sharing averages (studies.reports.shared_figures)."""
    sessions = viewer_sessions_for_campaign(campaign, ReportFilters(), consent_since=SHARING_CONSENT_SINCE)
    report = campaign_report(campaign, ReportFilters(), consent_since=SHARING_CONSENT_SINCE)
    return reports.shared_figures(report), sorted(str(pk) for pk in sessions.values_list("pk", flat=True))


def campaign_get_by_share_token(token: str) -> Campaign:
    """The campaign whose report this read-only link shares; DoesNotExist for an unknown or stopped link."""
    if not token:
        raise Campaign.DoesNotExist("No share token.")
    return Campaign.objects.get(share_token=token)


def campaign_list_for_owner(*, user) -> QuerySet[Campaign]:
    return _campaigns_of(user).annotate(
        viewers_total=Count("viewer_sessions", filter=VISIBLE_SESSIONS, distinct=True),
        viewers_completed=Count("viewer_sessions", filter=Q(viewer_sessions__status=ViewerSession.Status.COMPLETED),
                                distinct=True),
        segment_count=Count("segments", distinct=True),
    ).order_by("-created_at")


def campaign_get_for_owner(*, user, campaign_id) -> Campaign:
    return _campaigns_of(user).get(pk=campaign_id)


def segment_get_for_owner(*, user, segment_id) -> Segment:
    return Segment.objects.select_related("campaign").get(pk=segment_id, campaign__in=_campaigns_of(user))


def viewer_recording_parts(session: ViewerSession) -> list[RecordingPart]:
    """The viewer's webcam recording, part by part in the order recorded (a part per visit to the ad)."""
    return list(session.recording_parts.filter(size__gt=0).order_by("created_at"))


def invitation_get_for_owner(*, user, invitation_id) -> Invitation:
    return Invitation.objects.select_related("campaign").get(
        pk=invitation_id, campaign__in=_campaigns_of(user))


def viewer_session_get_for_owner(*, user, session_id) -> ViewerSession:
    return ViewerSession.objects.select_related("campaign").get(
        pk=session_id, campaign__in=_campaigns_of(user))


def _with_viewer_counts(invitations: QuerySet[Invitation]) -> QuerySet[Invitation]:
    return invitations.annotate(viewers=Count("viewer_sessions", filter=VISIBLE_SESSIONS))


def invitation_viewer_count(invitation: Invitation) -> int:
    """As invitations_with_counts counts, for one invitation."""
    return _with_viewer_counts(Invitation.objects.filter(pk=invitation.pk)).values_list("viewers", flat=True).get()


def invitations_with_counts(campaign: Campaign) -> QuerySet[Invitation]:
    return _with_viewer_counts(campaign.invitations.all())


def invitation_get_by_token(token: str) -> Invitation | None:
    return Invitation.objects.select_related("campaign").filter(token=token).first()


def viewer_sessions_listed(campaign: Campaign, *, status: str | None = None) -> QuerySet[ViewerSession]:
    """Every session of the campaign, withdrawn ones included (their consent record stays), newest first."""
    sessions = campaign.viewer_sessions.order_by("-started_at", "-pk")
    return sessions.filter(status=status) if status else sessions


def viewer_sessions_for_campaign(campaign: Campaign, filters: ReportFilters | None = None, *,
                                 consent_since: str | None = None) -> QuerySet[ViewerSession]:
    """Sessions whose data may be reported: never withdrawn or purged ones; those `filters` keep
    (without: every one); with `consent_since`, only those whose viewer read that consent wording or a
    later one."""
    sessions = campaign.viewer_sessions.exclude(status=ViewerSession.Status.WITHDRAWN).filter(
        data_purged_at__isnull=True)
    if consent_since:
        sessions = sessions.filter(consent_version__gte=consent_since)
    if filters is None:
        return sessions
    if filters.completed_only:
        sessions = sessions.filter(status=ViewerSession.Status.COMPLETED)
    if filters.min_face_share > 0:
        sessions = sessions.filter(face_visible_share__gte=filters.min_face_share)
    if filters.age_band:
        sessions = sessions.filter(self_report_age=_stored_answer(filters.age_band))
    if filters.gender:
        sessions = sessions.filter(self_report_gender=_stored_answer(filters.gender))
    return sessions


def _stored_answer(picked: str) -> str:
    """A report filter's answer as the session stores it ("" for NOT_GIVEN)."""
    return "" if picked == ViewerSession.NOT_GIVEN else picked


def report_viewers(campaign: Campaign, filters: ReportFilters = ReportFilters(), *, limit: int = 200) -> dict:
    """The viewers behind `campaign_report` with the same filters (newest first), and apart from them the
    reportable viewers the filters leave out, each with why, so the per-viewer table never lists someone
    the report's figures do not include as if they were in it."""
    included = viewer_sessions_for_campaign(campaign, filters)
    left_out = viewer_sessions_for_campaign(campaign).exclude(pk__in=included.values("pk"))
    return {
        "in_report": list(included.order_by("-started_at")[:limit]),
        "left_out": [{"session": session, "reason": _left_out_because(session, filters)}
                     for session in left_out.order_by("-started_at")[:limit]],
        "left_out_count": left_out.count(),
    }


def _left_out_because(session: ViewerSession, filters: ReportFilters) -> str:
    """Which of viewer_sessions_for_campaign's filters leaves this session out, in words."""
    if filters.completed_only and session.status != ViewerSession.Status.COMPLETED:
        return session.get_status_display().lower()
    if filters.age_band and session.self_report_age != _stored_answer(filters.age_band):
        return "age: " + (session.get_self_report_age_display() or "not given")
    if filters.gender and session.self_report_gender != _stored_answer(filters.gender):
        return "gender: " + (session.get_self_report_gender_display() or "not given")
    if session.face_visible_share is None:
        return "face visible: not measured"
    return f"face visible under {100 * filters.min_face_share:.0f} %"


def session_rollup(session: ViewerSession) -> np.ndarray:
    """The session's samples summed per 250 ms of the ad: the stored rollup, or computed now."""
    bins = reports.bin_count(session.campaign.ad_duration_s)
    if session.rollup is not None:
        return reports.rollup_from_bytes(session.rollup, bins)
    rows = np.array(EmotionSample.objects.filter(session=session).values_list("t_ms", "face", *EMOTIONS),
                    dtype=np.float64).reshape(-1, 2 + len(EMOTIONS))
    return reports.rollup(rows[:, 0].astype(np.int64), rows[:, 1] > 0, rows[:, 2:] / PER_MILLE,
                          session.campaign.ad_duration_s)


def segment_specs(campaign: Campaign) -> list[reports.SegmentSpec]:
    return [reports.SegmentSpec(id=s.id, name=s.name, start_s=s.start_s, end_s=s.end_s,
                                expected=tuple(s.expected_emotions)) for s in campaign.segments.all()]


def campaign_report(campaign: Campaign, filters: ReportFilters = ReportFilters(), *,
                    consent_since: str | None = None) -> dict:
    """Curves across viewers with 95 % bands, overall means, and a verdict per segment (studies.reports)
    over the viewers `filters` keep; `audience`: how many viewers gave each age band and gender (_audience)."""
    sessions = list(
        viewer_sessions_for_campaign(campaign, filters, consent_since=consent_since)
        .select_related("campaign").only("id", "campaign", "rollup", "status")
    )
    bins = reports.bin_count(campaign.ad_duration_s)
    rollups = (np.stack([session_rollup(session) for session in sessions]) if sessions
               else np.zeros((0, bins, reports.ROLLUP_COLUMNS), np.float32))
    report = reports.build_report(rollups, segment_specs(campaign))
    report["campaign"] = campaign_summary(campaign)
    report["filters"] = filters.as_dict()
    report["audience"] = _audience(campaign, filters, consent_since)
    report["sessions"] = _session_counts(campaign)
    return report


def _audience(campaign: Campaign, filters: ReportFilters, consent_since: str | None) -> dict:
    """Viewers per answer to the consent page's optional questions, every answer listed (0 included),
    "" for those who preferred not to say. Each question's counts follow every filter but its own, so
    that picking an answer narrows the report to the viewers its count promised."""
    audience = {}
    for key, field, choices in (("age_band", "self_report_age", ViewerSession.AgeBand),
                                ("gender", "self_report_gender", ViewerSession.Gender)):
        sessions = viewer_sessions_for_campaign(campaign, filters.any_answer_to(key), consent_since=consent_since)
        counts = dict(sessions.order_by().values_list(field).annotate(n=Count("id")))
        audience[key] = {value: counts.get(value, 0) for value in [*choices.values, ""]}
    return audience


def campaign_samples(campaign: Campaign,
                     filters: ReportFilters = ReportFilters()) -> Iterator[tuple[ViewerSession, list[tuple]]]:
    """Each viewer of the report with the same filters (in the order they started), with their samples:
    (t_ms, face, detection, the seven emotions), all in thousandths, by time in the ad. One query per
    viewer, made as the caller reaches them, so an export of a large campaign is sent as it is read."""
    sessions = list(viewer_sessions_for_campaign(campaign, filters).order_by("started_at", "pk").only(
        "id", "viewer_id", "status", "self_report_age", "self_report_gender"))
    for session in sessions:
        yield session, list(EmotionSample.objects.filter(session=session).order_by("t_ms", "pk")
                            .values_list("t_ms", "face", "detection", *EMOTIONS))


def _session_counts(campaign: Campaign) -> dict:
    """Viewers by status, and apart from them those whose data the retention period deleted
    (`purged`), so that no count includes viewers the report can no longer show."""
    purged = Q(data_purged_at__isnull=False) & ~Q(status=ViewerSession.Status.WITHDRAWN)
    return campaign.viewer_sessions.aggregate(
        **{status: Count("id", filter=Q(status=status) & ~purged) for status in ViewerSession.Status.values},
        purged=Count("id", filter=purged))


def viewer_report(session: ViewerSession) -> dict:
    """One viewer's curves and segment figures, for the drill-down."""
    rollup = session_rollup(session)
    report = reports.build_report(rollup[None], segment_specs(session.campaign))
    report["campaign"] = campaign_summary(session.campaign)
    report["viewer"] = {
        "id": str(session.id), "viewer_id": session.viewer_id, "status": session.status,
        "samples": session.sample_count, "ad_coverage": reports.ad_coverage(rollup),
        "face_visible_share": session.face_visible_share,
        "mean_detection_confidence": session.mean_detection_confidence, "is_demo": session.is_demo,
        "started_at": session.started_at.isoformat(),
    }
    return report


def campaign_summary(campaign: Campaign) -> dict:
    return {"id": str(campaign.id), "name": campaign.name, "brand": campaign.brand, "status": campaign.status,
            "ad_duration_s": campaign.ad_duration_s, "is_demo": campaign.is_demo}


def viewer_session_for_capture(session_id) -> ViewerSession | None:
    """The session a viewer's own page works with (access is checked by studies.viewer_access)."""
    return ViewerSession.objects.select_related("campaign").filter(pk=session_id).first()


def viewer_session_sample_times(session: ViewerSession, start_ms: int, end_ms: int) -> list[int]:
    """The ad times (ms) of the session's stored samples from start_ms to end_ms, sorted."""
    return list(EmotionSample.objects.filter(session=session, t_ms__gte=start_ms, t_ms__lte=end_ms)
                .order_by("t_ms").values_list("t_ms", flat=True))


def viewer_session_furthest_ms(session: ViewerSession) -> int | None:
    """How far into the ad this viewer has got: the latest ad time with a stored sample (None: none yet).

    The ad plays once per session, so this is where a viewer who left the watch page and came
    back continues.
    """
    return EmotionSample.objects.filter(session=session).aggregate(furthest=Max("t_ms"))["furthest"]
