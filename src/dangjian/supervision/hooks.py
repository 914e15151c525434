"""supervision's contributions to other apps' pages (see `web.hooks`)."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.urls import reverse

from dangjian.web import hooks

from .selectors import overdue_count


@hooks.register("dashboard_cards")
def overdue_tasks(organization: Any, today: date) -> hooks.Card:
    n = overdue_count(organization, today)
    return hooks.Card("逾期督办", n, reverse("supervision:list"), alert=n > 0)
