"""The holiday calendar kept current: the years a newly installed chinese-calendar knows are
loaded when the worker starts and every night (the admin's corrections stay)."""

from huey import crontab
from huey.contrib.djhuey import HUEY, db_periodic_task

from dangjian.core import context

from .holidays import holidays_load


@db_periodic_task(crontab(hour="2", minute="50"))
def holidays_nightly() -> int:
    with context.use(context.RequestContext(source="job")):
        return holidays_load()


@HUEY.on_startup()
def holidays_on_start() -> None:
    with context.use(context.RequestContext(source="job")):
        holidays_load()
