"""Settings package: `base` (environment-driven, dev defaults) and `test`.

Concern-specific parts (`celery`, `channels`, `uploads`) are pulled into `base`.
"""
