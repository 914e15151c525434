"""待办: what a person must act on, contributed by every app (ui.md "the platform tells people what
to
do").

Each app registers its sources in its `hooks.py`:

    @hooks.register("todo")          # staff: (user, today) -> iterable of Todo
    @hooks.register("member_todo")   # a member on the phone: (user, member, today) -> iterable

A source reads stored state through indexed queries (one or two per source, scoped to the user)
and returns items already grouped (one per rule and organization, not one per member). An item
disappears when the act is done because nothing here is stored: the list is the state.

Most sources have nothing for most people (a branch's worker approves no transfer and organizes no
class), yet each built its querysets on every 待办 page. A staff source may declare a gate with
`@gated(build)`: `build(scope)` returns the queryset (or several) whose rows the source reads,
without its ordering and limits, written over a `Scope` (the user, today, the user's subtrees). All
gates are asked in one statement compiled once per process (core.prepared), `EXISTS` per gate, and
a source whose gate finds no row is not run. A gate must find a row whenever its source would
return an item (it may find more: the source then runs and returns nothing);
tests/web/test_todo_gates.py compares every staff user's list with and without the gates.

A member's sources (on their 首页) are gated the same way with `@member_gated(build)`, over a
`MemberScope` (the member, their branch and the organizations above it): nine sources, of which a
member has work in one or two, asked in one statement instead of thirteen reads.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any, NamedTuple

from django.core.cache import cache
from django.db.models import Exists, Q, QuerySet

from dangjian.accounts import policy
from dangjian.accounts.models import User
from dangjian.core.lookups import successor
from dangjian.core.prepared import ANCESTOR_SLOTS, Prepared, ancestor_args

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


def _collect(name: str, *args: Any, skip: frozenset[Any] = frozenset()) -> list[Todo]:
    items: list[Todo] = []
    for source in hooks.get_hooks(name):
        if source in skip:
            continue
        found: Iterable[Todo] = source(*args)
        items.extend(found)
    items.sort(key=_sort_key)
    return items


def staff_todos(user: Any, today: date, *, gated: bool = True) -> TodoList:
    """Everything a staff user must act on, from every app, oldest deadline first. With `gated`
    (always, but in the test that proves the gates), sources whose gate finds nothing are not
    run."""
    skip = closed_sources(user, today) if gated else frozenset()
    return TodoList(_collect("todo", user, today, skip=skip), today)


def member_todos(user: Any, member: Any, today: date, *, gated: bool = True) -> TodoList:
    """What a member must do now (pay, sign in, study, answer), oldest deadline first. With
    `gated` (always, but in the test that proves the gates), sources whose gate finds nothing are
    not run. `member` carries its organization (members.selectors.own_member)."""
    skip = closed_member_sources(user, member, today) if gated else frozenset()
    return TodoList(_collect("member_todo", user, member, today, skip=skip), today)


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


# --- gates -------------------------------------------------------------------------------------

GATE_ACTIONS = ("change", "supervise")
# a user with more subtrees than this for an action (no one has) runs every source
GATE_ROOTS = 8

GateResult = QuerySet[Any] | list[QuerySet[Any] | None] | None


def gated(build: Callable[[Scope], GateResult]) -> Callable[[Any], Any]:
    """Declare the gate of a 待办 source (see the module's docstring): below `hooks.register`."""

    def decorator(fn: Any) -> Any:
        fn.todo_gate = build
        return fn

    return decorator


class _Dates:
    """The dates a gate is written over: `today`, `day(n)` (today + n days), `year(n)` (today's
    year + n), `month(n)` (this month's index, year × 12 + month − 1, + n) — the placeholders of
    the statement being compiled, or, while its arguments are being discovered (`_recording`),
    stand-ins that record which ones the gates use."""

    _days: dict[int, Any]
    _years: dict[int, Any]
    _months: dict[int, Any]
    _recording: bool

    @property
    def today(self) -> Any:
        return self.day(0)

    def _value(self, found: dict[int, Any], n: int, stand_in: Any) -> Any:
        if self._recording and n not in found:
            found[n] = stand_in
        return found[n]

    def day(self, n: int) -> Any:
        return self._value(self._days, n, date(2000, 1, 1) + timedelta(days=n))

    def year(self, n: int) -> Any:
        return self._value(self._years, n, 2000 + n)

    def month(self, n: int) -> Any:
        return self._value(self._months, n, 24_000 + n)


class Scope(_Dates):
    """What a gate is written over. `user_id`, `today`, `day(n)` (today + n days), `year(n)`
    (today's year + n); the user's subtrees for an action ("change" or "supervise"):
    `under(field)` (a path field within them), `strictly_below(field)` (within them, their tops
    excluded), `roots()` (the tops' paths, for `path__in`). Each returns None when the user has no
    subtree for the action: the gate then returns None (nothing to find).

    The values are the placeholders of the statement being compiled, or, while the statement's
    arguments are being discovered, stand-ins that record what the gates use."""

    def __init__(
        self,
        user_id: Any,
        days: dict[int, Any],
        years: dict[int, Any],
        bounds: dict[str, list[tuple[Any, Any]]],
        *,
        recording: bool = False,
    ):
        self.user_id = user_id
        self._days = days
        self._years = years
        self._months: dict[int, Any] = {}  # no staff gate counts months
        self._bounds = bounds
        self._recording = recording
        self.actions_used: set[str] = set()

    def _ranges(self, action: str) -> list[tuple[Any, Any]]:
        found = self._bounds.get(action, [])
        if found:
            self.actions_used.add(action)
        return found

    def _subtrees(self, field: str, action: str, *, tops: bool) -> Q | None:
        # the SQL of `field__under` (core.lookups): lo <= field < successor(lo)
        ranges = self._ranges(action)
        if not ranges:
            return None
        q = Q()
        for lo, hi in ranges:
            within = Q(**{f"{field}__gte": lo, f"{field}__lt": hi})
            q |= within if tops else within & ~Q(**{field: lo})
        return q

    def under(self, field: str, action: str = "change") -> Q | None:
        return self._subtrees(field, action, tops=True)

    def strictly_below(self, field: str, action: str = "change") -> Q | None:
        return self._subtrees(field, action, tops=False)

    def roots(self, action: str = "change") -> list[Any] | None:
        ranges = self._ranges(action)
        return [lo for lo, _ in ranges] or None


def _querysets(found: GateResult) -> list[QuerySet[Any]]:
    if found is None:
        return []
    if isinstance(found, QuerySet):
        return [found]
    return [qs for qs in found if qs is not None]


class _GateRead(NamedTuple):
    read: Prepared | None  # None: no gate can find anything for this shape
    columns: list[Any]  # the source each EXISTS column answers for, in order
    days: list[int]
    years: list[int]
    actions: list[str]


_READS: dict[tuple[Any, ...], _GateRead] = {}
TOP_PATH = 4  # the length of a path at the top of the tree (orgs' steplen; the web layer is below)


def _gate_read(sources: tuple[Any, ...], shape: tuple[int, ...]) -> _GateRead:
    """The statement asking every gate at once, for users with `shape` subtrees per action."""
    key = (sources, shape)
    found = _READS.get(key)
    if found is not None:
        return found
    # first, what the gates use: the days and years around today, the actions' subtrees
    stand_in = {
        a: [(f"{a}{i}", f"{a}{i}~") for i in range(n)]
        for a, n in zip(GATE_ACTIONS, shape, strict=True)
    }
    days: dict[int, Any] = {}
    years: dict[int, Any] = {}
    probe = Scope(0, days, years, stand_in, recording=True)
    layout = [(src, len(_querysets(src.todo_gate(probe)))) for src in sources]
    day_list, year_list = sorted(days), sorted(years)
    actions = [a for a in GATE_ACTIONS if a in probe.actions_used]
    columns = [src for src, n in layout for _ in range(n)]
    kinds: list[type] = [int, *[date] * len(day_list), *[int] * len(year_list)]
    for a in actions:
        kinds += [str, str] * shape[GATE_ACTIONS.index(a)]

    def build(user_id: Any, *rest: Any) -> QuerySet[Any]:
        it = iter(rest)
        scope_days = {d: next(it) for d in day_list}
        scope_years = {y: next(it) for y in year_list}
        bounds = {
            a: [(next(it), next(it)) for _ in range(shape[GATE_ACTIONS.index(a)])] for a in actions
        }
        scope = Scope(user_id, scope_days, scope_years, bounds)
        exists = [Exists(qs) for src in sources for qs in _querysets(src.todo_gate(scope))]
        names = {f"gate{i}": e for i, e in enumerate(exists)}
        return User.objects.filter(pk=user_id).annotate(**names).values_list(*names)

    read = Prepared(build, *kinds) if columns else None
    found = _GateRead(read, columns, day_list, year_list, actions)
    _READS[key] = found
    return found


def closed_sources(user: Any, today: date) -> frozenset[Any]:
    """The staff sources whose gate finds nothing for the user today: one statement."""
    sources = tuple(s for s in hooks.get_hooks("todo") if getattr(s, "todo_gate", None))
    if not sources or not getattr(user, "pk", None):
        return frozenset()
    roots = {a: policy.roots(user, a) for a in GATE_ACTIONS}
    if any(len(r) > GATE_ROOTS for r in roots.values()):
        return frozenset()
    g = _gate_read(sources, tuple(len(roots[a]) for a in GATE_ACTIONS))
    if g.read is None:
        return frozenset(sources)
    args: list[Any] = [user.pk]
    args += [today + timedelta(days=d) for d in g.days]
    args += [today.year + y for y in g.years]
    for a in g.actions:
        for r in roots[a]:
            args += [r, successor(r)]
    # a scope at the top of the tree (a city's or a province's root) is planned for its values:
    # the generic plan that suits a branch or a district reads the whole tree there
    top = any(len(r) <= TOP_PATH for rs in roots.values() for r in rs)
    rows = g.read.rows(*args, for_values=top)
    if not rows:
        return frozenset()  # the account went away meanwhile: ask every source
    open_ = {src for src, yes in zip(g.columns, rows[0], strict=True) if yes}
    return frozenset(s for s in sources if s not in open_)


# --- a member's gates -----------------------------------------------------------------------------


def member_gated(build: Callable[[MemberScope], GateResult]) -> Callable[[Any], Any]:
    """Declare the gate of a member's 待办 source: below `hooks.register("member_todo")`. As with a
    staff gate, `build(scope)` returns the rows the source reads (no ordering or limits needed),
    and must find a row whenever the source would return an item."""

    def decorator(fn: Any) -> Any:
        fn.member_gate = build
        return fn

    return decorator


class MemberScope(_Dates):
    """What a member source's gate is written over: `user_id`, `member_id`, `branch_id` (the
    member's organization), `branch_path`, `branch_next` (the path after its subtree),
    `group_depth` (its groups' depth), `paths` (the paths of the branch and of every organization
    above it, padded to ANCESTOR_SLOTS: for `path__in`), and the dates (`_Dates`)."""

    def __init__(
        self,
        ids: tuple[Any, ...],
        days: dict[int, Any],
        years: dict[int, Any],
        months: dict[int, Any],
        *,
        recording: bool = False,
    ):
        (
            self.user_id,
            self.member_id,
            self.branch_id,
            self.branch_path,
            self.branch_next,
            self.group_depth,
            *paths,
        ) = ids
        self.paths = tuple(paths)
        self._days = days
        self._years = years
        self._months = months
        self._recording = recording


# the member's ids, the branch's path, its successor and its groups' depth, then the paths above
_MEMBER_IDS: tuple[type, ...] = (int, int, int, str, str, int, *(str,) * ANCESTOR_SLOTS)


class _MemberGateRead(NamedTuple):
    read: Prepared | None
    columns: list[Any]
    days: list[int]
    years: list[int]
    months: list[int]


_MEMBER_READS: dict[tuple[Any, ...], _MemberGateRead] = {}


def _member_gate_read(sources: tuple[Any, ...]) -> _MemberGateRead:
    """The statement asking every member source's gate at once (one shape: the paths above are
    padded)."""
    found = _MEMBER_READS.get(sources)
    if found is not None:
        return found
    stand_ins = (0, 0, 0, "p", "p~", 1, *(f"p{i}" for i in range(ANCESTOR_SLOTS)))
    days: dict[int, Any] = {}
    years: dict[int, Any] = {}
    months: dict[int, Any] = {}
    probe = MemberScope(stand_ins, days, years, months, recording=True)
    layout = [(src, len(_querysets(src.member_gate(probe)))) for src in sources]
    day_list, year_list, month_list = sorted(days), sorted(years), sorted(months)
    columns = [src for src, n in layout for _ in range(n)]
    kinds: list[type] = [
        *_MEMBER_IDS,
        *[date] * len(day_list),
        *[int] * (len(year_list) + len(month_list)),
    ]

    def build(*args: Any) -> QuerySet[Any]:
        ids, rest = args[: len(_MEMBER_IDS)], iter(args[len(_MEMBER_IDS) :])
        scope = MemberScope(
            ids,
            {d: next(rest) for d in day_list},
            {y: next(rest) for y in year_list},
            {m: next(rest) for m in month_list},
        )
        exists = [Exists(qs) for src in sources for qs in _querysets(src.member_gate(scope))]
        names = {f"gate{i}": e for i, e in enumerate(exists)}
        return User.objects.filter(pk=scope.user_id).annotate(**names).values_list(*names)

    read = Prepared(build, *kinds) if columns else None
    found = _MemberGateRead(read, columns, day_list, year_list, month_list)
    _MEMBER_READS[sources] = found
    return found


def closed_member_sources(user: Any, member: Any, today: date) -> frozenset[Any]:
    """The member sources whose gate finds nothing for the member today: one statement."""
    sources = tuple(s for s in hooks.get_hooks("member_todo") if getattr(s, "member_gate", None))
    if not sources or not getattr(user, "pk", None):
        return frozenset()
    org = member.organization
    paths = ancestor_args(org.path, org.steplen)
    if paths is None:
        return frozenset()  # a tree deeper than the padded paths (none is): ask every source
    g = _member_gate_read(sources)
    if g.read is None:
        return frozenset(sources)
    this_month = today.year * 12 + today.month - 1
    rows = g.read.rows(
        user.pk,
        member.pk,
        org.pk,
        org.path,
        successor(org.path),
        org.depth + 1,
        *paths,
        *[today + timedelta(days=d) for d in g.days],
        *[today.year + y for y in g.years],
        *[this_month + m for m in g.months],
    )
    if not rows:
        return frozenset()  # the account went away meanwhile: ask every source
    open_ = {src for src, yes in zip(g.columns, rows[0], strict=True) if yes}
    return frozenset(s for s in sources if s not in open_)
