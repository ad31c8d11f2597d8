"""The consent a viewer gives before any capture, versioned: the version is stored with each answer.

Change CONSENT_VERSION whenever the wording in templates/viewing/consent.html
changes, so every stored consent names the text the viewer actually read.
"""

CONSENT_VERSION = "2026-11-27"
