"""Periodic jobs fire at the deployment's local hours (TIME_ZONE, Asia/Shanghai): Huey matches
its crontabs against UTC unless told otherwise, which put the "02:30" nightly scan at 10:30 in the
morning in China, in the middle of the working day."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.utils import timezone
from huey.contrib.djhuey import HUEY

from dangjian.compliance.tasks import daily_scan
from dangjian.core.tasks import partitions_created_ahead


def test_the_job_clock_is_the_local_clock() -> None:
    assert HUEY.utc is False
    local_now = timezone.localtime().replace(tzinfo=None)
    assert abs(HUEY._get_timestamp() - local_now) < timedelta(minutes=1)


def _due(task: Any, hour: int, minute: int) -> bool:
    """Whether the job is due at this local hour (Huey hands its crontab naive local times)."""
    at = timezone.make_naive(datetime(2026, 12, 5, hour, minute, tzinfo=ZoneInfo("Asia/Shanghai")))
    return bool(task.s().validate_datetime(at))


def test_nightly_jobs_are_due_at_night_local_time() -> None:
    assert _due(daily_scan, 2, 30)
    assert not _due(daily_scan, 10, 30)
    assert _due(partitions_created_ahead, 1, 15)
