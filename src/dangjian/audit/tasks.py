"""Periodic sealing of the audit chain (every minute; `audit verify` also seals first)."""

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from .services import audit_seal


@db_periodic_task(crontab(minute="*"))
def seal_audit_chain() -> int:
    return audit_seal()
