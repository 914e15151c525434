"""Reads that run on every page, compiled to SQL once per process.

Django builds and compiles a queryset each time it runs: for the handful of reads that every page
makes (the session, the signed-in user, their grants, the unread count on the bell, a member's 待办
sources) that Python costs several times more than the database does (about 0.3–0.5 ms against
tens of µs). A `Prepared` read is written as an ordinary queryset, built once per process and
database kind with placeholder values in place of its arguments; its SQL and the ORM's converters
are kept (they turn 0/1 into booleans, ISO text into dates, JSON text into values, the same for
every connection of the database), and each call runs that SQL with the real values through the
calling thread's cursor and converts the rows as the ORM would. Same SQL, same values, none of the
query building on the hot path.

Arguments are ids (int), text (str) or dates (date), passed whole to the lookups: a value
computed from an argument inside the build (`today + timedelta(days=7)`) would be kept as a
constant, so it is passed as an argument of its own. The read is built twice with different
placeholders: a parameter must be the same in both builds (a constant) or the placeholder in both
(an argument); anything else — a value computed from an argument, `timezone.now()` inside the
build — is refused when the read first runs, as is an argument that does not reach the SQL.
Integer arguments are passed as given: one outside its column's range is an error of the
database, not an empty result as with the ORM (callers pass ids and years, never raw input).

On PostgreSQL a read is sent with its parameters bound on the server (psycopg's `Cursor`, where
Django's queries bind them in the client), so psycopg prepares it after `prepare_threshold` runs
on a connection and the server stops parsing and planning it on every page: 待办's statement
asking every source's gate (web.todo) spent 3 ms of 4 planning. Without the option
(`DANGJIAN_PG_PREPARE=0`, for a connection pooler in transaction mode that cannot keep prepared
statements; docs/deployment.md) reads go through Django's cursor as on SQLite.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from typing import Any, NamedTuple, TypeVar

from django.db import connections, models
from django.db.models import QuerySet
from django.utils.asyncio import async_unsafe

M = TypeVar("M", bound=models.Model)

# Placeholders: integers within the range of a small integer column (Django answers an integer
# lookup outside its field's range without asking the database: a year in a SmallIntegerField) and
# unlike any id or count a read holds as a constant; strings no text column holds; dates in the
# eleventh century.
_BASE = 32_101
_YEAR = 1001
_TEXT = "\x00prepared:"


def _mark(i: int, kind: str, round_: int) -> Any:
    """The placeholder for argument `i` in build `round_` (0 or 1)."""
    # the two builds differ in every digit and date part a build might compute from them
    if kind == "int":
        return (_BASE if round_ == 0 else 30_977) + i
    if kind == "date":
        return date(_YEAR + i, 1, 1) if round_ == 0 else date(1103 + i, 2, 2)
    return f"{_TEXT}{round_}:{i}\x00"


class _Compiled(NamedTuple):
    sql: str
    constants: list[Any]
    # per parameter: (argument, how it is passed) or None for a constant kept as compiled
    slots: list[tuple[int, Callable[[Any], Any]] | None]
    converters: list[Any]
    columns: int


def _same(value: Any) -> Any:
    return value


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


_OF_KIND: dict[str, Callable[[Any], bool]] = {
    "int": _is_int,
    "str": lambda a: isinstance(a, str),
    # `date` and `datetime` looked up when called: under a test clock they are its classes
    "date": lambda a: isinstance(a, date) and not isinstance(a, datetime),
}


class Prepared:
    """`Prepared(lambda member_id, today: ..., int, date)`: a read with an id and a date."""

    def __init__(self, build: Callable[..., QuerySet[Any]], *kinds: type, using: str = "default"):
        if any(k not in (int, str, date) for k in kinds):
            raise TypeError("prepared read: arguments are int, str or date")
        self.build = build
        # kept by name, not as classes: a test clock (freezegun) replaces `date` in every module
        # while it runs, so a class compared by identity would no longer be `date`
        self.kinds = tuple({int: "int", str: "str", date: "date"}[k] for k in kinds)
        self.using = using
        self._compiled: dict[str, _Compiled] = {}

    def _compile(self) -> _Compiled:
        connection = connections[self.using]
        key = connection.vendor  # one per database kind, whatever the thread
        found = self._compiled.get(key)
        if found is not None:
            return found
        # built twice with different placeholders: a parameter equal in both builds is a
        # constant; one that is the placeholder in both is an argument's slot; anything else
        # (a value computed from an argument, the time of the first build) is refused
        marks = [_mark(i, k, 0) for i, k in enumerate(self.kinds)]
        other = [_mark(i, k, 1) for i, k in enumerate(self.kinds)]
        compiler = self.build(*marks).query.get_compiler(using=self.using)
        sql, params = compiler.as_sql()
        sql2, params2 = self.build(*other).query.get_compiler(using=self.using).as_sql()
        if sql2 != sql or len(params2) != len(params):
            raise ValueError("prepared read: the SQL depends on the arguments' values")
        slots: list[tuple[int, Callable[[Any], Any]] | None] = []
        for p, p2 in zip(params, params2, strict=True):
            if type(p) is type(p2) and p == p2:
                slots.append(None)  # a constant
                continue
            slot: tuple[int, Callable[[Any], Any]] | None = None
            for i, (m, m2) in enumerate(zip(marks, other, strict=True)):
                if isinstance(m, int):
                    if _is_int(p) and _is_int(p2) and (int(p), int(p2)) == (m, m2):
                        # as compiled: psycopg's Int4/Int8 where Django's PostgreSQL backend
                        # wraps an integer
                        slot = (i, type(p))
                elif type(p) is type(m) and (p, p2) == (m, m2):
                    slot = (i, _same)
                elif (
                    isinstance(m, date)
                    and isinstance(p, str)
                    and (p, p2)
                    == (
                        connection.ops.adapt_datefield_value(m),
                        connection.ops.adapt_datefield_value(m2),
                    )
                ):
                    # a date reaches SQLite as its ISO text (the backend adapts it)
                    slot = (i, connection.ops.adapt_datefield_value)
            if slot is None:
                raise ValueError(
                    f"prepared read: parameter {p!r} is computed from an argument or changes "
                    "between builds; pass it as an argument of its own"
                )
            slots.append(slot)
        missing = set(range(len(marks))) - {s[0] for s in slots if s is not None}
        if missing:
            raise ValueError(f"prepared read: arguments {sorted(missing)} are not parameters")
        columns = [s[0] for s in compiler.select[: compiler.col_count]]
        converters = list(compiler.get_converters(columns).items())
        found = _Compiled(sql, list(params), slots, converters, compiler.col_count)
        self._compiled[key] = found
        return found

    def rows(self, *args: Any, for_values: bool = False) -> list[tuple[Any, ...]]:
        """The rows, each a tuple of the selected columns' values, converted as the ORM does.

        `for_values`: the values are bound in the client, so that PostgreSQL plans the statement
        for them rather than using the prepared generic plan (a scope so wide that the generic
        plan is the wrong one: 待办's gate at a province's root, 1.4 s against 87 ms)."""
        if len(args) != len(self.kinds):
            raise TypeError(f"prepared read takes {len(self.kinds)} arguments, {len(args)} given")
        for a, k in zip(args, self.kinds, strict=True):
            if not _OF_KIND[k](a):
                raise TypeError(f"prepared read: {a!r} is not {k}")
        c = self._compile()
        connection = connections[self.using]
        params = [
            c.constants[n] if slot is None else slot[1](args[slot[0]])
            for n, slot in enumerate(c.slots)
        ]
        with connection.cursor() if for_values else _cursor(connection) as cursor:
            cursor.execute(c.sql, params)
            fetched = cursor.fetchall()
        if connection.queries_logged and connection.vendor == "postgresql" and not for_values:
            _log_sql(connection, c.sql, params)
        if not c.converters:
            return [tuple(r) for r in fetched]
        out = []
        for r in fetched:
            row = list(r)
            for pos, (funcs, expression) in c.converters:
                value = row[pos]
                for convert in funcs:
                    value = convert(value, expression, connection)
                row[pos] = value
            out.append(tuple(row))
        return out

    def instances(self, model: type[M], *args: Any, extra: tuple[str, ...] = ()) -> list[M]:
        """For a read of whole rows of `model` (no select_related, nothing deferred): the model
        instances, as the queryset would give them. `extra`: the names of the read's
        annotations, in order, set on each instance as the queryset would."""
        return self.instances_related(model, (), *args, extra=extra)

    def instances_joined(
        self, model: type[M], field: str, related: type[models.Model], *args: Any
    ) -> list[M]:
        """For a read of whole rows of `model` with `select_related(field)` (a non-null foreign
        key to `related`, nothing deferred): the instances with the related one attached, as the
        queryset would give them, in one statement instead of two."""
        return self.instances_related(model, ((field, related),), *args)

    def instances_related(
        self,
        model: type[M],
        joins: tuple[tuple[str, type[models.Model]], ...],
        *args: Any,
        extra: tuple[str, ...] = (),
    ) -> list[M]:
        """For a read of whole rows of `model` with `select_related(*fields)` (non-null foreign
        keys of `model` itself, nothing deferred), `joins` naming each field and its model in
        the order of the fields on `model` (the order of the read's columns): the instances with
        each related one attached, as the queryset would give them. `extra`: the names of the
        read's annotations, in order (the ORM selects them after the model's columns and before
        the related ones), set on each instance."""
        names = [f.attname for f in model._meta.concrete_fields]
        others = [
            (field, related, [f.attname for f in related._meta.concrete_fields])
            for field, related in joins
        ]
        width = len(names) + len(extra) + sum(len(o[2]) for o in others)
        if self._compile().columns != width:
            raise ValueError("prepared read: not a read of whole rows of " + model.__name__)
        out = []
        for row in self.rows(*args):
            obj = model.from_db(self.using, names, row[: len(names)])
            at = len(names)
            for name in extra:
                setattr(obj, name, row[at])
                at += 1
            for field, related, columns in others:
                end = at + len(columns)
                setattr(obj, field, related.from_db(self.using, columns, row[at:end]))
                at = end
            out.append(obj)
        return out

    def sql(self) -> str:
        """The kept SQL (for tests and EXPLAIN)."""
        return self._compile().sql


def generic_plans(sender: Any, connection: Any, **kwargs: Any) -> None:
    """On a new PostgreSQL connection where reads are prepared: one plan per prepared read, made
    once for any values. The reads look rows up by ids and path ranges, and PostgreSQL's own choice
    (a generic plan only when its estimate is no worse than the plans made for the values) kept
    re-planning 待办's gate statement on every page: 2.7 ms of planning for 0.8 of execution. Set
    with a statement, not as a startup option, which connection poolers refuse. Connected in
    CoreConfig.ready to `connection_created`."""
    if (
        connection.vendor == "postgresql"
        and connection.settings_dict["OPTIONS"].get("prepare_threshold") is not None
    ):
        with connection.cursor() as cur:
            cur.execute("SET plan_cache_mode = force_generic_plan")


@async_unsafe
def _cursor(connection: Any) -> Any:
    """Django's cursor, but on PostgreSQL one that binds the parameters on the server (and so lets
    psycopg prepare a statement it has seen run `prepare_threshold` times on the connection),
    wrapped as Django wraps its own (query logging, error translation)."""
    if (
        connection.vendor != "postgresql"
        or connection.settings_dict["OPTIONS"].get("prepare_threshold") is None
    ):
        return connection.cursor()
    # imported here: psycopg and Django's PostgreSQL backend are not loaded on SQLite
    from django.db.backends.postgresql.base import ServerBindingCursor  # noqa: PLC0415
    from django.db.backends.postgresql.psycopg_any import register_tzloader  # noqa: PLC0415
    from psycopg.postgres import types  # noqa: PLC0415
    from psycopg.pq import Format  # noqa: PLC0415

    connection.close_if_health_check_failed()
    connection.ensure_connection()
    with connection.wrap_database_errors:
        raw = ServerBindingCursor(connection.connection)  # type: ignore[call-arg]
        # as Django's create_cursor: the connection's time zone for timestamps read
        loader = connection.connection.adapters.get_loader(types["timestamptz"].oid, Format.TEXT)
        if connection.timezone != loader.timezone:
            register_tzloader(connection.timezone, raw)
        connection.validate_thread_sharing()
        if connection.queries_logged:
            return connection.make_debug_cursor(raw)
        return connection.make_cursor(raw)


def _log_sql(connection: Any, sql: str, params: list[Any]) -> None:
    """Where queries are logged (DEBUG, tests): the statement with its values, as Django logs its
    own (Django's log of a server-bound statement holds `$1` placeholders, or no text at all once
    the statement is prepared)."""
    if connection.queries_log:
        connection.queries_log[-1]["sql"] = connection.ops.compose_sql(sql, params)


class PreparedLists:
    """A read over a list whose length varies from one caller to the next (a user's subtrees: one
    for nearly everyone), with further arguments: `build(values, *args)` gets the list of
    placeholders first. One `Prepared` per length up to `most`; `rows` answers [] for an empty
    list (the builds read `IN (values)`, which matches nothing), and None for a list longer than
    `most` (no one has one), where the caller takes the ORM's way."""

    def __init__(
        self, build: Callable[..., QuerySet[Any]], item: type, *kinds: type, most: int = 8
    ):
        self.build = build
        self.item = item
        self.kinds = kinds
        self.most = most
        self._reads: dict[int, Prepared] = {}

    def _read(self, n: int) -> Prepared:
        found = self._reads.get(n)
        if found is None:
            build = self.build
            found = Prepared(lambda *a: build(list(a[:n]), *a[n:]), *([self.item] * n), *self.kinds)
            self._reads[n] = found
        return found

    def rows(self, values: list[Any], *args: Any) -> list[tuple[Any, ...]] | None:
        if not values:
            return []
        if len(values) > self.most:
            return None
        return self._read(len(values)).rows(*values, *args)


# A read over an organization and those above it (`path IN (its ancestors' paths)`) takes the
# paths as arguments; a list whose length follows the depth would change the SQL, so the list is
# padded to a fixed length by repeating the organization's own path (a repeated value changes
# nothing in an IN list). Deeper trees, which no deployment has, take the ORM's way.
ANCESTOR_SLOTS = 12


def ancestor_args(path: str, steplen: int) -> tuple[str, ...] | None:
    """The paths of the organization at `path` and of every organization above it, padded to
    ANCESTOR_SLOTS arguments; None when the tree is deeper than that."""
    paths = [path[:i] for i in range(steplen, len(path) + 1, steplen)]
    if not paths or len(paths) > ANCESTOR_SLOTS:
        return None
    return tuple(paths + [path] * (ANCESTOR_SLOTS - len(paths)))
