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

import xlsxwriter
from django.http import QueryDict
from django.utils import timezone
from openpyxl.utils import get_column_letter

from dangjian.accounts import policy
from dangjian.core.pdf import watermark_text
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
    """The .xlsx of the list and its row count, written row by row by XlsxWriter in constant
    memory (a city's roster is 3.6 million cells). Every text is written as text (never a formula
    or a link), dates as dates. `progress(n)` is called every `every` rows."""
    buf = io.BytesIO()
    wb = xlsxwriter.Workbook(
        buf,
        {
            "constant_memory": True,
            "strings_to_formulas": False,
            "strings_to_urls": False,
            "strings_to_numbers": False,
        },
    )
    ws = wb.add_worksheet(export.title[:31])
    for i, width in enumerate(export.widths or [14] * len(export.columns)):
        ws.set_column(i, i, width)
    title = wb.add_format({"bold": True, "font_size": 14})
    bold = wb.add_format({"bold": True})
    day = wb.add_format({"num_format": "yyyy-mm-dd"})
    moment = wb.add_format({"num_format": "yyyy-mm-dd hh:mm"})
    described = export.describe(user, params)
    now = timezone.now()
    # the watermark on every printed page: who exported it and when ("&" is a code in headers)
    mark = watermark_text(who, now).replace("&", "&&")
    ws.set_header(f"&C&8{mark}")
    ws.set_footer(f"&L&8{export.title.replace('&', '&&')}&R&8第 &P 页，共 &N 页")
    ws.repeat_rows(len(header_lines(export, described, who, now)) + 1)
    r = 0
    for i, line in enumerate(header_lines(export, described, who, now)):
        ws.write_string(r, 0, escape_cell(line), title if i == 0 else None)
        r += 1
    r += 1  # a blank line before the table
    for c, heading in enumerate(export.columns):
        ws.write_string(r, c, heading, bold)
    r += 1
    n = 0
    for row in export.rows(user, params):
        for c, v in enumerate(row):
            _write(ws, r, c, cell(v), day, moment)
        r += 1
        n += 1
        if progress is not None and n % every == 0:
            progress(n)
        if n >= MAX_ROWS:
            break
    wb.close()
    return buf.getvalue(), n


def _write(ws: Any, r: int, c: int, v: Any, day: Any, moment: Any) -> None:
    if isinstance(v, str):
        if v:
            ws.write_string(r, c, v)
    elif isinstance(v, datetime):
        ws.write_datetime(r, c, v, moment)
    elif isinstance(v, date):
        ws.write_datetime(r, c, datetime(v.year, v.month, v.day), day)  # noqa: DTZ001 - a day
    else:
        ws.write_number(r, c, float(v) if isinstance(v, Decimal) else v)


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
