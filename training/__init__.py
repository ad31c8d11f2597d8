"""Training and evaluation of the emotion classifier (see docs/TRAINING.md)."""
