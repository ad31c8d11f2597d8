"""Files go with their rows, whatever deleted the row: a viewer's recording part (withdrawal,
erasure, retention, its campaign deleted) and a campaign's ad (the campaign deleted, or the
producer's account with it), also from the admin. A file goes once the deletion commits, so a
deletion that rolls back keeps it."""

from django.db import transaction
from django.db.models.signals import post_delete


def _delete_on_commit(field_file) -> None:
    name, storage = field_file.name, field_file.storage
    if name:
        transaction.on_commit(lambda: storage.delete(name), robust=True)


def delete_recording_file(sender, instance, **kwargs):
    _delete_on_commit(instance.file)


def delete_ad_video(sender, instance, **kwargs):
    _delete_on_commit(instance.ad_video)


def connect() -> None:
    from studies.models import Campaign, RecordingPart

    post_delete.connect(delete_recording_file, sender=RecordingPart, dispatch_uid="recording_part_file")
    post_delete.connect(delete_ad_video, sender=Campaign, dispatch_uid="campaign_ad_video")
