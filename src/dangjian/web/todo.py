"""待办: what a person must act on, contributed by every app (ui.md "the platform tells people what
to
do").

Each app registers its sources in its `hooks.py`:

    @hooks.register("todo")          # staff: (user, today) -> iterable of Todo
    @hooks.register("member_todo")   # a member on the phone: (user, member, today) -> iterable

A source reads stored state through indexed queries (one or two per source, scoped to the user)
and returns items already grouped (one per rule and organization, not one per member). An item
disappears when the act is done because nothing here is stored: the list is the state.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.core.cache import cache

from . import hooks

# the kinds, in the order their counts are shown on top of the list
KINDS: dict[str, str] = {
    "finding": "预警整改",
    "supervision": "督查督办",
    "transfer": "组织关系转接",
    "recruitment": "发展党员",
    "fees": "党费",
    "meeting": "组织生活",
    "organization": "组织建设",
    "account": "党员账号",
    "member": "党员信息",
    "import": "数据导入",
    "system": "系统管理",
    "community": "近邻党建",
    "villages": "组团帮扶",
    "enterprises": "非公党建",
    "academy": "党建学院",
    # a member's own
    "pay": "交纳党费",
    "study": "学习",
    "opinion": "意见建议",
}


@dataclass(frozen=True)
class Todo:
    """One thing to do: what, where, by when, and the page where it is done."""

    kind: str
    title: str  # what to do, as an instruction ("审批转接申请")
    url: str
    organization: str = ""
    deadline: date | None = None
    count: int = 1  # how many records the item stands for (members, letters, …)
    detail: str = ""
    severity: str = ""  # red / yellow for findings
    action: str = "去办理"  # the button's label
    # a superior's explicit instruction (督办) comes before the routine work, whatever the dates
    urgent: bool = False

    @property
    def kind_label(self) -> str:
        return KINDS.get(self.kind, self.kind)

    def overdue_on(self, today: date) -> bool:
        return self.deadline is not None and self.deadline < today


@dataclass
class TodoList:
    items: list[Todo] = field(default_factory=list)
    today: date | None = None

    @property
    def total(self) -> int:
        return len(self.items)

    def counts(self) -> list[tuple[str, str, int]]:
        """(kind, label, items) in the order of KINDS, kinds with items only."""
        c = Counter(t.kind for t in self.items)
        return [(k, label, c[k]) for k, label in KINDS.items() if c[k]]

    def of_kind(self, kind: str) -> list[Todo]:
        return [t for t in self.items if t.kind == kind] if kind else self.items

    def overdue(self) -> int:
        return sum(1 for t in self.items if self.today and t.overdue_on(self.today))


def _sort_key(t: Todo) -> tuple[int, int, date, int, str]:
    # a superior's 督办 first; then the oldest deadline first, red before yellow on the same day;
    # items without a deadline last
    return (
        0 if t.urgent else 1,
        0 if t.deadline else 1,
        t.deadline or date.max,
        0 if t.severity == "red" else 1,
        t.title,
    )


def _collect(name: str, *args: Any) -> list[Todo]:
    items: list[Todo] = []
    for source in hooks.get_hooks(name):
        found: Iterable[Todo] = source(*args)
        items.extend(found)
    items.sort(key=_sort_key)
    return items


def staff_todos(user: Any, today: date) -> TodoList:
    """Everything a staff user must act on, from every app, oldest deadline first."""
    return TodoList(_collect("todo", user, today), today)


def member_todos(user: Any, member: Any, today: date) -> TodoList:
    """What a member must do now (pay, sign in, study, answer), oldest deadline first."""
    return TodoList(_collect("member_todo", user, member, today), today)


# The count on the bell, on every page: kept in the cache for a minute (per process by default,
# shared through Redis when REDIS_URL is set); dropped when someone hands work to the person
# (a notice) and after each of their own POSTs, so an act shows at once.
COUNT_SECONDS = 60


def _key(user_id: int) -> str:
    return f"todo:count:{user_id}"


def remember_count(user: Any, n: int) -> None:
    cache.set(_key(user.pk), n, COUNT_SECONDS)


def forget_count(user_ids: Iterable[int]) -> None:
    cache.delete_many([_key(uid) for uid in user_ids])


def staff_count(user: Any, today: date) -> int:
    n = cache.get(_key(user.pk))
    if n is None:
        n = staff_todos(user, today).total
        remember_count(user, n)
    return int(n)
