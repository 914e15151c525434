"""Calendar arithmetic used by the rules: "month + n" clamps to the month's end (Jan 31 + 1 = Feb
28)."""

from __future__ import annotations

import calendar
import re
from datetime import date

from django.utils import timezone

from .errors import FieldError

_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def add_months(d: date, months: int) -> date:
    total = d.year * 12 + (d.month - 1) + months
    year, month = divmod(total, 12)
    month += 1
    day = min(d.day, calendar.monthrange(year, month)[1])
    return date(year, month, day)


def format_cn(d: date | None) -> str:
    """2026年1月15日."""
    if d is None:
        return ""
    return f"{d.year}年{d.month}月{d.day}日"


def months_between(start: date, end: date) -> int:
    """Whole calendar months from start to end: the largest m with start + m months <= end (0 if
    end < start)."""
    if end <= start:
        return 0
    m = (end.year - start.year) * 12 + (end.month - start.month)
    while m > 0 and add_months(start, m) > end:
        m -= 1
    return m


def parse_date(
    value: str,
    label: str,
    *,
    allow_future: bool = False,
    required: bool = True,
    today: date | None = None,
) -> date | None:
    """A YYYY-MM-DD date typed or imported as text; FieldError names `label` and the reason.

    `today` (the bound of a date not in the future) is the local date unless given: a caller
    parsing many dates at once (an import) reads it once."""
    value = (value or "").strip()
    if not value:
        if required:
            raise FieldError(f"{label}不能为空")
        return None
    if not _ISO_DATE.fullmatch(value):
        raise FieldError(f"{label}“{value}”不是 YYYY-MM-DD 格式的日期")
    try:
        d = date.fromisoformat(value)
    except ValueError as exc:
        raise FieldError(f"{label}“{value}”不是存在的日期") from exc
    if d.year < 1900:
        raise FieldError(f"{label}“{value}”早于1900年")
    if not allow_future and d > (today or timezone.localdate()):
        raise FieldError(f"{label}“{value}”晚于今天")
    return d
