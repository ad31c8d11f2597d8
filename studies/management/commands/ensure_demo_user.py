"""Create (or reset) the demo producer account: user `demo`, password `demo-producer`."""

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand

DEMO_USERNAME = "demo"
DEMO_PASSWORD = "demo-producer"


class Command(BaseCommand):
    help = f"Ensure the demo producer account exists (user {DEMO_USERNAME!r}, password {DEMO_PASSWORD!r})."

    def handle(self, *args, **options):
        user, created = get_user_model().objects.get_or_create(username=DEMO_USERNAME)
        if created or not user.check_password(DEMO_PASSWORD) or not user.is_active:
            user.set_password(DEMO_PASSWORD)
            user.is_active = True
            user.save()
        verb = "Created" if created else "Checked"
        self.stdout.write(f"{verb} demo producer account: {DEMO_USERNAME} / {DEMO_PASSWORD}")
