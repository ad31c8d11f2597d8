"""The studies app: analysis jobs (and later campaigns), their API, tasks and pages."""
