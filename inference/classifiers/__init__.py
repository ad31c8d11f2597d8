"""Emotion classifiers: 48x48 grey face crops in, 7 probabilities (EMOTIONS order) out."""

from .classifier import EmotionClassifier

__all__ = ["EmotionClassifier"]
