"""The daily clearing (run it from cron): abandoned sessions, retention periods, unfinalized
recordings, interrupted live recordings, unreachable analyses, orphaned files."""

from django.core.management.base import BaseCommand, CommandError

from studies import services

STEP_REPORTS = {
    "abandoned_sessions": "closed {} abandoned viewer session(s)",
    "purged_sessions": "purged the data of {} viewer session(s) past their retention period",
    "finalized_recordings": "finalized {} recording part(s)",
    "interrupted_live_recordings": "marked {} interrupted live recording(s) failed",
    "unreachable_analyses": "deleted {} analysis(es) of ended browser sessions",
    "orphaned_files": "deleted {} orphaned file(s)",
}


class Command(BaseCommand):
    help = ("Close abandoned viewer sessions; delete viewers' data older than each campaign's retention period, "
            "analyses of anonymous browser sessions that have ended, and stored files no row names; finalize "
            "webcam recordings a worker left unfinalized.")

    def handle(self, *args, **options):
        done = services.housekeeping_run()
        for step, report in STEP_REPORTS.items():
            count = done[step]
            self.stdout.write(report.format(count) if count is not None else f"{step}: FAILED, see the log above")
        failed = [step for step, count in done.items() if count is None]
        if failed:
            raise CommandError(f"{len(failed)} step(s) failed: {', '.join(failed)}; the others ran.")
