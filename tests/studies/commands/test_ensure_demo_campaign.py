"""`manage.py ensure_demo_campaign`: the demo producer's campaign, made once, its viewers counted honestly."""

import re

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from studies.models import Campaign, ViewerSession

pytestmark = [pytest.mark.django_db, pytest.mark.slow]


def test_the_demo_campaign_is_made_once_and_says_how_many_viewers_withdrew(capsys):
    with pytest.raises(CommandError, match="Create the demo producer first"):
        call_command("ensure_demo_campaign")
    call_command("ensure_demo_user")

    call_command("ensure_demo_campaign")
    call_command("ensure_demo_campaign")

    campaign = Campaign.objects.get()
    assert campaign.is_demo
    withdrawn = campaign.viewer_sessions.filter(status=ViewerSession.Status.WITHDRAWN).count()
    lines = [line for line in capsys.readouterr().out.splitlines() if line.startswith("Demo campaign")]
    assert len(lines) == 2 and lines[0] == lines[1]
    expected = f"{campaign.viewer_sessions.count()} synthetic viewers"
    expected += f", {withdrawn} of whom withdrew" if withdrawn else ""
    assert re.search(rf": {expected} \(/campaigns/{campaign.id}/report/\)$", lines[0]), lines[0]


def test_without_a_demo_account_in_production_there_is_no_demo_study_and_no_error(settings, capsys):
    settings.FER_DEMO_ACCOUNT = False
    call_command("ensure_demo_campaign")
    assert "No demo study" in capsys.readouterr().out
