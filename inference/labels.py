"""The project's one canonical class order (FER2013 labels 0..6) and display emoji."""

EMOTIONS = ("angry", "disgust", "fear", "happy", "sad", "surprise", "neutral")

EMOJI = {
    "angry": "\N{POUTING FACE}",
    "disgust": "\N{NAUSEATED FACE}",
    "fear": "\N{FEARFUL FACE}",
    "happy": "\N{SMILING FACE WITH SMILING EYES}",
    "sad": "\N{CRYING FACE}",
    "surprise": "\N{FACE WITH OPEN MOUTH}",
    "neutral": "\N{NEUTRAL FACE}",
}
