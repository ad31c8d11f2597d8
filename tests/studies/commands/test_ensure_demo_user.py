"""`manage.py ensure_demo_user`: the demo account is created once and never reopened behind an operator's back."""

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command

pytestmark = pytest.mark.django_db


def _demo():
    return get_user_model().objects.get(username="demo")


def _demo_changed_by_its_operator():
    call_command("ensure_demo_user")
    user = _demo()
    user.set_password("operator-chosen-9")
    user.is_active = False
    user.save()
    return user


def test_the_account_is_created_once_with_the_known_password(capsys):
    call_command("ensure_demo_user")
    call_command("ensure_demo_user")

    assert get_user_model().objects.filter(username="demo").count() == 1
    assert _demo().check_password("demo-producer") and _demo().is_active
    out = capsys.readouterr().out
    assert "Created demo producer account: demo / demo-producer" in out
    assert "Demo producer account: demo / demo-producer" in out


def test_a_changed_password_or_a_deactivation_survives_the_next_start(capsys):
    user = _demo_changed_by_its_operator()

    call_command("ensure_demo_user")  # what run.sh and the Docker web role run at every start

    user.refresh_from_db()
    assert user.check_password("operator-chosen-9") and not user.is_active
    assert "left as its operator set it (deactivated); --reset restores it." in capsys.readouterr().out


def test_reset_restores_the_known_password_on_purpose(capsys):
    user = _demo_changed_by_its_operator()

    call_command("ensure_demo_user", reset=True)

    user.refresh_from_db()
    assert user.check_password("demo-producer") and user.is_active
    assert "Reset demo producer account: demo / demo-producer" in capsys.readouterr().out


def test_the_demo_account_is_marked_shared_and_production_makes_none_unless_asked(settings, capsys):
    from studies import selectors

    settings.FER_DEMO_ACCOUNT = False
    call_command("ensure_demo_user")
    assert not get_user_model().objects.filter(username="demo").exists()
    assert "FER_DEMO_ACCOUNT is off" in capsys.readouterr().out

    settings.FER_DEMO_ACCOUNT = True
    call_command("ensure_demo_user")
    assert selectors.account_is_shared(_demo())


def test_turning_the_demo_off_closes_an_account_still_on_the_public_password(settings, capsys):
    call_command("ensure_demo_user")  # made while it was on
    settings.FER_DEMO_ACCOUNT = False

    call_command("ensure_demo_user")

    assert not _demo().is_active and "Deactivated the demo account" in capsys.readouterr().out


def test_an_operator_who_gives_the_demo_account_its_own_password_makes_it_private_again():
    from studies import selectors

    call_command("ensure_demo_user")
    user = _demo()
    user.set_password("operator-chosen-9")
    user.save()

    call_command("ensure_demo_user")

    assert _demo().is_active and not selectors.account_is_shared(_demo())


def test_the_sign_in_page_offers_the_demo_account_only_while_it_is_open(client, settings):
    assert "demo-producer" not in client.get("/accounts/login/").content.decode()
    call_command("ensure_demo_user")
    assert "demo-producer" in client.get("/accounts/login/").content.decode()
    settings.FER_DEMO_ACCOUNT = False
    call_command("ensure_demo_user")  # deactivates it
    assert "demo-producer" not in client.get("/accounts/login/").content.decode()
