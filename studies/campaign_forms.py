"""Web forms of the ad-testing pages: they turn request data into typed values.

The rules themselves (segments inside the ad, known emotions, invitation limits)
are the services'; a form only parses, so API and web cannot drift apart.
"""

from datetime import timedelta

from django import forms
from django.utils import timezone

from inference.labels import EMOJI, EMOTIONS
from studies.forms import VIDEO_TYPES
from studies.models import Campaign, ViewerSession
from studies.report_filters import ReportFilters

EMOTION_CHOICES = [(name, f"{EMOJI[name]} {name.capitalize()}") for name in EMOTIONS]


def _text(**attrs):
    return forms.TextInput(attrs={"class": "form-control", **attrs})


class CampaignForm(forms.Form):
    name = forms.CharField(max_length=200, widget=_text(placeholder="Spring launch, 30 s cut"))
    brand = forms.CharField(max_length=200, required=False, widget=_text(placeholder="Brand or product"))
    description = forms.CharField(required=False, widget=forms.Textarea(attrs={"class": "form-control", "rows": 2}))
    status = forms.ChoiceField(choices=Campaign.Status.choices, initial=Campaign.Status.DRAFT,
                               widget=forms.Select(attrs={"class": "form-select"}))
    retention_days = forms.IntegerField(
        required=False, min_value=1, max_value=Campaign.MAX_RETENTION_DAYS, label="Keep viewers' data for (days)",
        help_text="Empty: until you delete it.", widget=forms.NumberInput(attrs={"class": "form-control"}))
    ad_video = forms.FileField(
        label="Ad video", help_text="MP4 (H.264) or WebM. Its duration and frame rate are read from the file.",
        widget=forms.ClearableFileInput(attrs={"class": "form-control", "accept": VIDEO_TYPES}))


class CampaignEditForm(CampaignForm):
    ad_video = forms.FileField(
        label="Replace the ad video", required=False,
        help_text="Only until the first viewer has watched it.",
        widget=forms.ClearableFileInput(attrs={"class": "form-control", "accept": VIDEO_TYPES}))


class SegmentForm(forms.Form):
    name = forms.CharField(max_length=120, widget=_text(placeholder="Opening joke"))
    start_s = forms.FloatField(label="Start (s)", widget=forms.NumberInput(attrs={"class": "form-control", "step": "0.1"}))
    end_s = forms.FloatField(label="End (s)", widget=forms.NumberInput(attrs={"class": "form-control", "step": "0.1"}))
    expected_emotions = forms.MultipleChoiceField(
        choices=EMOTION_CHOICES, label="Expected emotion(s)", widget=forms.CheckboxSelectMultiple,
        error_messages={"required": "Choose the emotion(s) the segment should evoke."})
    notes = forms.CharField(required=False, widget=forms.Textarea(attrs={"class": "form-control", "rows": 1}))

    def __init__(self, *args, **kwargs):
        # The campaign page also holds the campaign's own form, which has a "name" too: without
        # their own ids, the segment's "Name" label would focus the campaign's hidden field.
        kwargs.setdefault("auto_id", "segment_%s")
        super().__init__(*args, **kwargs)


class InvitationForm(forms.Form):
    label = forms.CharField(max_length=120, required=False, widget=_text(placeholder="e.g. Panel A"))
    expires_in_days = forms.IntegerField(required=False, min_value=1, max_value=365, label="Expires after (days)",
                                         widget=forms.NumberInput(attrs={"class": "form-control"}))
    max_viewers = forms.IntegerField(required=False, min_value=1, label="Most viewers",
                                     widget=forms.NumberInput(attrs={"class": "form-control"}))

    def expires_at(self):
        days = self.cleaned_data.get("expires_in_days")
        return timezone.now() + timedelta(days=days) if days else None


class ReportFilterForm(forms.Form):
    MIN_FACE_CHOICES = [("0", "any"), ("0.5", "at least 50 %"), ("0.7", "at least 70 %"), ("0.9", "at least 90 %")]

    include_unfinished = forms.BooleanField(required=False, label="Include unfinished viewers")
    min_face = forms.ChoiceField(choices=MIN_FACE_CHOICES, required=False, initial="0",
                                 label="Face visible", widget=forms.Select(attrs={"class": "form-select form-select-sm"}))
    # what viewers answered on the consent page, when they did
    age_band = forms.ChoiceField(
        choices=[("", "any"), *ViewerSession.AgeBand.choices, (ViewerSession.NOT_GIVEN, "not given")],
        required=False, label="Age", widget=forms.Select(attrs={"class": "form-select form-select-sm"}))
    gender = forms.ChoiceField(
        choices=[("", "any"), *ViewerSession.Gender.choices, (ViewerSession.NOT_GIVEN, "not given")],
        required=False, label="Gender", widget=forms.Select(attrs={"class": "form-select form-select-sm"}))

    def report_filters(self) -> ReportFilters:
        """The viewers asked for; a filter that cannot be read is left out (the page says so)."""
        data = {}
        if self.is_bound:
            self.is_valid()
            data = self.cleaned_data  # only the fields that could be read
        return ReportFilters(completed_only=not data.get("include_unfinished", False),
                             min_face_share=float(data.get("min_face") or 0),
                             age_band=data.get("age_band", ""), gender=data.get("gender", ""))


class ConsentForm(forms.Form):
    # The page's own message, not the browser's: "I agree" without this box asks again, keeping the answers.
    use_required_attribute = False

    analyse_webcam = forms.BooleanField(
        label="Analyse my webcam while I watch (needed to take part)",
        widget=forms.CheckboxInput(attrs={"class": "form-check-input consent-check"}),
        error_messages={"required": "Tick this box to take part: the study needs your webcam's emotion scores."})
    keep_recording = forms.BooleanField(
        required=False, label="Also keep a video recording of my webcam for the study's organiser (optional)",
        widget=forms.CheckboxInput(attrs={"class": "form-check-input consent-check"}))
    age_band = forms.ChoiceField(choices=[("", "Prefer not to say"), *ViewerSession.AgeBand.choices], required=False,
                                 label="Age (optional)", widget=forms.Select(attrs={"class": "form-select"}))
    gender = forms.ChoiceField(choices=[("", "Prefer not to say"), *ViewerSession.Gender.choices], required=False,
                               label="Gender (optional)", widget=forms.Select(attrs={"class": "form-select"}))
    guardian_agrees = forms.BooleanField(
        required=False, label="For a viewer under 18: I am their parent or guardian and I agree too",
        widget=forms.CheckboxInput(attrs={"class": "form-check-input consent-check"}))

    def __init__(self, *args, recording_offered: bool = True, **kwargs):
        super().__init__(*args, **kwargs)
        if not recording_offered:  # services.recording_offered: a shared account's study
            del self.fields["keep_recording"]

    def full_clean(self):
        super().full_clean()
        # The page comes back scrolled to its top, and on a phone the error sits below the fold:
        # focusing the first field to fix scrolls to it, and screen readers read its error with it.
        first_invalid = next((name for name in self.errors if name in self.fields), None)
        if first_invalid:
            self.fields[first_invalid].widget.attrs["autofocus"] = True
