"""Request metadata (request id, source IP) for audit events, carried in a context variable.

Services take the acting user explicitly; only the transport facts (which request, which address)
come from here, so that CLI and job writes are audited too (they set source "cli"/"job").
"""

from __future__ import annotations

import contextvars
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field


@dataclass(frozen=True)
class RequestContext:
    request_id: str = field(default_factory=lambda: uuid.uuid4().hex)
    ip: str | None = None
    source: str = "web"


_current: contextvars.ContextVar[RequestContext | None] = contextvars.ContextVar(
    "dangjian_request_context", default=None
)


def current() -> RequestContext:
    ctx = _current.get()
    return ctx if ctx is not None else RequestContext(source="cli")


@contextmanager
def use(ctx: RequestContext) -> Iterator[RequestContext]:
    token = _current.set(ctx)
    try:
        yield ctx
    finally:
        _current.reset(token)
