"""Fee jobs: open each month's ledger on the 1st — and, if that run was missed (the server down on
the 1st, a demo seeded later), when the worker starts and at the next hourly check; close online
orders nobody answered."""

from django.utils import timezone
from huey import crontab
from huey.contrib.djhuey import HUEY, db_periodic_task

from dangjian.core import context

from .models import FeeMonth
from .online import order_close_stale
from .services import current_index, ledger_generate


@db_periodic_task(crontab(day="1", hour="0", minute="10"))
def monthly_ledger() -> int:
    with context.use(context.RequestContext(source="job")):
        return ledger_generate(month=current_index(timezone.localdate()))


def month_open_if_missed() -> int:
    """Open this month's ledger unless it is open already (idempotent)."""
    now = current_index(timezone.localdate())
    if FeeMonth.objects.filter(month_index=now).exists():
        return 0
    with context.use(context.RequestContext(source="job")):
        return ledger_generate(month=now)


@db_periodic_task(crontab(minute="7"))
def hourly_ledger_check() -> int:
    return month_open_if_missed()


@HUEY.on_startup()
def ledger_on_start() -> None:
    month_open_if_missed()


@db_periodic_task(crontab(minute="*/5"))
def close_stale_orders() -> dict:
    with context.use(context.RequestContext(source="job")):
        return order_close_stale()
