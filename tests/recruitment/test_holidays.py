"""The holiday calendar from the chinese-calendar package (issue 15, item 9): the State Council's
schedule is loaded, the system admin only corrects it and the correction stays, working days
follow it, and a year the package does not know is named in the system admin's 待办."""

from __future__ import annotations

from datetime import date

import pytest
from django.urls import reverse

from dangjian.recruitment import holidays, services
from dangjian.recruitment.models import Holiday
from dangjian.recruitment.selectors import working_days
from dangjian.web.todo import staff_todos
from tests.conftest import login

pytestmark = pytest.mark.django_db


def test_the_state_council_schedule_is_loaded_and_corrections_stay(users):
    Holiday.objects.all().delete()
    n = holidays.holidays_load()
    assert n > 50
    national = Holiday.objects.get(day=date(2025, 10, 1))
    assert (national.workday, national.name, national.source) == (False, "国庆节", "calendar")
    makeup = Holiday.objects.get(day=date(2025, 9, 28))  # a Sunday worked for National Day
    assert makeup.workday
    # the National Day holiday 2025: 1-8 October off, Sunday 28 September and Saturday 11
    # October worked: 9-28, 9-29, 9-30, 10-9, 10-10, 10-11
    assert working_days(date(2025, 9, 27), date(2025, 10, 12)) == 6
    assert holidays.holidays_load() == 0  # idempotent
    services.holiday_set(
        actor=users["system_admin"], day=date(2025, 10, 8), workday=True, name="本地调整"
    )
    assert holidays.holidays_load() == 0
    fixed = Holiday.objects.get(day=date(2025, 10, 8))
    assert (fixed.workday, fixed.name, fixed.source) == (True, "本地调整", "admin")


def test_a_year_the_package_does_not_know_is_in_the_system_admin_todo(users, monkeypatch):
    monkeypatch.setattr(holidays, "known_years", lambda: {2024, 2025})
    today = date(2025, 11, 20)  # from November the next year is needed
    assert holidays.missing_years(today) == [2026]
    items = staff_todos(users["system_admin"], today).items
    assert [t.title for t in items] == ["2026年节假日安排尚未载入"]
    assert staff_todos(users["committee_staff"], today).of_kind("system") == []
    # days entered by hand for that year answer it
    services.holiday_set(
        actor=users["system_admin"], day=date(2026, 1, 1), workday=False, name="元旦"
    )
    assert holidays.missing_years(today) == []


def test_the_system_admin_lands_on_the_todo_page_with_the_missing_year(client, users, monkeypatch):
    monkeypatch.setattr(holidays, "known_years", lambda: set())
    login(client, users["system_admin"])
    body = client.get(reverse("portal:home")).content.decode()
    assert "节假日安排尚未载入" in body
    assert reverse("recruitment:holidays") in body
    page = client.get(reverse("recruitment:holidays")).content.decode()
    assert "日历包尚未包含" in page
