"""Password guessing is slowed down on every way in: the sign-in page, the admin site and the API token."""

import pytest

from studies.services.accounts import SIGN_INS_FAILED_PER_ACCOUNT, SIGN_INS_FAILED_PER_ADDRESS

pytestmark = pytest.mark.django_db

GUESSES = SIGN_INS_FAILED_PER_ACCOUNT.limit


def _guess(client, password, address="203.0.113.7", username="producer"):
    return client.post("/accounts/login/", {"username": username, "password": password}, REMOTE_ADDR=address)


def test_after_ten_wrong_passwords_even_the_right_one_is_refused_with_the_reason(client, user):
    for _ in range(GUESSES):
        assert "correct username and password" in _guess(client, "wrong").content.decode()

    refused = _guess(client, "producer-password")
    assert refused.status_code == 200 and "Too many failed sign-ins" in refused.content.decode()
    assert "_auth_user_id" not in client.session
    # someone else, elsewhere, signs in to the same account as usual: no locking people out from afar
    assert _guess(client, "producer-password", address="198.51.100.2").status_code == 302


def test_a_success_before_the_limit_starts_the_accounts_count_over(client, user):
    for _ in range(GUESSES - 1):
        _guess(client, "wrong")
    assert _guess(client, "producer-password").status_code == 302
    client.logout()
    for _ in range(GUESSES - 1):
        _guess(client, "wrong")
    assert _guess(client, "producer-password").status_code == 302


def test_one_address_guessing_many_accounts_is_stopped_too(client, user):
    for number in range(SIGN_INS_FAILED_PER_ADDRESS.limit):
        _guess(client, "wrong", username=f"someone-{number}")
    assert "Too many failed sign-ins" in _guess(client, "producer-password").content.decode()


def test_the_api_token_answers_429_and_the_admin_refuses_once_the_address_is_over(client, user):
    user.is_staff = user.is_superuser = True
    user.save()
    for _ in range(GUESSES):
        client.post("/api/v1/auth/token/", {"username": "producer", "password": "wrong"}, REMOTE_ADDR="203.0.113.7")

    token = client.post("/api/v1/auth/token/", {"username": "producer", "password": "producer-password"},
                        REMOTE_ADDR="203.0.113.7")
    assert token.status_code == 429 and "Too many failed sign-ins" in token.json()["detail"]
    admin = client.post("/admin/login/", {"username": "producer", "password": "producer-password"},
                        REMOTE_ADDR="203.0.113.7")
    assert admin.status_code == 200 and "_auth_user_id" not in client.session
    assert client.post("/api/v1/auth/token/", {"username": "producer", "password": "producer-password"},
                       REMOTE_ADDR="198.51.100.2").status_code == 200


def test_sessions_signed_in_before_the_limits_existed_stay_signed_in(client, user):
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")  # what they recorded
    assert client.get("/accounts/").status_code == 200
    client.logout()
    assert _guess(client, "producer-password").status_code == 302
    assert client.session["_auth_user_backend"] == "django.contrib.auth.backends.ModelBackend"


@pytest.mark.parametrize("body", [{"username": 5, "password": "x"}, {"username": ["a"], "password": "x"}, ["a", "b"]])
def test_a_malformed_token_request_is_a_400_not_a_crash(client, user, body):
    response = client.post("/api/v1/auth/token/", body, content_type="application/json")
    assert response.status_code == 400
