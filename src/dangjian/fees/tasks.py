"""Fee jobs: open each month's ledger on the 1st; close online orders nobody answered."""

from django.utils import timezone
from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from dangjian.core import context

from .online import order_close_stale
from .services import current_index, ledger_generate


@db_periodic_task(crontab(day="1", hour="0", minute="10"))
def monthly_ledger() -> int:
    with context.use(context.RequestContext(source="job")):
        return ledger_generate(month=current_index(timezone.localdate()))


@db_periodic_task(crontab(minute="*/5"))
def close_stale_orders() -> dict:
    with context.use(context.RequestContext(source="job")):
        return order_close_stale()
