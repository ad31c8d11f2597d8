"""Emotion classifiers: 48x48 grey face crops in, 7 probabilities (EMOTIONS order) out."""

from .classifier import EmotionClassifier
from .views import Views

__all__ = ["EmotionClassifier", "Views"]
