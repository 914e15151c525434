"""A bundle's date cells: each text parsed once per import, every bad cell still reported."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.utils import timezone

from dangjian.core.bundle import BundleContext
from dangjian.core.dates import parse_date
from dangjian.core.errors import FieldError


def test_a_repeated_date_is_parsed_once_and_every_bad_cell_is_reported() -> None:
    ctx = BundleContext(tables={})
    first = ctx.date("fees.csv", 2, "paid_on", "2026-01-15", "缴纳日期")
    again = ctx.date("fees.csv", 3, "paid_on", "2026-01-15", "缴纳日期")
    assert first == again == date(2026, 1, 15)
    assert ctx._dates == {"2026-01-15": date(2026, 1, 15)}
    # a bad text is not remembered: each of its lines gets its own issue
    assert ctx.date("fees.csv", 4, "paid_on", "2026-02-30", "缴纳日期") is None
    assert ctx.date("fees.csv", 5, "paid_on", "2026-02-30", "缴纳日期") is None
    assert [(i.row, i.reason) for i in ctx.issues] == [
        (4, "缴纳日期“2026-02-30”不是存在的日期"),
        (5, "缴纳日期“2026-02-30”不是存在的日期"),
    ]
    # an empty optional cell is no date and no issue; a required one is an issue
    assert ctx.date("fees.csv", 6, "paid_on", "", "缴纳日期", required=False) is None
    assert ctx.date("fees.csv", 7, "paid_on", "", "缴纳日期") is None
    assert ctx.issues[-1].reason == "缴纳日期不能为空"


def test_the_future_is_judged_against_the_day_the_import_began() -> None:
    today = timezone.localdate()
    tomorrow = (today + timedelta(days=1)).isoformat()
    ctx = BundleContext(tables={})
    assert ctx.date("fees.csv", 2, "paid_on", tomorrow, "缴纳日期") is None
    assert ctx.issues[0].reason == f"缴纳日期“{tomorrow}”晚于今天"
    assert ctx.date("fees.csv", 3, "paid_on", today.isoformat(), "缴纳日期") == today
    # parse_date with an explicit today: a date after it is refused, whatever the clock says
    assert parse_date("2020-05-01", "日期", today=date(2020, 6, 1)) == date(2020, 5, 1)
    with pytest.raises(FieldError, match="日期“2020-07-01”晚于今天"):
        parse_date("2020-07-01", "日期", today=date(2020, 6, 1))
