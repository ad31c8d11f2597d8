"""The consent a viewer gives before any capture, versioned: the version is stored with each answer.

Change CONSENT_VERSION whenever the wording in templates/viewing/consent.html
changes, so every stored consent names the text the viewer actually read.
"""

CONSENT_VERSION = "2026-11-28.2"  # 11-28.1: says what age and gender are for; .2: minors need a guardian
# The first wording that tells viewers their averages may be shared beyond the organiser: a read-only
# report link includes only viewers who read it or a later one (versions compare as strings).
SHARING_CONSENT_SINCE = "2026-11-27.2"
