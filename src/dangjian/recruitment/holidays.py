"""The holiday calendar for counting working days (公示期 and other notices): from the
chinese-calendar package, which follows the State Council's yearly schedule (国务院办公厅关于放假
安排的通知); the system admin only corrects it. A year the package does not know yet is named in
the system admin's 待办 until the package is upgraded or the days are entered by hand."""

from __future__ import annotations

from datetime import date
from typing import Any

import chinese_calendar
from django.db import transaction

from dangjian.audit.services import audit_record

from .models import Holiday, HolidaySource

FIRST_YEAR = 2020  # earlier years are not needed for the records the platform keeps
NAMES = {
    "New Year's Day": "元旦",
    "Spring Festival": "春节",
    "Tomb-sweeping Day": "清明节",
    "Labour Day": "劳动节",
    "Dragon Boat Festival": "端午节",
    "National Day": "国庆节",
    "Mid-autumn Festival": "中秋节",
    "Anti-Fascist 70th Day": "抗战胜利70周年纪念日",
}


def known_years() -> set[int]:
    """The years the installed package knows the State Council's schedule for."""
    return {d.year for d in chinese_calendar.holidays} | {d.year for d in chinese_calendar.workdays}


def calendar_days(years: set[int]) -> dict[date, tuple[bool, str]]:
    """The package's special days in those years: a holiday on a weekday, a make-up working day
    on a weekend — day → (workday, name)."""
    out: dict[date, tuple[bool, str]] = {}
    for d, name in chinese_calendar.holidays.items():
        if d.year in years and d.weekday() < 5:
            out[d] = (False, NAMES.get(name, name))
    for d, name in chinese_calendar.workdays.items():
        if d.year in years and d.weekday() >= 5:
            out[d] = (True, f"{NAMES.get(name, name)}调休上班")
    return out


@transaction.atomic
def holidays_load(*, actor: Any = None, years: set[int] | None = None) -> int:
    """Write the package's days for the years it knows (from FIRST_YEAR), leaving the admin's
    corrections alone; idempotent. Returns the number of days written or changed."""
    years = {y for y in (years or known_years()) if y >= FIRST_YEAR}
    wanted = calendar_days(years)
    existing = {h.day: h for h in Holiday.objects.filter(day__year__in=sorted(years))}
    creates, updates = [], []
    for d, (workday, name) in sorted(wanted.items()):
        h = existing.get(d)
        if h is None:
            creates.append(
                Holiday(day=d, workday=workday, name=name, source=HolidaySource.CALENDAR)
            )
        elif h.source == HolidaySource.CALENDAR and (h.workday, h.name) != (workday, name):
            h.workday, h.name = workday, name
            updates.append(h)
    # days the package no longer lists (a schedule corrected upstream) go, unless corrected here
    stale = [
        h.pk for d, h in existing.items() if h.source == HolidaySource.CALENDAR and d not in wanted
    ]
    Holiday.objects.bulk_create(creates)
    Holiday.objects.bulk_update(updates, ["workday", "name"])
    Holiday.objects.filter(pk__in=stale).delete()
    changed = len(creates) + len(updates) + len(stale)
    if changed:
        audit_record(
            actor=actor,
            action="recruitment.holidays_load",
            data={"years": sorted(years), "created": len(creates), "changed": len(updates)},
        )
    return changed


def missing_years(today: date) -> list[int]:
    """Years that need a calendar and that the package does not know, with nothing entered by
    hand: this year, and from November (when the State Council publishes it) the next one."""
    needed = [today.year] + ([today.year + 1] if today.month >= 11 else [])
    known = known_years()
    entered = set(
        Holiday.objects.filter(day__year__in=needed, source=HolidaySource.ADMIN).dates(
            "day", "year"
        )
    )
    entered_years = {d.year for d in entered}
    return [y for y in needed if y not in known and y not in entered_years]
