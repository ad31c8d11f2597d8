"""Apply the retention periods and close abandoned viewer sessions (run daily, e.g. from cron)."""

from django.core.management.base import BaseCommand

from studies import services


class Command(BaseCommand):
    help = "Delete viewers' emotion data older than each campaign's retention period; close abandoned sessions."

    def handle(self, *args, **options):
        abandoned = services.viewer_sessions_mark_abandoned()
        purged = services.campaign_data_purge_expired()
        self.stdout.write(f"Closed {abandoned} abandoned session(s); purged the data of {purged} session(s).")
