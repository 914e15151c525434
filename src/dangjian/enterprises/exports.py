"""非公党建 exported and printed (web.exports): the register with its page's filters, the two
coverages per park, the instructors' workload, an instructor's monthly report."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import Any

from django.http import QueryDict
from django.utils import timezone

from dangjian.core.errors import NotVisible
from dangjian.orgs import selectors as org_selectors
from dangjian.web.exports import Described, Export, register

from . import selectors

FILTERS = ("q", "park", "kind", "cover", "sort")


def _org(user: Any, params: QueryDict) -> Any:
    raw = params.get("org", "")
    if not raw.isdecimal() or len(raw) > 12:
        raise NotVisible()
    return org_selectors.org_get(user, int(raw))


def _enterprises(user: Any, params: QueryDict) -> Any:
    f = {k: (params.get(k) or "").strip()[:50] for k in FILTERS}
    return selectors.enterprise_list(
        selectors.enterprises_under(_org(user, params)), timezone.localdate(), **f
    )


def _coverage_label(e: Any) -> str:
    o = e.unit.organization
    if o is not None and o.is_active:
        return f"纳入联合党支部（{o.name}）" if o.is_joint else f"单独建立（{o.name}）"
    return "未建立"


def _enterprise_rows(user: Any, params: QueryDict) -> Iterator[list[Any]]:
    for e in _enterprises(user, params).iterator(chunk_size=2000):
        yield [
            e.unit.credit_code,
            e.unit.name,
            e.get_kind_display(),
            e.park.name if e.park else "",
            e.industry,
            e.employees,
            "是" if e.above_size else "否",
            e.members,
            e.full,
            _coverage_label(e),
            e.instructor or "",
        ]


def _coverage_rows(user: Any, params: QueryDict) -> list[list[Any]]:
    org, today = _org(user, params), timezone.localdate()
    qs = selectors.enterprises_under(org)

    def row(name: str, r: dict[str, Any]) -> list[Any]:
        return [
            name,
            r["total"],
            r["own"],
            r["org"],
            f"{r['org_rate']}%" if r["org_rate"] is not None else "",
            r["work"],
            f"{r['work_rate']}%" if r["work_rate"] is not None else "",
            r["members"],
            r["covered"],
        ]

    out = [row(p["park__name"], p) for p in selectors.coverage_by_park(qs, today)]
    out.append(row("合计", selectors.coverage(qs, today)))
    return out


def _instructor_rows(user: Any, params: QueryDict) -> list[list[Any]]:
    org = _org(user, params)
    rows: Any = selectors.workload(selectors.instructors_under(org), timezone.localdate())
    return [
        [
            i.ref,
            i.name,
            i.get_kind_display(),
            i.unit,
            i.station.name if i.station else "",
            i.assigned,
            i.visits_month,
            i.visits_quarter,
            i.overdue,
        ]
        for i in rows.order_by("name", "pk")
    ]


def _report_params(user: Any, params: QueryDict) -> tuple[Any, date]:
    raw = params.get("instructor", "")
    if not raw.isdecimal() or len(raw) > 12:
        raise NotVisible()
    ins = selectors.instructor_get(user, int(raw))
    today = timezone.localdate()
    try:
        y, m = (params.get("month") or "").split("-")
        month = date(int(y), int(m), 1)
    except ValueError:
        month = today.replace(day=1)
    return ins, month


def _report_described(user: Any, params: QueryDict) -> Described:
    ins, month = _report_params(user, params)
    return Described(f"{ins.name} {month:%Y年%-m月}", [])


def _report_rows(user: Any, params: QueryDict) -> list[list[Any]]:
    ins, month = _report_params(user, params)
    r = selectors.monthly_report(ins, month)
    return [
        [
            v.visited_on,
            v.enterprise.unit.name,
            v.met,
            "、".join(v.topic_labels()),
            v.notes,
            v.problems,
            "；".join(f"{f.text}（{f.due_on:%Y-%m-%d}前）" for f in v.followups.all()),
            "；".join(f"{c.name}（{c.get_finding_display()}）" for c in v.cases.all()),
        ]
        for v in r["visits"]
    ]


for _export in (
    Export(
        name="enterprises_list",
        title="非公企业和社会组织",
        columns=[
            "统一社会信用代码",
            "名称",
            "类型",
            "园区",
            "行业",
            "从业人员",
            "规模以上",
            "党员",
            "正式党员",
            "党组织",
            "党建指导员",
        ],  # fmt: skip
        widths=[22, 30, 10, 12, 12, 10, 8, 8, 8, 30, 10],
        rows=_enterprise_rows,
        count=lambda user, params: _enterprises(user, params).count(),
        describe=lambda user, params: Described(
            _org(user, params).name,
            [
                ("覆盖情况", selectors.COVERAGE_FILTERS.get(params.get("cover", ""), "")),
                ("查找", params.get("q", "")),
            ],  # fmt: skip
        ),
    ),
    Export(
        name="enterprises_coverage",
        title="非公企业和社会组织两个覆盖",
        columns=[
            "园区",
            "单位数",
            "单独建立党组织",
            "组织覆盖",
            "组织覆盖率",
            "工作覆盖",
            "工作覆盖率",
            "党员",
            "在已建组织单位的党员",
        ],  # fmt: skip
        widths=[16, 10, 14, 10, 12, 10, 12, 10, 18],
        rows=_coverage_rows,
        count=lambda user, params: len(_coverage_rows(user, params)),
        describe=lambda user, params: Described(_org(user, params).name, []),
    ),
    Export(
        name="enterprises_instructors",
        title="党建指导员工作量",
        columns=[
            "编号",
            "姓名",
            "类别",
            "原单位",
            "指导站",
            "联系企业",
            "本月走访",
            "本季度走访",
            "逾期事项",
        ],  # fmt: skip
        widths=[10, 10, 8, 20, 16, 10, 10, 10, 10],
        rows=_instructor_rows,
        count=lambda user, params: selectors.instructors_under(_org(user, params)).count(),
        describe=lambda user, params: Described(_org(user, params).name, []),
    ),
    Export(
        name="enterprises_report",
        title="党建指导员工作月报",
        columns=[
            "走访日期",
            "企业",
            "见面人员",
            "指导内容",
            "工作情况",
            "发现问题",
            "跟进事项",
            "组织关系排查",
        ],  # fmt: skip
        widths=[12, 28, 16, 24, 30, 30, 30, 24],
        rows=_report_rows,
        count=lambda user, params: len(_report_rows(user, params)),
        describe=lambda user, params: _report_described(user, params),
    ),
):
    register(_export)
