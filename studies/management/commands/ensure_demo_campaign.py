"""Create the demo campaign with synthetic viewers for the demo producer (once; --reset makes it anew)."""

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from studies.demo import ensure_demo_campaign
from studies.management.commands.ensure_demo_user import DEMO_USERNAME
from studies.models import ViewerSession


class Command(BaseCommand):
    help = "Ensure the demo producer has the demo ad-testing campaign (synthetic viewers, marked as demo data)."

    def add_arguments(self, parser):
        parser.add_argument("--reset", action="store_true", help="delete the demo campaign and make it again")

    def handle(self, *args, **options):
        owner = get_user_model().objects.filter(username=DEMO_USERNAME).first()
        if owner is None and not settings.FER_DEMO_ACCOUNT:
            self.stdout.write("No demo study: there is no demo account (FER_DEMO_ACCOUNT is off).")
            return
        if owner is None:
            raise CommandError("Create the demo producer first: python manage.py ensure_demo_user")
        campaign = ensure_demo_campaign(owner, reset=options["reset"])
        sessions = campaign.viewer_sessions
        withdrawn = sessions.filter(status=ViewerSession.Status.WITHDRAWN).count()
        # The API and the campaign list count viewers without the withdrawn ones: say why the numbers differ.
        self.stdout.write(f"Demo campaign “{campaign.name}”: {sessions.count()} synthetic viewers"
                          + (f", {withdrawn} of whom withdrew" if withdrawn else "")
                          + f" (/campaigns/{campaign.id}/report/)")
