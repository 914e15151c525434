"""The daily scan of the whole deployment (periodic schedules are declared here)."""

from django.utils import timezone
from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from dangjian.core import context

from .services import scan_run


@db_periodic_task(crontab(hour="2", minute="30"))
def daily_scan() -> dict:
    with context.use(context.RequestContext(source="job")):
        result = scan_run(as_of=timezone.localdate())
    return {"opened": result.opened, "closed": result.closed, "updated": result.updated}
