"""Reads: what the views, API and consumers may see, always filtered by who asks.

One module per subject, re-exported here: `from studies import selectors`.
"""

from studies.selectors.analysis_jobs import (
    analysis_job_get_for_viewer,
    analysis_job_list_for_batch,
    analysis_job_list_for_viewer,
    batch_progress,
)

__all__ = ["analysis_job_get_for_viewer", "analysis_job_list_for_batch", "analysis_job_list_for_viewer",
           "batch_progress"]
