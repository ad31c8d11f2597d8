"""Analyses made before signing in move to the account on log-in and sign-up."""

from datetime import timedelta

import pytest
from django.contrib.auth.models import AnonymousUser
from django.utils import timezone

from studies import services
from studies.models import AnalysisJob

pytestmark = pytest.mark.django_db


def _anonymous_session_key(client) -> str:
    session = client.session
    session.save()
    return session.session_key


def test_login_moves_the_sessions_analyses_to_the_account(client, user, make_job, make_video_job):
    key = _anonymous_session_key(client)
    photo, video = make_job(session_key=key), make_video_job(session_key=key)
    strangers = make_job(session_key="another-browser")

    response = client.post("/accounts/login/", {"username": "producer", "password": "producer-password"})

    assert response.status_code == 302
    assert client.session.session_key != key, "Django rotates the key at login"
    for job in (photo, video):
        job.refresh_from_db()
        assert (job.owner, job.session_key) == (user, "")
    strangers.refresh_from_db()
    assert strangers.owner is None and strangers.session_key == "another-browser"
    listing = client.get("/jobs/").content.decode()
    assert str(photo.id) in listing and str(video.id) in listing


def test_signup_moves_the_sessions_analyses_to_the_new_account(client, make_job, django_user_model):
    key = _anonymous_session_key(client)
    job = make_job(session_key=key)

    client.post(
        "/accounts/signup/",
        {"username": "new-producer", "password1": "a-long-pass-phrase-42", "password2": "a-long-pass-phrase-42"},
    )

    job.refresh_from_db()
    assert job.owner == django_user_model.objects.get(username="new-producer")
    assert job.session_key == ""


def test_signing_in_to_the_shared_demo_account_moves_nothing_into_it_and_out_again_it_is_all_there(
        client, user, make_job):
    from studies.services.housekeeping import analysis_jobs_delete_unreachable

    services.account_mark_shared(user)
    key = _anonymous_session_key(client)
    job = make_job(session_key=key)

    response = client.post("/accounts/login/", {"username": "producer", "password": "producer-password"},
                           follow=True)

    job.refresh_from_db()
    assert job.owner is None  # everyone signing in as demo would see it
    assert "shared demo account" in response.content.decode() and "it is back when you sign out" in (
        response.content.decode())
    listing = client.get("/jobs/").content.decode()
    assert str(job.id) not in listing and "made by anyone signed in to it" in listing
    # the key the browser's session had was deleted at sign-in: its analyses followed it, so the daily
    # clearing, which deletes those of ended sessions, leaves them
    assert analysis_jobs_delete_unreachable(now=timezone.now() + timedelta(hours=2)) == 0

    client.post("/accounts/logout/")

    assert str(job.id) in client.get("/jobs/").content.decode()
    assert analysis_jobs_delete_unreachable(now=timezone.now() + timedelta(hours=2)) == 0


def test_failed_login_moves_nothing(client, user, make_job):
    key = _anonymous_session_key(client)
    job = make_job(session_key=key)

    client.post("/accounts/login/", {"username": "producer", "password": "wrong"})

    job.refresh_from_db()
    assert job.owner is None and job.session_key == key


def test_claim_needs_a_signed_in_user_and_a_session(user, make_job):
    job = make_job(session_key="browser")
    assert services.analysis_jobs_claim_for_user(user=AnonymousUser(), session_key="browser") == 0
    assert services.analysis_jobs_claim_for_user(user=user, session_key="") == 0
    assert services.analysis_jobs_claim_for_user(user=user, session_key="browser") == 1
    assert AnalysisJob.objects.get(pk=job.pk).owner == user
