"""Every staff list exports and prints what it shows (issue 15, item 5).

An app registers, beside its list view, an `Export`: the list's title, its columns, and the rows
of the current filter read through the same scoped selector the page uses (never more: the
request's parameters are the page's own, and an object outside the user's scope answers 404). The
interchange app serves every registered export the same way (`/export/<name>.xlsx?<the list's
query>` and `/export/<name>/print/?…`): an .xlsx whose first rows say what was exported — the
title, the scope, the filters, when and by whom — with every text cell escaped against formulas;
a print view; and, over `JOB_ROWS` rows, a background job with progress and a download link.
Each export is audited.

Templates put the buttons on a list with `{% export_tools "name" %}` (web tags)."""

from __future__ import annotations

import io
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.http import QueryDict
from django.utils import timezone
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from dangjian.accounts import policy
from dangjian.core.spreadsheet import escape_cell

JOB_ROWS = 100_000  # above this an export runs as a job, never in the request
PRINT_ROWS = 2_000  # a print view shows at most this many rows
MAX_ROWS = 3_000_000  # no export is larger (a province's roster)


@dataclass(frozen=True)
class Described:
    """What the export's header says: the scope and the filters in force, in Chinese."""

    scope: str
    filters: list[tuple[str, str]] = field(default_factory=list)


@dataclass(frozen=True)
class Export:
    """One list's export. `rows(user, params)` yields each row's values in column order (a
    generator over a queryset's `.iterator()` for long lists); `count` answers how many rows
    that will be without reading them; `describe` the scope and filters. `personal`: the rows hold
    personal data (the export is audited as such)."""

    name: str
    title: str
    columns: Sequence[str]
    rows: Callable[[Any, QueryDict], Iterable[Sequence[Any]]]
    count: Callable[[Any, QueryDict], int]
    describe: Callable[[Any, QueryDict], Described]
    widths: Sequence[int] = ()
    personal: bool = False
    # what else the audit event records (e.g. whether full ID numbers went out)
    audit_data: Callable[[Any, QueryDict], dict[str, Any]] | None = None
    # who may export it at all (the rows are scoped besides): staff by default; the three
    # admins' lists say theirs
    allowed: Callable[[Any], bool] = lambda user: policy.path_q(user, "view") is not None


REGISTRY: dict[str, Export] = {}


def register(export: Export) -> Export:
    if export.name in REGISTRY and REGISTRY[export.name] is not export:
        raise ValueError(f"export {export.name!r} registered twice")
    REGISTRY[export.name] = export
    return export


def get(name: str) -> Export | None:
    return REGISTRY.get(name)


def cell(value: Any) -> Any:
    """A value as a spreadsheet cell: dates and numbers as such, text escaped."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, (int, float, Decimal, date, datetime)):
        if isinstance(value, datetime):
            return (
                timezone.localtime(value).replace(tzinfo=None)
                if timezone.is_aware(value)
                else value
            )
        return value
    return escape_cell(str(value))


def header_lines(export: Export, described: Described, who: str, at: datetime) -> list[str]:
    """The lines above the table: title, scope, filters, time and person."""
    filters = "；".join(f"{k}：{v}" for k, v in described.filters if v) or "无（全部）"
    return [
        export.title,
        f"范围：{described.scope}",
        f"筛选条件：{filters}",
        f"导出时间：{timezone.localtime(at):%Y-%m-%d %H:%M}　导出人：{who}",
    ]


def workbook(
    export: Export,
    user: Any,
    params: QueryDict,
    *,
    who: str,
    progress: Callable[[int], None] | None = None,
    every: int = 5000,
) -> tuple[bytes, int]:
    """The .xlsx of the list (openpyxl's streaming writer: memory stays flat) and its row count.
    `progress(n)` is called every `every` rows."""
    wb = Workbook(write_only=True)
    ws = wb.create_sheet(export.title[:31])
    for i, width in enumerate(export.widths or [14] * len(export.columns)):
        ws.column_dimensions[_column_letter(i)].width = width
    described = export.describe(user, params)
    for i, line in enumerate(header_lines(export, described, who, timezone.now())):
        c = WriteOnlyCell(ws, value=escape_cell(line))
        if i == 0:
            c.font = Font(bold=True, size=14)
        ws.append([c])
    ws.append([])
    bold = Font(bold=True)
    head = []
    for title in export.columns:
        c = WriteOnlyCell(ws, value=title)
        c.font = bold
        head.append(c)
    ws.append(head)
    n = 0
    for row in export.rows(user, params):
        ws.append([cell(v) for v in row])
        n += 1
        if progress is not None and n % every == 0:
            progress(n)
        if n >= MAX_ROWS:
            break
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue(), n


def _column_letter(i: int) -> str:
    return get_column_letter(i + 1)


def print_table(export: Export, user: Any, params: QueryDict, *, who: str) -> dict[str, Any]:
    """The print view's context: the header lines and at most PRINT_ROWS rows."""
    rows = []
    for row in export.rows(user, params):
        rows.append(["" if v is None else v for v in row])
        if len(rows) > PRINT_ROWS:
            break
    described = export.describe(user, params)
    return {
        "export": export,
        "lines": header_lines(export, described, who, timezone.now()),
        "columns": export.columns,
        "rows": rows[:PRINT_ROWS],
        "more": len(rows) > PRINT_ROWS,
        "print_rows": PRINT_ROWS,
    }


def filter_label(choices: Iterable[tuple[Any, Any]], value: str) -> str:
    """The Chinese label of a chosen value (a filter shown in the header)."""
    return str({str(k): v for k, v in choices}.get(value, value)) if value else ""
