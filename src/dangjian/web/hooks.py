"""Hooks: what an app adds to pages it does not own, without the page importing the app.

The pattern is Wagtail's `wagtail_hooks.py`: each app may have a `hooks.py` that registers
functions under a hook name; the toolkit imports every app's `hooks.py` when the apps are ready
(`autodiscover_modules("hooks")`), and a page asks for the functions registered under a name.
So a lower app (compliance's dashboard, the portal's 工作台) shows what a higher one contributes
(supervision's overdue tasks) and the import runs upward only, from the contributing app.

Hook names and what their functions take and return:

- ``dashboard_cards``: ``(organization, today) -> Card`` — a figure on the monitoring dashboard.
- ``member_facts``: ``(member, user) -> [(label, value, url)]`` — a line about the member on the
  member's page (url: where the user may change it, or "").
- ``org_facts``: ``(organization, user) -> [(label, value, url)]`` — a line about the organization
  on its page (url: where to see more, or "").
- ``member_appraisal_notes``: ``(member_ids, year) -> {member_id: str}`` — what others say of a
  member's year, shown beside the member when the branch grades 民主评议 (the community's yearly
  appraisal of members who serve where they live).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.utils.module_loading import autodiscover_modules

_hooks: dict[str, list[Callable[..., Any]]] = defaultdict(list)


@dataclass(frozen=True)
class Card:
    """A figure on a page: a label, a number, where it leads, and whether it needs attention."""

    label: str
    value: int
    url: str = ""
    alert: bool = False


def register(name: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    def decorator(fn: Callable[..., Any]) -> Callable[..., Any]:
        if fn not in _hooks[name]:
            _hooks[name].append(fn)
        return fn

    return decorator


def get_hooks(name: str) -> list[Callable[..., Any]]:
    return list(_hooks.get(name, ()))


def autodiscover() -> None:
    autodiscover_modules("hooks")
