"""Files go with their rows, whatever deleted the row: a viewer's recording part (withdrawal,
erasure, retention, its campaign deleted), a campaign's ad (the campaign deleted, or the
producer's account with it) and an analysis's upload and outputs (deleted by its owner, expired,
or the account deleted), also from the admin. A file goes once the deletion commits, so a deletion
that rolls back keeps it."""

from django.db import transaction
from django.db.models.signals import post_delete

from studies import storage_files


def _delete_on_commit(field_file) -> None:
    name, storage = field_file.name, field_file.storage
    if name:
        transaction.on_commit(lambda: storage.delete(name), robust=True)


def delete_recording_file(sender, instance, **kwargs):
    _delete_on_commit(instance.file)


def delete_ad_video(sender, instance, **kwargs):
    _delete_on_commit(instance.ad_video)


def delete_job_files(sender, instance, **kwargs):
    # The whole folder, not the fields: a run finishing while the row was deleted may have
    # attached an output this instance, read earlier, does not name.
    from studies.models import job_storage_folder

    storage, folder = instance.input_file.storage, job_storage_folder(instance.id)
    transaction.on_commit(lambda: storage_files.delete_folder(storage, folder), robust=True)


def connect() -> None:
    from studies.models import AnalysisJob, Campaign, RecordingPart

    post_delete.connect(delete_recording_file, sender=RecordingPart, dispatch_uid="recording_part_file")
    post_delete.connect(delete_ad_video, sender=Campaign, dispatch_uid="campaign_ad_video")
    post_delete.connect(delete_job_files, sender=AnalysisJob, dispatch_uid="analysis_job_files")
