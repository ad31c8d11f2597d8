"""Typed errors for training and evaluation; messages are shown to users as-is."""


class TrainingError(Exception):
    """Base class for every error raised by the training package."""


class DatasetError(TrainingError):
    """The dataset is missing, malformed or unreadable."""


class ModelFileError(TrainingError):
    """The model file is missing or cannot be loaded."""
