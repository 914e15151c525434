"""非公党建 exported and printed (web.exports): the register with its page's filters, the two
coverages per park, the instructors' workload, an instructor's monthly report."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import Any

from django.db.models import Count, Q
from django.http import QueryDict
from django.utils import timezone

from dangjian.core.errors import NotVisible
from dangjian.orgs import selectors as org_selectors
from dangjian.web.exports import Described, Export, register

from . import selectors
from .models import CommandoTeam, HonourLevel, JointEvent, JointKind

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

    total, parks = selectors.coverage_report(qs, today)
    out = [row(p["park__name"], p) for p in parks]
    out.append(row("合计", total))
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


def _teams(user: Any, params: QueryDict) -> Any:
    org = _org(user, params)
    qs = CommandoTeam.objects.filter(organization__path__under=org.path).select_related(
        "organization", "enterprise__unit"
    )
    state = params.get("state", "")
    if state == "open":
        qs = qs.filter(closed_on__isnull=True)
    elif state == "closed":
        qs = qs.filter(closed_on__isnull=False)
    q = (params.get("q") or "").strip()[:30]
    if q:
        qs = qs.filter(Q(name__icontains=q) | Q(project__icontains=q))
    return qs.annotate(n=Count("members")).order_by("-starts_on", "-pk")


def _team_rows(user: Any, params: QueryDict) -> list[list[Any]]:
    return [
        [
            t.name,
            t.get_kind_display(),
            t.project,
            t.organization.name,
            t.enterprise.unit.name if t.enterprise else "",
            t.starts_on,
            t.ends_on,
            t.n,
            t.closed_on or "",
            t.outcome,
        ]
        for t in _teams(user, params)
    ]


def _joint(user: Any, params: QueryDict) -> Any:
    org = _org(user, params)
    qs = (
        JointEvent.objects.filter(
            Q(organizer__path__under=org.path) | Q(participants__path__under=org.path)
        )
        .distinct()
        .select_related("organizer")
        .prefetch_related("participants")
    )
    if params.get("kind") in JointKind.values:
        qs = qs.filter(kind=params["kind"])
    return qs.order_by("-held_on", "-pk")


def _joint_rows(user: Any, params: QueryDict) -> list[list[Any]]:
    return [
        [
            e.held_on,
            e.get_kind_display(),
            e.title,
            e.organizer.name,
            "、".join(o.name for o in e.participants.all()),
            e.place,
            e.summary,
        ]
        for e in _joint(user, params)
    ]


def _showcase(user: Any, params: QueryDict) -> Any:
    f = {k: (params.get(k) or "").strip()[:30] for k in ("kind", "level", "year", "q")}
    return selectors.showcase(_org(user, params), **f)


KINDS = {"brand": "党建品牌", "honour": "荣誉", "case": "创新案例"}


def _showcase_rows(user: Any, params: QueryDict) -> list[list[Any]]:
    levels = dict(HonourLevel.choices)
    return [
        [KINDS[r["k"]], r["t"], r["org"], r["y"], levels.get(r["lv"], ""), r["d"]]
        for r in _showcase(user, params)
    ]


for _export in (
    Export(
        name="enterprises_teams",
        title="党员突击队和党员先锋岗",
        columns=[
            "名称",
            "类型",
            "攻坚项目",
            "党组织",
            "企业",
            "开始",
            "计划结束",
            "队员",
            "结束",
            "成效",
        ],  # fmt: skip
        widths=[20, 12, 24, 24, 24, 12, 12, 8, 12, 30],
        rows=_team_rows,
        count=lambda user, params: _teams(user, params).count(),
        describe=lambda user, params: Described(_org(user, params).name, []),
    ),
    Export(
        name="enterprises_joint",
        title="联席会议和联合活动",
        columns=["日期", "类型", "主题", "发起组织", "参加组织", "地点", "内容和成果"],
        widths=[12, 10, 24, 24, 40, 16, 40],
        rows=_joint_rows,
        count=lambda user, params: _joint(user, params).count(),
        describe=lambda user, params: Described(_org(user, params).name, []),
    ),
    Export(
        name="enterprises_showcase",
        title="党建品牌、荣誉和创新案例",
        columns=["类别", "名称", "党组织", "年度", "级别", "说明"],
        widths=[10, 30, 30, 8, 8, 40],
        rows=_showcase_rows,
        count=lambda user, params: len(_showcase_rows(user, params)),
        describe=lambda user, params: Described(_org(user, params).name, []),
    ),
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
