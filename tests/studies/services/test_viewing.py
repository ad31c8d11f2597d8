"""Viewers: consent before capture, samples, finishing, withdrawal, erasure, retention, recordings."""

import threading
import time
import uuid
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection, transaction
from django.utils import timezone

from inference.labels import EMOTIONS
from studies import selectors, services
from studies.services import viewing
from studies.errors import InvalidInput, ParticipationRefused, RecordingGap, TooManyAttempts
from studies.models import Campaign, EmotionSample, RecordingPart, ViewerSession
from tests.studies.conftest import WEBM_HEAD, sample_series

pytestmark = pytest.mark.django_db


def test_joining_records_the_consent_given(user, make_campaign):
    campaign = make_campaign(user)
    invitation = services.invitation_create(campaign)
    session = services.viewer_session_start(
        invitation_token=invitation.token, user_agent="Firefox",
        consent=services.Consent(analyse_webcam=True, keep_recording=True, age_band="25_34", gender="woman"))
    assert session.consent_version and session.consented_at <= timezone.now()
    assert (session.consent_analyse_webcam, session.consent_keep_recording) == (True, True)
    assert (session.self_report_age, session.self_report_gender, session.user_agent) == ("25_34", "woman", "Firefox")
    assert session.status == "in_progress" and session.viewer_id.startswith("viewer-") and session.invitation == invitation


def test_one_address_joins_a_study_at_most_sixty_times_an_hour(user, make_campaign):
    campaign, other_study = make_campaign(user), make_campaign(user)
    consent = services.Consent(analyse_webcam=True)

    def join_from(study, address):
        invitation = services.invitation_create(study)
        return services.viewer_session_start(invitation_token=invitation.token, consent=consent,
                                             client_address=address)

    for _ in range(viewing.JOINS_PER_ADDRESS.limit):
        join_from(campaign, "203.0.113.7")
    with pytest.raises(TooManyAttempts, match="Too many viewers joined this study from your network"):
        join_from(campaign, "203.0.113.7")
    join_from(campaign, "198.51.100.2")  # other viewers, and this address in other studies, go on
    join_from(other_study, "203.0.113.7")
    assert ViewerSession.objects.count() == viewing.JOINS_PER_ADDRESS.limit + 2


def test_a_webcam_frames_sample_is_the_largest_face_the_viewer_and_not_whoever_walks_behind():
    from inference.video import TrackedFace

    def face(width, label):
        return TrackedFace(track_id=1, box=(0, 0, width, width), label=label, confidence=0.8, detection_score=0.97,
                           detected=True, probabilities={name: (0.8 if name == label else 0.2 / 6) for name in EMOTIONS})

    sample = services.Sample.from_faces(1200, [face(40, "angry"), face(200, "happy")])
    assert (sample.t_ms, sample.face, sample.detection) == (1200, True, 0.97)
    assert sample.probabilities[EMOTIONS.index("happy")] == 0.8
    assert services.Sample.from_faces(1300, []) == services.Sample(t_ms=1300, face=False)


def test_an_api_sample_names_its_emotions_and_an_unknown_one_is_refused_with_its_place():
    sample = services.Sample.from_named_probabilities(0, face=True, detection=0.9, probabilities={"happy": 0.7,
                                                                                                  "neutral": 0.3})
    assert sample.probabilities == tuple({"happy": 0.7, "neutral": 0.3}.get(name, 0.0) for name in EMOTIONS)
    with pytest.raises(InvalidInput, match="Sample 3: unknown emotion.s. joy"):
        services.Sample.from_named_probabilities(0, face=True, probabilities={"joy": 1.0}, number=3)


def test_no_consent_no_session(user, make_campaign):
    campaign = make_campaign(user)
    invitation = services.invitation_create(campaign)
    with pytest.raises(ParticipationRefused, match="analyse your webcam"):
        services.viewer_session_start(invitation_token=invitation.token,
                                      consent=services.Consent(analyse_webcam=False))
    assert not ViewerSession.objects.exists()


@pytest.mark.parametrize("case, phrase", [
    ("unknown", "not valid"), ("revoked", "withdrawn by the study"), ("expired", "expired"),
    ("draft", "not collecting"), ("full", "all the viewers"),
])
def test_invitations_that_admit_nobody_say_why(user, make_campaign, case, phrase):
    campaign = make_campaign(user, status="draft" if case == "draft" else "collecting")
    invitation = services.invitation_create(campaign, max_viewers=1)
    token = invitation.token
    if case == "unknown":
        token = "no-such-token"
    elif case == "revoked":
        services.invitation_revoke(invitation)
    elif case == "expired":
        invitation.expires_at = timezone.now() - timedelta(seconds=1)
        invitation.save()
    elif case == "full":
        services.viewer_session_start(invitation_token=token, consent=services.Consent(analyse_webcam=True))
    with pytest.raises(ParticipationRefused, match=phrase):
        services.viewer_session_start(invitation_token=token, consent=services.Consent(analyse_webcam=True))


def test_samples_update_the_quality_figures_and_stamp_the_ad_time(user, make_campaign, join):
    session = join(make_campaign(user))
    stored = services.viewer_samples_add(session, sample_series(range(0, 1000, 100), 0.6)
                                         + sample_series([1000, 1100], 0, face=False))
    assert stored == 12
    session.refresh_from_db()
    assert (session.sample_count, session.face_sample_count) == (12, 10)
    assert session.face_visible_share == pytest.approx(10 / 12)
    assert session.mean_detection_confidence == pytest.approx(0.9)
    first = EmotionSample.objects.filter(session=session).order_by("t_ms").first()
    assert first.t_ms == 0 and first.happy == 600 and first.neutral == 400 and first.detection == 900


@pytest.mark.parametrize("sample, phrase", [
    (services.Sample(t_ms=-5, face=False), "t_ms must be"),
    (services.Sample(t_ms=60_000, face=False), "t_ms must be"),
    (services.Sample(t_ms=10, face=True, probabilities=(0.5,) * 7), "add up to 1"),
    (services.Sample(t_ms=10, face=True, probabilities=(1.0,)), "7 probabilities"),
    (services.Sample(t_ms=10, face=True, probabilities=(1.0, 0, 0, 0, 0, 0, 0), detection=3), "detection"),
])
def test_bad_samples_are_refused_and_nothing_is_stored(user, make_campaign, join, sample, phrase):
    session = join(make_campaign(user))
    with pytest.raises(InvalidInput, match=phrase):
        services.viewer_samples_add(session, sample_series([0], 0.5) + [sample])
    assert not EmotionSample.objects.exists()


def test_a_retried_batch_is_stored_once(user, make_campaign, join):
    session = join(make_campaign(user))
    batch_id = uuid.uuid4()
    samples = sample_series(range(0, 500, 100), 0.5)
    assert services.viewer_samples_add(session, samples, batch_id=batch_id) == 5
    assert services.viewer_samples_add(session, samples, batch_id=batch_id) == 5
    assert EmotionSample.objects.filter(session=session).count() == 5


def test_a_replayed_moment_of_the_ad_is_not_stored_again(user, make_campaign, join):
    """The viewer left the watch page at 1.2 s and came back; the page played the ad from 0:00 again."""
    session = join(make_campaign(user))
    assert selectors.viewer_session_furthest_ms(session) is None
    assert services.viewer_samples_add(session, sample_series(range(0, 1300, 100), 0.2)) == 13
    assert selectors.viewer_session_furthest_ms(session) == 1200

    replay = sample_series(range(50, 2050, 100), 0.9)  # 0.05 s to 2.05 s, the first 12 already watched
    assert services.viewer_samples_add(session, replay) == 8
    assert services.viewer_samples_add(session, sample_series([1200, 1950], 0.9)) == 0  # nothing new: no error

    stored = list(EmotionSample.objects.filter(session=session).order_by("t_ms").values_list("t_ms", "happy"))
    assert [t for t, _ in stored] == [*range(0, 1300, 100), *range(1250, 2050, 100)]
    assert all(happy == 200 for t, happy in stored if t <= 1200)  # the first reactions are the ones kept
    session.refresh_from_db()
    assert session.sample_count == session.face_sample_count == 21
    services.viewer_session_finish(session)
    assert selectors.session_rollup(session)[:, 1].sum() == 21


def test_batches_arriving_out_of_order_are_all_kept(user, make_campaign, join):
    """Parallel posts, or a reconnecting page's last second arriving after the new connection's first."""
    session = join(make_campaign(user))
    assert services.viewer_samples_add(session, sample_series([1500, 1600], 0.5)) == 2
    assert services.viewer_samples_add(session, sample_series([0, 100, 200], 0.5)) == 3
    assert services.viewer_samples_add(session, sample_series(range(3000, 4000, 100), 0.5)) == 10
    assert services.viewer_samples_add(session, sample_series(range(2000, 3000, 100), 0.5)) == 10  # between two stored
    assert EmotionSample.objects.filter(session=session).count() == 25


def test_an_ad_time_repeated_in_one_batch_is_stored_once(user, make_campaign, join):
    session = join(make_campaign(user))
    # an API client's batch need not be in order; only the repeat of 100 ms is a moment seen twice
    batch = sample_series([300, 100, 200], 0.4) + sample_series([100], 0.8)
    assert services.viewer_samples_add(session, batch) == 3
    assert sorted(EmotionSample.objects.filter(session=session).values_list("t_ms", "happy")) == [
        (100, 400), (200, 400), (300, 400)]


def test_finishing_closes_capture_and_computes_the_rollup(user, make_campaign, join):
    session = join(make_campaign(user))
    services.viewer_samples_add(session, sample_series(range(0, 2000, 100), 0.7))
    services.viewer_session_finish(session)
    assert session.status == "completed" and session.finished_at and session.rollup
    assert selectors.session_rollup(session)[:, 0].sum() == 20
    with pytest.raises(ParticipationRefused, match="finished"):
        services.viewer_samples_add(session, sample_series([2100], 0.7))


def record(session, data: bytes, *, part=None, offset=0, start_ms=0):
    """Send one recording chunk as the viewer's page does; returns the part."""
    chunk = services.RecordingChunk(part_id=part or uuid.UUID(int=1), offset=offset, starts_at_ms=start_ms,
                                    data=SimpleUploadedFile("webcam.webm", data, content_type="video/webm"))
    return services.viewer_recording_append(session, chunk)


def stored_bytes(part) -> bytes:
    with part.file.open("rb") as handle:
        return handle.read()


def test_withdrawal_deletes_every_sample_and_the_recording(user, make_campaign, join, settings,
                                                          django_capture_on_commit_callbacks):
    session = join(make_campaign(user), keep_recording=True, age_band="25_34", gender="woman")
    services.viewer_samples_add(session, sample_series(range(0, 1000, 100), 0.7))
    record(session, WEBM_HEAD + b"\x00" * 200)
    folder, = {path.parent for path in settings.MEDIA_ROOT.rglob("webcam*")}
    with django_capture_on_commit_callbacks(execute=True):  # the file goes when the deletion commits
        services.viewer_session_withdraw(session)
    session.refresh_from_db()
    assert session.status == "withdrawn" and session.withdrawn_at and session.consent_version  # the consent record stays
    # "Only a note that you consented and then withdrew is kept": nothing they told, nor their browser
    assert (session.self_report_age, session.self_report_gender, session.user_agent) == ("", "", "")
    assert not folder.exists()
    assert not EmotionSample.objects.filter(session=session).exists()
    assert session.sample_count == 0 and not session.rollup and not RecordingPart.objects.exists()
    assert not [path for path in settings.MEDIA_ROOT.rglob("webcam*")]
    with pytest.raises(ParticipationRefused, match="withdrawn"):
        services.viewer_samples_add(session, sample_series([0], 0.5))
    with pytest.raises(ParticipationRefused, match="deleted"):
        record(session, WEBM_HEAD + b"\x00" * 200, part=uuid.uuid4())


def test_a_recording_is_kept_only_with_consent_and_must_be_a_video(user, make_campaign, join):
    campaign = make_campaign(user)
    without = join(campaign)
    with pytest.raises(ParticipationRefused, match="did not agree"):
        record(without, WEBM_HEAD + b"\x00" * 200)
    with_consent = join(campaign, keep_recording=True)
    with pytest.raises(InvalidInput, match="not a video"):
        record(with_consent, b"hello" * 50)
    with pytest.raises(InvalidInput, match="between 0 and 7400 ms"):  # the ad is 2.4 s
        record(with_consent, WEBM_HEAD, start_ms=9000)
    assert not RecordingPart.objects.exists()


def test_a_recording_grows_chunk_by_chunk_and_a_resent_chunk_is_stored_once(user, make_campaign, join):
    session = join(make_campaign(user), keep_recording=True)
    first, second, third = WEBM_HEAD + b"a" * (100 - len(WEBM_HEAD)), b"b" * 100, b"c" * 100
    part = record(session, first, start_ms=0)
    record(session, second, offset=100)
    record(session, second, offset=100)  # its answer was lost: sent again
    record(session, second + third, offset=100)  # sent again with the next chunk
    part.refresh_from_db()
    assert part.size == 300 and stored_bytes(part) == first + second + third
    with pytest.raises(RecordingGap) as gap:
        record(session, b"e" * 10, offset=400)  # bytes 300..399 never arrived
    assert gap.value.stored == 300
    assert stored_bytes(part) == first + second + third


def test_a_viewer_who_comes_back_adds_a_part_and_keeps_the_first(user, make_campaign, join):
    session = join(make_campaign(user), keep_recording=True)
    record(session, WEBM_HEAD + b"first visit", part=uuid.UUID(int=1), start_ms=0)
    record(session, WEBM_HEAD + b"after coming back", part=uuid.UUID(int=2), start_ms=1250)
    parts = selectors.viewer_recording_parts(session)
    assert [(part.starts_at_ms, part.starts_at_clock, stored_bytes(part)) for part in parts] == [
        (0, "0:00", WEBM_HEAD + b"first visit"), (1250, "0:01", WEBM_HEAD + b"after coming back")]
    with pytest.raises(RecordingGap):  # a new part must start at its beginning
        record(session, b"middle", part=uuid.UUID(int=3), offset=50)
    other = join(session.campaign, keep_recording=True)
    with pytest.raises(InvalidInput, match="taken"):  # another viewer's part id
        record(other, WEBM_HEAD, part=uuid.UUID(int=1))


def test_a_recording_stops_growing_at_the_ads_length(user, make_campaign, join, monkeypatch):
    session = join(make_campaign(user), keep_recording=True)  # a 2.4 s ad
    assert viewing.recording_limit_bytes(session.campaign) == int((2.4 + 120) * 1_000_000)
    monkeypatch.setattr(viewing, "RECORDING_BYTES_PER_S", 1000 / (2.4 + 120))
    part = record(session, WEBM_HEAD + b"a" * (600 - len(WEBM_HEAD)))
    with pytest.raises(InvalidInput, match="longer than the ad"):
        record(session, WEBM_HEAD + b"b" * 500, part=uuid.uuid4())
    with pytest.raises(InvalidInput, match="longer than the ad"):
        record(session, b"c" * 500, offset=600)
    record(session, b"d" * 400, offset=600)
    part.refresh_from_db()
    assert part.size == 1000


def test_a_recording_is_taken_only_while_the_viewer_watches(user, make_campaign, join):
    session = join(make_campaign(user), keep_recording=True)
    with pytest.raises(InvalidInput, match="not negative"):
        record(session, WEBM_HEAD, offset=-5)
    services.viewer_session_finish(session)
    with pytest.raises(ParticipationRefused, match="finished"):
        record(session, WEBM_HEAD)
    assert not RecordingPart.objects.exists()


def test_erasure_deletes_the_session_entirely(user, make_campaign, join):
    session = join(make_campaign(user))
    services.viewer_samples_add(session, sample_series(range(0, 500, 100), 0.7))
    services.viewer_session_erase(session)
    assert not ViewerSession.objects.exists() and not EmotionSample.objects.exists()


def test_withdrawing_a_session_the_producer_just_erased_finds_nothing_left(user, make_campaign, join):
    session = join(make_campaign(user))
    services.viewer_samples_add(session, sample_series(range(0, 500, 100), 0.7))
    services.viewer_session_erase(ViewerSession.objects.get(pk=session.pk))
    assert services.viewer_session_withdraw(session) is session  # the viewer's page held the old object
    assert not ViewerSession.objects.exists() and not EmotionSample.objects.exists()


def test_a_session_erased_while_the_viewer_watches_refuses_samples_and_the_finish_politely(user, make_campaign, join):
    session = join(make_campaign(user))  # the viewer's page holds this object while the producer erases
    services.viewer_session_erase(ViewerSession.objects.get(pk=session.pk))
    with pytest.raises(ParticipationRefused, match="data was deleted"):
        services.viewer_samples_add(session, sample_series(range(0, 500, 100), 0.7))
    with pytest.raises(ParticipationRefused, match="data was deleted"):
        services.viewer_session_finish(session)
    assert not ViewerSession.objects.exists() and not EmotionSample.objects.exists()


def test_closing_abandoned_sessions_skips_one_erased_meanwhile(user, make_campaign, join):
    session = join(make_campaign(user))
    ViewerSession.objects.filter(pk=session.pk).delete()
    assert viewing._close_if_open(session.pk, ViewerSession.Status.ABANDONED) is False


def test_erasure_and_retention_delete_the_recording_files(user, make_campaign, join, settings,
                                                         django_capture_on_commit_callbacks):
    campaign = make_campaign(user, retention_days=30)
    erased, expired = join(campaign, keep_recording=True), join(campaign, keep_recording=True)
    record(erased, WEBM_HEAD + b"erased", part=uuid.UUID(int=1))
    record(expired, WEBM_HEAD + b"expired", part=uuid.UUID(int=2))
    record(expired, WEBM_HEAD + b"expired, part 2", part=uuid.UUID(int=3), start_ms=500)
    assert len(list(settings.MEDIA_ROOT.rglob("webcam*"))) == 3
    with django_capture_on_commit_callbacks(execute=True):
        services.viewer_session_erase(erased)
        ViewerSession.objects.filter(pk=expired.pk).update(started_at=timezone.now() - timedelta(days=31))
        assert services.campaign_data_purge_expired() == 1
    assert not RecordingPart.objects.exists() and not list(settings.MEDIA_ROOT.rglob("webcam*"))


def test_retention_purges_old_sessions_data_only(user, make_campaign, join):
    campaign = make_campaign(user, retention_days=30)
    old, recent = join(campaign, age_band="25_34"), join(campaign, age_band="25_34")
    for session in (old, recent):
        services.viewer_samples_add(session, sample_series(range(0, 500, 100), 0.7))
        services.viewer_session_finish(session)
    ViewerSession.objects.filter(pk=old.pk).update(started_at=timezone.now() - timedelta(days=31))
    assert services.campaign_data_purge_expired() == 1
    assert services.campaign_data_purge_expired() == 0  # already done
    old.refresh_from_db()
    recent.refresh_from_db()
    assert old.data_purged_at and old.rollup is None
    assert (old.self_report_age, old.user_agent, recent.self_report_age, recent.user_agent) == ("", "", "25_34", "pytest")
    assert not EmotionSample.objects.filter(session=old).exists()
    assert EmotionSample.objects.filter(session=recent).count() == 5
    assert selectors.campaign_report(campaign)["viewers"] == 1


def test_a_retention_period_reaching_before_year_one_stops_no_other_campaigns_purge(user, make_campaign, join):
    # saved before the 10-year limit: now - 1,000,000 days overflowed and the whole pass failed
    endless = make_campaign(user, name="Endless")
    Campaign.objects.filter(pk=endless.pk).update(retention_days=1_000_000)
    short = make_campaign(user, retention_days=1)
    for campaign in (endless, short):
        session = join(campaign)
        services.viewer_samples_add(session, sample_series(range(0, 500, 100), 0.7))
        ViewerSession.objects.filter(pk=session.pk).update(started_at=timezone.now() - timedelta(days=2))
    assert services.campaign_data_purge_expired() == 1
    assert ViewerSession.objects.get(campaign=short).data_purged_at
    assert not ViewerSession.objects.get(campaign=endless).data_purged_at


def test_a_viewer_under_18_takes_part_only_with_a_guardians_agreement(user, make_campaign):
    campaign = make_campaign(user)

    def start(**consent):
        invitation = services.invitation_create(campaign)
        return services.viewer_session_start(invitation_token=invitation.token,
                                             consent=services.Consent(analyse_webcam=True, **consent))

    with pytest.raises(InvalidInput, match="parent or guardian agrees") as refused:
        start(age_band="under_18")
    assert refused.value.field == "guardian_agrees" and not ViewerSession.objects.exists()
    assert start(age_band="under_18", guardian_agrees=True).consent_guardian is True
    assert start(age_band="25_34", guardian_agrees=True).consent_guardian is False  # no minor, no guardian


def test_silent_sessions_are_closed_as_abandoned(user, make_campaign, join):
    session = join(make_campaign(user))
    services.viewer_samples_add(session, sample_series(range(0, 500, 100), 0.7))
    assert services.viewer_sessions_mark_abandoned() == 0
    assert services.viewer_sessions_mark_abandoned(now=timezone.now() + timedelta(hours=1)) == 1
    session.refresh_from_db()
    assert session.status == "abandoned" and session.rollup


def test_a_late_finish_never_undoes_a_withdrawal(user, make_campaign, join):
    session = join(make_campaign(user))
    page_copy = ViewerSession.objects.get(pk=session.pk)  # what the capture connection holds
    services.viewer_samples_add(session, sample_series(range(0, 500, 100), 0.7))
    services.viewer_session_withdraw(session)
    assert services.viewer_session_finish(page_copy).status == "withdrawn"
    assert not EmotionSample.objects.filter(session=session).exists()


@pytest.mark.django_db(transaction=True)
def test_an_erasure_waits_for_a_chunk_being_stored_and_deletes_it_too(postgres_and_redis_urls, user, make_campaign,
                                                                      join, settings):
    """Two real transactions on PostgreSQL: a chunk's part is inserted while the producer erases the viewer."""
    session = join(make_campaign(user), keep_recording=True)
    inserted, erasure_waited = threading.Event(), []

    def upload_holding_the_lock():
        try:
            with transaction.atomic():
                ViewerSession.objects.select_for_update().get(pk=session.pk)  # as viewer_recording_append
                record(session, WEBM_HEAD + b"racing")
                inserted.set()
                erasure_waited.append(_another_connection_waits_for_a_lock())
        finally:
            connection.close()

    uploader = threading.Thread(target=upload_holding_the_lock)
    uploader.start()
    assert inserted.wait(10)
    services.viewer_session_erase(session)  # waits for the upload's transaction, then deletes its part
    uploader.join()
    assert erasure_waited == [True]  # the race happened: the erasure came while the chunk's transaction ran
    assert not ViewerSession.objects.exists() and not RecordingPart.objects.exists()
    assert not list(settings.MEDIA_ROOT.rglob("webcam*"))


def _another_connection_waits_for_a_lock(timeout_s: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout_s
    with connection.cursor() as cursor:
        while time.monotonic() < deadline:
            cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
                           "AND datname = current_database() AND pid <> pg_backend_pid()")
            if cursor.fetchone()[0]:
                return True
            time.sleep(0.05)
    return False
