"""城市党建学院 exported and printed (web.exports): the classes with the page's filters, a class's
roster with attendance, exam and certificate, and the year's figures."""

from __future__ import annotations

from typing import Any

from django.db.models import Q
from django.http import QueryDict

from dangjian.core.errors import NotVisible
from dangjian.web.exports import Described, Export, register

from . import selectors


def _klass(user: Any, params: QueryDict) -> Any:
    raw = params.get("klass", "")
    if not raw.isdecimal() or len(raw) > 12:
        raise NotVisible()
    return selectors.class_get(user, int(raw))


def _classes(user: Any, params: QueryDict) -> Any:
    return selectors.class_list(user, params)[0]


def _class_rows(user: Any, params: QueryDict) -> Any:
    for k in _classes(user, params).iterator(chunk_size=2000):
        yield [
            k.code,
            k.title,
            k.kind.name,
            k.organizer.name,
            k.starts_on,
            k.ends_on,
            float(k.hours),
            k.capacity,
            k.accepted,
            k.get_status_display(),
        ]


def _roster(user: Any, params: QueryDict) -> Any:
    k = _klass(user, params)
    return k, selectors.roster(k).filter(pk__in=selectors.enrolments_for(user, k).values("pk"))


def _roster_rows(user: Any, params: QueryDict) -> list[list[Any]]:
    k, rows = _roster(user, params)
    out = []
    for e in rows:
        pct = e.attendance_pct if e.completed is not None else e.live_pct
        cert = getattr(e, "certificate", None)
        out.append(
            [
                e.name,
                e.get_nominee_display(),
                e.nominated_by.name,
                f"{pct:.1f}%" if pct is not None else "",
                e.exam_score if e.exam_score is not None else "",
                {True: "结业", False: "未结业", None: "未评定"}[e.completed],
                cert.number if cert else "",
                "已撤销" if cert and cert.revoked_at else "",
            ]
        )
    return out


def _teachers(user: Any, params: QueryDict) -> Any:
    return selectors.teachers_visible(user, (params.get("q") or "").strip()[:30])


def _teacher_rows(user: Any, params: QueryDict) -> list[list[Any]]:
    teachers = _teachers(user, params)
    ratings = {
        r["session__teacher_id"]: r
        for r in selectors.teacher_ratings(Q(session__teacher__in=teachers.values("pk")))
    }
    out = []
    for t in teachers.order_by("name", "pk"):
        r = ratings.get(t.pk)
        out.append(
            [
                t.name,
                t.unit,
                t.title,
                t.topics,
                t.organization.name,
                round(r["avg"], 2) if r else "",
                r["n"] if r else 0,
            ]
        )
    return out


def _figure_rows(user: Any, params: QueryDict) -> list[list[Any]]:
    year, org = selectors.figures_params(user, params)
    fig = selectors.figures(user, year, org)
    rows = [
        [
            r["kind__name"],
            r["classes"],
            r["trainees"],
            r["completed"],
            f"{r['rate']}%" if r["rate"] is not None else "",
        ]
        for r in fig["by_kind"]
    ]
    t = fig["totals"]
    rows.append(
        [
            "合计",
            t["classes"],
            t["trainees"],
            t["completed"],
            f"{t['rate']}%" if t["rate"] is not None else "",
        ]
    )
    return rows


for _export in (
    Export(
        name="academy_classes",
        title="培训班次",
        columns=[
            "编号",
            "班次",
            "类型",
            "举办单位",
            "开班",
            "结业",
            "学时",
            "名额",
            "录取",
            "状态",
        ],
        widths=[18, 30, 18, 24, 12, 12, 8, 8, 8, 10],
        rows=_class_rows,
        count=lambda user, params: _classes(user, params).count(),
        describe=lambda user, params: Described("可见的培训班次", []),
    ),
    Export(
        name="academy_roster",
        title="培训班学员名单",
        columns=[
            "姓名",
            "学员类别",
            "推荐单位",
            "出勤率",
            "考试成绩",
            "结业",
            "证书编号",
            "证书状态",
        ],
        widths=[10, 16, 24, 10, 10, 10, 22, 10],
        rows=_roster_rows,
        count=lambda user, params: _roster(user, params)[1].count(),
        describe=lambda user, params: Described(_klass(user, params).title, []),
        personal=True,
    ),
    Export(
        name="academy_teachers",
        title="党建学院师资",
        columns=["姓名", "单位", "职务职称", "授课专题", "所属党校", "平均评分", "评价数"],
        widths=[10, 24, 16, 30, 24, 10, 8],
        rows=_teacher_rows,
        count=lambda user, params: _teachers(user, params).count(),
        describe=lambda user, params: Described("可见的师资", []),
    ),
    Export(
        name="academy_figures",
        title="培训情况统计",
        columns=["班次类型", "班次数", "学员人数", "结业人数", "结业率"],
        widths=[24, 10, 10, 10, 10],
        rows=_figure_rows,
        count=lambda user, params: len(_figure_rows(user, params)),
        describe=lambda user, params: Described(f"{params.get('year') or ''}年", []),
    ),
):
    register(_export)
