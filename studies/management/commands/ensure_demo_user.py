"""Create the demo producer account, user `demo`, password `demo-producer`, when it does not exist.

An existing account is left as it is: `run.sh` and the Docker web role run this at every start, and an
operator who changed its password or deactivated it must not see it come back open. `--reset` restores
the known password and reactivates it on purpose.
"""

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand

DEMO_USERNAME = "demo"
DEMO_PASSWORD = "demo-producer"


class Command(BaseCommand):
    help = (f"Create the demo producer account (user {DEMO_USERNAME!r}, password {DEMO_PASSWORD!r}) if it is "
            "missing; an existing one keeps its password and active flag unless --reset is given.")

    def add_arguments(self, parser):
        parser.add_argument("--reset", action="store_true",
                            help=f"give an existing demo account the password {DEMO_PASSWORD!r} again and reactivate it")

    def handle(self, *args, **options):
        user, created = get_user_model().objects.get_or_create(username=DEMO_USERNAME)
        if created or options["reset"]:
            user.set_password(DEMO_PASSWORD)
            user.is_active = True
            user.save()
            verb = "Created" if created else "Reset"
            self.stdout.write(f"{verb} demo producer account: {DEMO_USERNAME} / {DEMO_PASSWORD}")
        elif user.is_active and user.check_password(DEMO_PASSWORD):
            self.stdout.write(f"Demo producer account: {DEMO_USERNAME} / {DEMO_PASSWORD}")
        else:
            self.stdout.write(f"Demo producer account {DEMO_USERNAME!r} left as its operator set it "
                              f"({'active, password changed' if user.is_active else 'deactivated'}); "
                              "--reset restores it.")
