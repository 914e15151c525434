"""The interchange worker: long exports (web.exports.JOB_ROWS rows and more) and long uploads
(settings.IMPORT_JOB_ROWS), their tasks living beside their services in exporting.py and
importing.py, and the daily clean-up of old export files and stale upload files."""

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from .exporting import export_job_task, export_jobs_clean
from .importing import import_job_task, import_jobs_clean

__all__ = ["export_clean", "export_job_task", "import_job_task"]


@db_periodic_task(crontab(hour="3", minute="40"))
def export_clean() -> int:
    return export_jobs_clean() + import_jobs_clean()
