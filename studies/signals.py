"""Files go with their rows, whatever deleted the row: a viewer's recording part (withdrawal,
retention), a viewer's whole folder (erasure, the campaign or account deleted), a campaign's
whole folder, its ad included, and an analysis's upload and outputs (deleted by its owner,
expired, or the account deleted), also from the admin. A file goes once the deletion commits, so
a deletion that rolls back keeps it.

Sign-ins are counted too, whichever page or endpoint made them (services.sign_in_failed).

Folders rather than the rows' file fields where a row may be deleted by a process that read it
before another one renamed its file (a finalized recording, a job's late output): what is in the
folder then is what goes.
"""

from django.contrib.auth.signals import user_logged_in, user_login_failed
from django.db import transaction
from django.db.models.signals import post_delete

from studies import storage_files


def _delete_on_commit(field_file) -> None:
    name, storage = field_file.name, field_file.storage
    if name:
        transaction.on_commit(lambda: storage.delete(name), robust=True)


def _delete_folder_on_commit(storage, folder: str) -> None:
    transaction.on_commit(lambda: storage_files.delete_folder(storage, folder), robust=True)


def delete_recording_file(sender, instance, **kwargs):
    _delete_on_commit(instance.file)


def delete_viewer_folder(sender, instance, **kwargs):
    delete_viewer_folder_on_commit(instance)


def delete_viewer_folder_on_commit(session) -> None:
    """The session's folder of recordings goes once the transaction commits (also for a session that
    stays, withdrawn or past its retention period)."""
    from studies.models import RecordingPart, viewer_session_storage_folder

    storage = RecordingPart._meta.get_field("file").storage
    _delete_folder_on_commit(storage, viewer_session_storage_folder(session.campaign_id, session.pk))


def delete_campaign_folder(sender, instance, **kwargs):
    from studies.models import campaign_storage_folder

    _delete_folder_on_commit(instance.ad_video.storage, campaign_storage_folder(instance.pk))


def delete_job_files(sender, instance, **kwargs):
    from studies.models import job_storage_folder

    _delete_folder_on_commit(instance.input_file.storage, job_storage_folder(instance.pk))


def count_failed_sign_in(sender, credentials, request=None, **kwargs):
    from studies import services

    services.sign_in_failed(request, credentials.get("username"))


def count_sign_in(sender, request, user, **kwargs):
    from studies import services

    services.sign_in_succeeded(request, user.get_username())


def connect() -> None:
    from studies.models import AnalysisJob, Campaign, RecordingPart, ViewerSession

    user_login_failed.connect(count_failed_sign_in, dispatch_uid="count_failed_sign_in")
    user_logged_in.connect(count_sign_in, dispatch_uid="count_sign_in")
    post_delete.connect(delete_recording_file, sender=RecordingPart, dispatch_uid="recording_part_file")
    post_delete.connect(delete_viewer_folder, sender=ViewerSession, dispatch_uid="viewer_session_folder")
    post_delete.connect(delete_campaign_folder, sender=Campaign, dispatch_uid="campaign_folder")
    post_delete.connect(delete_job_files, sender=AnalysisJob, dispatch_uid="analysis_job_files")
