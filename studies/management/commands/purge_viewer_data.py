"""The old name of `purge_expired_data`, kept so existing cron lines go on working."""

from studies.management.commands.purge_expired_data import Command as PurgeExpiredData


class Command(PurgeExpiredData):
    help = "Old name of purge_expired_data. " + PurgeExpiredData.help
