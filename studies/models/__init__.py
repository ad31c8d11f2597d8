"""Database models: analysis jobs (images, videos, live recordings) and ad-testing campaigns."""

from studies.models.analysis_jobs import AnalysisJob, _job_file_path, job_progress_group_name

__all__ = ["AnalysisJob", "_job_file_path", "job_progress_group_name"]
