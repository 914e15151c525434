"""What a committed transaction changed, for whoever follows it (the engine keeps findings
current after each act).

Every domain write records an audit event inside its transaction (house style); `audit_record`
notes the event's app and organization here. Services whose act touches a second organization
(a member moving between branches) note it too. When the outermost transaction commits, the
listeners get {organization path: {app labels}} once; nothing is told of a transaction that
rolled back. Reads (audit of a view or an export, recorded outside a transaction) note nothing.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable, Iterable
from typing import Any

from django.db import transaction

# apps whose audit events never change what a rule reads
QUIET_APPS = frozenset({"accounts", "audit", "compliance", "exports", "notify", "interchange"})

Changes = dict[str, set[str]]
LISTENERS: list[Callable[[Changes], None]] = []

_local = threading.local()


def quiet() -> Any:
    """Within this block nothing is noted (the seed, which scans the whole city after)."""

    return _Quiet()


def quietly(fn: Callable[..., Any]) -> Callable[..., Any]:
    """`quiet()` around a whole function."""

    @functools.wraps(fn)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        with quiet():
            return fn(*args, **kwargs)

    return wrapped


class _Quiet:
    def __enter__(self) -> None:
        _local.quiet = _quiet_depth() + 1

    def __exit__(self, *exc: object) -> None:
        _local.quiet -= 1


def _quiet_depth() -> int:
    return int(_local.__dict__.get("quiet", 0))


def listen(fn: Callable[[Changes], None]) -> None:
    if fn not in LISTENERS:
        LISTENERS.append(fn)


def note(apps: Iterable[str], organization: Any) -> None:
    """Record that this transaction changed data of `apps` at `organization` (a model with a
    path, or a path)."""

    path = organization if isinstance(organization, str) else getattr(organization, "path", "")
    apps = {a for a in apps if a and a not in QUIET_APPS}
    if not LISTENERS or not path or not apps or _quiet_depth():
        return
    conn = transaction.get_connection()
    if not conn.in_atomic_block:
        return  # a read's log line, or a write outside a service: nothing to follow
    pending: Changes | None = getattr(_local, "pending", None)
    if pending is None or not _flush_registered(conn):
        pending = _local.pending = {}
        transaction.on_commit(_flush)
    pending.setdefault(path, set()).update(apps)


def note_event(action: str, object_type: str, organization: Any, obj: Any = None) -> None:
    """The audit trail's hook: the action's app and the object's app, at the event's
    organization and at every other organization the object points to (a transfer's sending and
    receiving organizations)."""

    if not LISTENERS or _quiet_depth() or not transaction.get_connection().in_atomic_block:
        return  # a read's audit event (outside any write) changes nothing to follow
    apps = {action.partition(".")[0], object_type.partition(".")[0]} - QUIET_APPS
    if not apps:
        return
    if organization is not None:
        note(apps, organization)
    if obj is not None:
        for f in obj._meta.concrete_fields:
            if (
                f.is_relation
                and f.related_model is not None
                and f.related_model._meta.label == "orgs.Organization"
                and getattr(obj, f.attname, None) is not None
            ):
                other = getattr(obj, f.name)
                if other is not organization:
                    note(apps, other)


def _flush_registered(conn: Any) -> bool:
    return any(entry[1] is _flush for entry in conn.run_on_commit)


def _flush() -> None:
    pending: Changes | None = getattr(_local, "pending", None)
    _local.pending = None
    if not pending:
        return
    for fn in LISTENERS:
        fn(pending)


def discard() -> None:
    """Forget what is pending (a test that rolled its transaction back by hand)."""
    _local.pending = None
