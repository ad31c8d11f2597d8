"""Web forms: the image and video uploads (one or many files, or a .zip) and producer sign-up."""

from django import forms
from django.conf import settings
from django.contrib.auth.forms import AuthenticationForm, UserCreationForm

from studies.archives import VIDEO_EXTENSIONS


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """A file field that accepts several files and cleans to a list of them.

    Content checks (format, size, pixels, duration) belong to the services, which
    judge each file on its own so one bad file does not sink the batch.
    """

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput())
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        files = data if isinstance(data, (list, tuple)) else [data]
        files = [item for item in files if item]
        if not files:
            raise forms.ValidationError(self.error_messages["required"], code="required")
        if len(files) > settings.FER_MAX_BATCH_FILES:
            raise forms.ValidationError(
                f"Please upload at most {settings.FER_MAX_BATCH_FILES} files at a time "
                f"(you chose {len(files)}).",
                code="too_many_files",
            )
        return files


IMAGE_TYPES = "image/png,image/jpeg,image/bmp,image/webp"
# The extensions a zip's entries are taken by, so the file picker offers the same files (.m4v too).
VIDEO_TYPES = ",".join(["video/mp4", "video/x-m4v", "video/quicktime", "video/x-msvideo", "video/x-matroska",
                        "video/webm", *sorted(VIDEO_EXTENSIONS)])
ZIP_TYPES = "application/zip,.zip"


def _media_field(*, label: str, help_text: str, required_message: str, accept: str) -> MultipleFileField:
    return MultipleFileField(
        label=label,
        help_text=help_text,
        error_messages={"required": required_message},
        widget=MultipleFileInput(attrs={"accept": accept, "class": "form-control"}),
    )


class ImageUploadForm(forms.Form):
    files = _media_field(
        label="Images",
        help_text="PNG, JPEG, BMP or WebP. Select several files at once, videos too, or one .zip of them.",
        required_message="Choose at least one image to analyse.",
        accept=f"{IMAGE_TYPES},{VIDEO_TYPES},{ZIP_TYPES}",
    )


class VideoUploadForm(forms.Form):
    files = _media_field(
        label="Videos",
        help_text="MP4, MOV, AVI, MKV or WebM, any resolution and orientation. Several at once, images too, "
        "or one .zip of them.",
        required_message="Choose at least one video to analyse.",
        accept=f"{VIDEO_TYPES},{IMAGE_TYPES},{ZIP_TYPES}",
    )


class SignInForm(AuthenticationForm):
    """Django's sign-in form, saying why when the address is refused for failing too often (it would
    otherwise call a right password wrong)."""

    def clean(self):
        from studies import services

        refusal = services.sign_in_refusal(self.request, self.data.get("username"))
        if refusal:
            raise forms.ValidationError(refusal, code="too_many_failures")
        return super().clean()


class SignupForm(UserCreationForm):
    email = forms.EmailField(
        required=False,
        help_text="Optional. Only used to reach you about your studies.",
    )

    class Meta(UserCreationForm.Meta):
        fields = ("username", "email")


class AccountDeleteForm(forms.Form):
    password = forms.CharField(
        label="Your password", strip=False, widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
        help_text="Asked again so that nobody at an unlocked computer can delete your account.",
    )


class ApiTokenForm(forms.Form):
    prefix = "token"  # beside the account deletion form on one page
    password = forms.CharField(
        label="Your password", strip=False, widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
        help_text="Asked so that nobody at an unlocked computer can take API access that outlives a password change.",
    )
