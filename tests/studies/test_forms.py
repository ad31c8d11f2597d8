from studies.archives import VIDEO_EXTENSIONS
from studies.forms import VIDEO_TYPES, VideoUploadForm


def test_the_file_pickers_offer_every_video_a_zip_may_hold():
    accepted = VIDEO_TYPES.split(",")
    assert VIDEO_EXTENSIONS <= set(accepted) and ".m4v" in accepted
    assert ".m4v" in VideoUploadForm().fields["files"].widget.attrs["accept"].split(",")
