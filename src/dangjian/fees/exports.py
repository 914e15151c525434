"""党费 lists exported and printed (web.exports): a branch's year grid, a committee's collection
by sub-organization."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from typing import Any

from django.http import QueryDict
from django.utils import timezone

from dangjian.core.errors import NotVisible
from dangjian.orgs import selectors as org_selectors
from dangjian.web.exports import Described, Export, register

from . import bands, selectors
from .interchange import parse_month
from .models import month_label
from .services import current_index

STATUS = {"paid": "已交", "partial": "未足额", "unpaid": "欠交", "open": "待交", "none": ""}


def _org(user: Any, params: QueryDict) -> Any:
    raw = params.get("org", "")
    if not raw.isdecimal():
        raise NotVisible()
    return org_selectors.org_get(user, int(raw))


def _year(params: QueryDict) -> int:
    today = timezone.localdate()
    raw = params.get("year", "")
    year = int(raw) if raw.isdecimal() else today.year
    return min(max(year, 2000), today.year + 1)


def _grid_rows(user: Any, params: QueryDict) -> Iterator[list[Any]]:
    org = _org(user, params)
    grid = selectors.branch_grid(org, _year(params))
    for r in grid.rows:
        cells = []
        for c in r["cells"]:
            row = c["row"]
            if row is None:
                cells.append("")
                continue
            amount = row.paid_fen if c["status"] in ("paid", "partial") else row.due_fen
            cells.append(f"{STATUS[c['status']]} {bands.yuan(amount)}")
        yield [
            r["m"].member_no,
            r["m"].name,
            Decimal(r["monthly"].monthly_fen) / 100,
            r["arrears"] or "",
            *cells,
        ]


def _grid_count(user: Any, params: QueryDict) -> int:
    org = _org(user, params)
    return org.members_full + org.members_probationary + org.members_suspended


def _grid_describe(user: Any, params: QueryDict) -> Described:
    return Described(_org(user, params).name, [("年度", f"{_year(params)}年")])


register(
    Export(
        name="fee_grid",
        title="党费收缴台账",
        columns=["党员编号", "姓名", "月交额（元）", "欠交月数", *[f"{m}月" for m in range(1, 13)]],
        widths=[12, 10, 12, 10, *[12] * 12],
        rows=_grid_rows,
        count=_grid_count,
        describe=_grid_describe,
    )
)


def _month(params: QueryDict) -> int:
    return parse_month(params.get("month", "")) or current_index() - 1


def _summary_rows(user: Any, params: QueryDict) -> Iterator[list[Any]]:
    figures = selectors.collection(user, _org(user, params), _month(params))
    for r in figures["rows"]:
        yield [
            r["name"],
            r["members"],
            r["paid_members"],
            Decimal(r["due"]) / 100,
            Decimal(r["paid"]) / 100,
            f"{r['rate']}%" if r["rate"] is not None else "",
        ]


register(
    Export(
        name="fee_summary",
        title="党费收缴情况（按下级组织）",
        columns=["组织", "应交人数", "已交人数", "应交金额（元）", "实交金额（元）", "收缴率"],
        widths=[28, 10, 10, 14, 14, 10],
        rows=_summary_rows,
        count=lambda user, params: _org(user, params).numchild,
        describe=lambda user, params: Described(
            f"{_org(user, params).name}（各下级组织）", [("月份", month_label(_month(params)))]
        ),
    )
)
