"""Writes for producers: campaigns, their segments and invitations.

Every rule that keeps a campaign coherent lives here: segments stay inside the
ad and name known emotions, the ad is a video browsers can play, and an ad
cannot be swapped once viewers have watched it.
"""

import logging
import math
import os
import secrets

from django.db import transaction
from django.utils import timezone

from inference.labels import EMOTIONS
from studies import media_checks
from studies.errors import InvalidInput, UploadRejected
from studies.models import Campaign, Invitation, Segment
from studies.reports import SHARE_MIN_VIEWERS
from studies.selectors import campaigns as selectors
from studies.services.viewing import lock_viewer_sessions

logger = logging.getLogger(__name__)

# What every current browser plays in a <video> element.
BROWSER_VIDEO_CODECS = {"h264", "vp8", "vp9", "av1"}
# A segment may end this far past the ad's measured duration (container durations are rounded).
DURATION_TOLERANCE_S = 0.05
MIN_SEGMENT_S = 0.5  # two of the report's quarter-second bins
CAMPAIGN_FIELDS = ("name", "brand", "description", "status", "retention_days")


def _clean_text(value, field: str, *, required: bool = False, max_length: int | None = None) -> str:
    text = (value or "").strip()
    if required and not text:
        raise InvalidInput(f"The {field.replace('_', ' ')} cannot be empty.", field)
    if max_length and len(text) > max_length:
        raise InvalidInput(f"The {field.replace('_', ' ')} is at most {max_length} characters.", field)
    return text


def _clean_campaign_fields(fields: dict) -> dict:
    unknown = set(fields) - set(CAMPAIGN_FIELDS)
    if unknown:
        raise InvalidInput(f"Unknown campaign field(s): {', '.join(sorted(unknown))}.")
    cleaned = dict(fields)
    if "name" in cleaned:
        cleaned["name"] = _clean_text(cleaned["name"], "name", required=True, max_length=200)
    if "brand" in cleaned:
        cleaned["brand"] = _clean_text(cleaned["brand"], "brand", max_length=200)
    if "description" in cleaned:
        cleaned["description"] = _clean_text(cleaned["description"], "description")
    if "status" in cleaned and cleaned["status"] not in Campaign.Status.values:
        raise InvalidInput(f"The status must be one of {', '.join(Campaign.Status.values)}.", "status")
    if cleaned.get("retention_days") is not None:
        cleaned["retention_days"] = _at_least_one(
            cleaned["retention_days"], "retention_days",
            not_whole="The retention period is a whole number of days.",
            too_small="Keep the data at least 1 day, or leave the retention empty.")
        if cleaned["retention_days"] > Campaign.MAX_RETENTION_DAYS:
            raise InvalidInput(f"Keep the data at most {Campaign.MAX_RETENTION_DAYS:,} days (10 years), or leave the "
                               "retention empty to keep it until you delete it.", "retention_days")
    return cleaned


def _at_least_one(value, field: str, *, not_whole: str, too_small: str) -> int:
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise InvalidInput(not_whole, field) from None
    if number < 1:
        raise InvalidInput(too_small, field)
    return number


def _store_ad_video(campaign: Campaign, uploaded_file) -> None:
    """Check the ad by content, read its duration and frame rate, and attach it."""
    try:
        with media_checks.checked_upload(uploaded_file, expected_kind=media_checks.VIDEO) as checked:
            info = checked.video_info
            if info.codec not in BROWSER_VIDEO_CODECS:
                raise UploadRejected(
                    f"The ad's video codec is {info.codec}, which browsers cannot play to viewers. "
                    "Upload an MP4 (H.264) or a WebM (VP8, VP9 or AV1) version.")
            if info.duration_s <= 0:
                raise UploadRejected("The ad has no duration; upload a complete video file.")
            stored = checked.open_for_storage()
            try:
                campaign.ad_video.save(f"ad.{checked.extension}", stored, save=False)
            finally:
                stored.close()
    except UploadRejected as rejection:
        raise InvalidInput(rejection.message, "ad_video") from None
    campaign.ad_original_filename = os.path.basename(getattr(uploaded_file, "name", "") or "")[:255]
    campaign.ad_duration_s = float(info.duration_s)
    campaign.ad_fps = float(info.fps) if info.fps else None
    campaign.ad_width, campaign.ad_height = int(info.width), int(info.height)


def campaign_create(*, owner, ad_video, **fields) -> Campaign:
    """A new campaign (a draft unless `status` says otherwise); raises InvalidInput."""
    if owner is None or not owner.is_authenticated:
        raise InvalidInput("Sign in as a producer to create campaigns.")
    if ad_video is None:
        raise InvalidInput("Upload the ad video.", "ad_video")
    cleaned = _clean_campaign_fields(fields)
    if "name" not in cleaned:
        raise InvalidInput("The name cannot be empty.", "name")
    campaign = Campaign(owner=owner, **cleaned)
    _store_ad_video(campaign, ad_video)
    try:
        campaign.save()
    except BaseException:
        campaign.ad_video.delete(save=False)
        raise
    logger.info("Campaign %s created by user %s.", campaign.id, owner.pk)
    return campaign


def campaign_update(campaign: Campaign, *, ad_video=None, **fields) -> Campaign:
    """Change details or status; a new ad only while nobody has watched the old one."""
    cleaned = _clean_campaign_fields(fields)
    old_video = None
    if ad_video is not None:
        if campaign.viewer_sessions.exists():
            raise InvalidInput("Viewers have already watched this ad: create a new campaign for another cut, "
                               "so the results stay comparable.", "ad_video")
        old_video = campaign.ad_video.name
        _store_ad_video(campaign, ad_video)
        longest_segment_end = max((s.end_s for s in campaign.segments.all()), default=0.0)
        if longest_segment_end > campaign.ad_duration_s + DURATION_TOLERANCE_S:
            campaign.ad_video.delete(save=False)
            raise InvalidInput(f"The new ad is {campaign.ad_duration_s:.1f} s long but a segment ends at "
                               f"{longest_segment_end:g} s; shorten the segments first.", "ad_video")
    for name, value in cleaned.items():
        setattr(campaign, name, value)
    campaign.save()
    if old_video and old_video != campaign.ad_video.name:
        campaign.ad_video.storage.delete(old_video)
    return campaign


def campaign_delete(campaign: Campaign) -> None:
    """The campaign with everything learned from it: sessions, samples, recordings, the ad."""
    campaign_id = campaign.pk
    with transaction.atomic():
        lock_viewer_sessions(campaign=campaign)  # the files go with their rows on commit: studies.signals
        campaign.delete()
    logger.info("Campaign %s deleted with its data.", campaign_id)


def campaign_share(campaign: Campaign) -> str:
    """A new read-only link to the campaign's report, with its figures frozen now; an earlier link
    stops working. Returns its token.

    It shows averages only (studies.reports.shared_figures), of completed viewers whose consent
    allowed it, and only once there are SHARE_MIN_VIEWERS of them.
    """
    figures, sessions = selectors.campaign_shareable_figures(campaign)
    if figures["viewers"] < SHARE_MIN_VIEWERS:
        raise InvalidInput(f"A report can be shared once {SHARE_MIN_VIEWERS} viewers who agreed to it have watched "
                           f"to the end; so far {_viewers_count(figures['viewers'])}.")
    campaign.share_token = secrets.token_urlsafe(24)
    _freeze_shared_figures(campaign, figures, sessions)
    logger.info("Campaign %s report shared by link, %d viewers.", campaign.pk, figures["viewers"])
    return campaign.share_token


def campaign_share_update(campaign: Campaign) -> None:
    """Show today's viewers on the shared report, once SHARE_MIN_VIEWERS of them changed (came or
    went) since the figures were frozen: two versions of the page then never differ by one person.
    Figures taken down because a viewer in them left (studies.services.viewing._leave_shared_figures)
    follow the same rule, that viewer counting as one."""
    if not campaign.share_token:
        raise InvalidInput("This report is not shared.")
    figures, sessions = selectors.campaign_shareable_figures(campaign)
    changed = len(set(sessions) ^ set(campaign.share_snapshot["sessions"]))
    if changed < SHARE_MIN_VIEWERS:
        raise InvalidInput(f"The shared figures are updated once {SHARE_MIN_VIEWERS} viewers have come or gone "
                           f"since they were frozen; so far {_viewers_count(changed)}.")
    if figures["viewers"] < SHARE_MIN_VIEWERS:
        raise InvalidInput(f"Fewer than {SHARE_MIN_VIEWERS} viewers are left to show; stop sharing instead.")
    _freeze_shared_figures(campaign, figures, sessions)
    logger.info("Campaign %s shared report updated, %d viewers.", campaign.pk, figures["viewers"])


def _viewers_count(count: int) -> str:
    return "none" if count == 0 else f"{count} viewer" + ("" if count == 1 else "s")


def _freeze_shared_figures(campaign: Campaign, figures: dict, sessions: list[str]) -> None:
    campaign.share_snapshot = {"figures": figures, "sessions": sessions}
    campaign.shared_at = timezone.now()
    campaign.save(update_fields=["share_token", "share_snapshot", "shared_at", "updated_at"])


def campaign_unshare(campaign: Campaign) -> None:
    """The campaign's report link stops working, and its frozen figures go."""
    campaign.share_token, campaign.share_snapshot, campaign.shared_at = None, None, None
    campaign.save(update_fields=["share_token", "share_snapshot", "shared_at", "updated_at"])
    logger.info("Campaign %s report no longer shared.", campaign.pk)


def segment_fields_clean(campaign: Campaign, *, name, start_s, end_s, expected_emotions, notes="") -> dict:
    """A segment's fields as they are stored, or InvalidInput naming the field at fault; every way in
    (the campaign page, the API, the admin) goes through it."""
    name = _clean_text(name, "name", required=True, max_length=120)
    try:
        start_s, end_s = float(start_s), float(end_s)
    except (TypeError, ValueError):
        raise InvalidInput("Start and end are times in seconds, e.g. 4.5.", "start_s") from None
    # float() takes "nan" and "inf", which pass every comparison below (or fail it misleadingly).
    for field, value in (("start_s", start_s), ("end_s", end_s)):
        if not math.isfinite(value):
            raise InvalidInput("Start and end are times in seconds, e.g. 4.5.", field)
    if start_s < 0:
        raise InvalidInput("A segment cannot start before the ad (0 s).", "start_s")
    if end_s <= start_s:
        raise InvalidInput("A segment must end after it starts.", "end_s")
    if end_s > campaign.ad_duration_s + DURATION_TOLERANCE_S:
        raise InvalidInput(f"The ad is {campaign.ad_duration_s:.2f} s long; the segment ends at {end_s:g} s.", "end_s")
    end_s = min(end_s, campaign.ad_duration_s)
    # Viewers' scores are kept per quarter second, and a segment is judged against the rest of the ad.
    if end_s - start_s < MIN_SEGMENT_S:
        raise InvalidInput(f"A segment lasts at least {MIN_SEGMENT_S:g} s, so it holds a few moments of every "
                           "viewer's reaction.", "end_s")
    if campaign.ad_duration_s - (end_s - start_s) < MIN_SEGMENT_S:
        raise InvalidInput(f"A segment is judged against the rest of the ad: leave at least {MIN_SEGMENT_S:g} s "
                           "outside it (the report's overall figures cover the whole ad).", "end_s")
    if isinstance(expected_emotions, str):
        expected_emotions = [expected_emotions]
    expected = list(dict.fromkeys(expected_emotions or []))
    if not expected:
        raise InvalidInput("Choose the emotion(s) the segment should evoke.", "expected_emotions")
    unknown = [e for e in expected if e not in EMOTIONS]
    if unknown:
        raise InvalidInput(f"Unknown emotion(s) {', '.join(map(str, unknown))}; choose from {', '.join(EMOTIONS)}.",
                           "expected_emotions")
    return {"name": name, "start_s": round(start_s, 3), "end_s": round(end_s, 3),
            "expected_emotions": [e for e in EMOTIONS if e in expected], "notes": _clean_text(notes, "notes")}


def segment_create(campaign: Campaign, **fields) -> Segment:
    return Segment.objects.create(campaign=campaign, **segment_fields_clean(campaign, **fields))


def segment_update(segment: Segment, **fields) -> Segment:
    current = {"name": segment.name, "start_s": segment.start_s, "end_s": segment.end_s,
               "expected_emotions": segment.expected_emotions, "notes": segment.notes}
    for name, value in segment_fields_clean(segment.campaign, **{**current, **fields}).items():
        setattr(segment, name, value)
    segment.save()
    return segment


def segment_delete(segment: Segment) -> None:
    segment.delete()


def invitation_create(campaign: Campaign, *, label: str = "", expires_at=None, max_viewers=None) -> Invitation:
    if expires_at is not None and expires_at <= timezone.now():
        raise InvalidInput("The expiry must be in the future.", "expires_at")
    if max_viewers is not None:
        max_viewers = _at_least_one(
            max_viewers, "max_viewers",
            not_whole="The maximum number of viewers is a whole number.",
            too_small="Allow at least one viewer, or leave the maximum empty.")
    return Invitation.objects.create(campaign=campaign, label=_clean_text(label, "label", max_length=120),
                                     expires_at=expires_at, max_viewers=max_viewers)


def invitation_revoke(invitation: Invitation) -> Invitation:
    """The link stops admitting new viewers; sessions already started may finish."""
    if invitation.revoked_at is None:
        invitation.revoked_at = timezone.now()
        invitation.save(update_fields=["revoked_at"])
    return invitation
