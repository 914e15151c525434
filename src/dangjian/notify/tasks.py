"""Outbound reminder jobs: the daily digest at the configured hour, and sending what is due every
minute."""

from django.conf import settings
from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from dangjian.core import context

from .outbound import delivery_queue_digests, delivery_send_due


@db_periodic_task(crontab(hour=str(settings.NOTIFY["digest_hour"]), minute="0"))
def daily_digest() -> dict:
    with context.use(context.RequestContext(source="job")):
        return delivery_queue_digests()


@db_periodic_task(crontab(minute="*"))
def send_due() -> dict:
    with context.use(context.RequestContext(source="job")):
        return delivery_send_due()
