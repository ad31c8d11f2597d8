"""Create the demo producer account, user `demo`, password `demo-producer`, when it does not exist.

An existing account is left as it is: `run.sh` and the Docker web role run this at every start, and an
operator who changed its password or deactivated it must not see it come back open. `--reset` restores
the known password and reactivates it on purpose.

Its password is published, so the account is marked shared (services.account_mark_shared): a visitor's
own analyses are not moved into it at sign-in, and its studies keep no webcam recordings. Production
(DJANGO_DEBUG off) makes none unless FER_DEMO_ACCOUNT=1, and deactivates one an earlier start made
that still has the published password. One whose operator gave it a password of its own is no longer
shared.
"""

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand

from studies import services

DEMO_USERNAME = "demo"
DEMO_PASSWORD = "demo-producer"


class Command(BaseCommand):
    help = (f"Create the demo producer account (user {DEMO_USERNAME!r}, password {DEMO_PASSWORD!r}) if it is "
            "missing; an existing one keeps its password and active flag unless --reset is given.")

    def add_arguments(self, parser):
        parser.add_argument("--reset", action="store_true",
                            help=f"give an existing demo account the password {DEMO_PASSWORD!r} again and reactivate it")

    def handle(self, *args, **options):
        existing = get_user_model().objects.filter(username=DEMO_USERNAME).first()
        if not settings.FER_DEMO_ACCOUNT and not options["reset"]:
            self._turned_off(existing)
            return
        user = existing or get_user_model().objects.create(username=DEMO_USERNAME)
        if existing is None or options["reset"]:
            user.set_password(DEMO_PASSWORD)
            user.is_active = True
            user.save()
            services.account_mark_shared(user)
            verb = "Reset" if existing else "Created"
            self.stdout.write(f"{verb} demo producer account: {DEMO_USERNAME} / {DEMO_PASSWORD}")
        elif user.is_active and user.check_password(DEMO_PASSWORD):
            services.account_mark_shared(user)  # made before accounts were marked
            self.stdout.write(f"Demo producer account: {DEMO_USERNAME} / {DEMO_PASSWORD}")
        else:
            if user.has_usable_password() and not user.check_password(DEMO_PASSWORD):
                services.account_mark_shared(user, shared=False)  # its operator's own now
            self.stdout.write(f"Demo producer account {DEMO_USERNAME!r} left as its operator set it "
                              f"({'active, password changed' if user.is_active else 'deactivated'}); "
                              "--reset restores it.")

    def _turned_off(self, existing) -> None:
        if existing is None:
            self.stdout.write("No demo account: FER_DEMO_ACCOUNT is off (the default in production); "
                              "set FER_DEMO_ACCOUNT=1 to have one.")
        elif existing.is_active and existing.check_password(DEMO_PASSWORD):
            existing.is_active = False
            existing.save(update_fields=["is_active"])
            self.stdout.write(f"Deactivated the demo account {DEMO_USERNAME!r}: its password is public and "
                              "FER_DEMO_ACCOUNT is off. Set FER_DEMO_ACCOUNT=1 to keep it, or give it a "
                              "password of its own in the admin site and reactivate it there.")
        else:
            self.stdout.write(f"Demo account {DEMO_USERNAME!r} left as its operator set it (FER_DEMO_ACCOUNT is off).")
