"""Jobs of the core: next year's partitions of the large tables, created ahead (PostgreSQL)."""

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from .partitions import partitions_ahead


@db_periodic_task(crontab(hour="1", minute="15"))
def partitions_created_ahead() -> dict:
    """Nightly: this year's and next year's partitions exist for every partitioned table."""
    return partitions_ahead()
