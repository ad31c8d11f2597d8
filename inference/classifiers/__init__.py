"""Emotion classifiers: 48x48 grey face crops in, 7 probabilities (EMOTIONS order) out."""

from .keras_classifier import EmotionClassifier

__all__ = ["EmotionClassifier"]
