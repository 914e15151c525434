"""Scans as jobs: the daily scan of the whole deployment, and a subtree scan started from the
web."""

from django.utils import timezone
from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from dangjian.core import context

from .models import ScanRun
from .services import scan_execute, scan_run


@db_periodic_task(crontab(hour="2", minute="30"))
def daily_scan() -> dict:
    with context.use(context.RequestContext(source="job")):
        result = scan_run(as_of=timezone.localdate())
    return {"opened": result.opened, "closed": result.closed, "updated": result.updated}


@db_task()
def follow_drain() -> dict:
    """Re-evaluate the organizations queued by writes in bulk (coalesced)."""

    from .follow import follow_queued  # noqa: PLC0415 - follow enqueues this task on commit

    with context.use(context.RequestContext(source="job")):
        out = follow_queued()
    return {"paths": len(out.paths), "opened": out.opened, "closed": out.closed}


@db_periodic_task(crontab(minute="*/5"))
def follow_sweep() -> dict:
    """A safety net: what a lost task left in the queue is drained within five minutes."""

    return follow_drain.call_local()


@db_task()
def subtree_scan(run_id: int) -> None:
    """Run a scan prepared by `scan_request` (the ScanRun row carries scope, date and actor)."""

    with context.use(context.RequestContext(source="job")):
        scan_execute(ScanRun.objects.get(pk=run_id))
