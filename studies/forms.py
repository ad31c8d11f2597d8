"""Web forms: the image upload (one or many files) and producer sign-up."""

from django import forms
from django.contrib.auth.forms import UserCreationForm

MAX_FILES_PER_UPLOAD = 50


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """A file field that accepts several files and cleans to a list of them.

    Content checks (format, size, pixels) belong to `services.analysis_job_create`,
    which judges each file on its own so one bad file does not sink the batch.
    """

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput())
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        files = data if isinstance(data, (list, tuple)) else [data]
        files = [item for item in files if item]
        if not files:
            raise forms.ValidationError(self.error_messages["required"], code="required")
        if len(files) > MAX_FILES_PER_UPLOAD:
            raise forms.ValidationError(
                f"Please upload at most {MAX_FILES_PER_UPLOAD} files at a time "
                f"(you chose {len(files)}).",
                code="too_many_files",
            )
        return files


class ImageUploadForm(forms.Form):
    files = MultipleFileField(
        label="Images",
        help_text="PNG, JPEG, BMP or WebP. Select several files at once to analyse a batch.",
        error_messages={"required": "Choose at least one image to analyse."},
        widget=MultipleFileInput(
            attrs={"accept": "image/png,image/jpeg,image/bmp,image/webp", "class": "form-control"}
        ),
    )


class SignupForm(UserCreationForm):
    email = forms.EmailField(
        required=False,
        help_text="Optional. Only used to reach you about your studies.",
    )

    class Meta(UserCreationForm.Meta):
        fields = ("username", "email")
