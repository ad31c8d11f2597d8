"""The daily clearing (run it from cron): abandoned sessions, unfinalized recordings, retention periods,
unreachable analyses, orphaned files."""

from django.core.management.base import BaseCommand

from studies import services


class Command(BaseCommand):
    help = ("Close abandoned viewer sessions; delete viewers' data older than each campaign's retention period, "
            "analyses of anonymous browser sessions that have ended, and stored files no row names.")

    def handle(self, *args, **options):
        done = services.housekeeping_run()
        self.stdout.write(
            f"Closed {done['abandoned_sessions']} abandoned session(s); "
            f"finalized {done['finalized_recordings']} recording part(s); "
            f"purged the data of {done['purged_sessions']} session(s); "
            f"deleted {done['unreachable_analyses']} analysis(es) of ended browser sessions "
            f"and {done['orphaned_files']} orphaned file(s).")
