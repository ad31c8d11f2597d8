"""A deleted recording part takes its file with it, whatever deleted the row: a withdrawal, an
erasure, retention, a campaign or a producer account deleted, the admin. The file goes once the
deletion commits, so a deletion that rolls back keeps it."""

from django.db import transaction
from django.db.models.signals import post_delete


def delete_recording_file(sender, instance, **kwargs):
    name, storage = instance.file.name, instance.file.storage
    if name:
        transaction.on_commit(lambda: storage.delete(name), robust=True)


def connect() -> None:
    from studies.models import RecordingPart

    post_delete.connect(delete_recording_file, sender=RecordingPart, dispatch_uid="recording_part_file")
