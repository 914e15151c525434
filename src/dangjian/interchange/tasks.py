"""The export worker: long exports (web.exports.JOB_ROWS rows and more; the task itself lives
beside its service in exporting.py) and the daily clean-up of old export files."""

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from .exporting import export_job_task, export_jobs_clean

__all__ = ["export_clean", "export_job_task"]


@db_periodic_task(crontab(hour="3", minute="40"))
def export_clean() -> int:
    return export_jobs_clean()
