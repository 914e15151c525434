"""近邻党建 exported and printed (web.exports): the 小区 of an organization's subtree, a
community's reports, needs, and the issues of a subtree — each with its page's filters."""

from __future__ import annotations

from collections.abc import Iterator
from itertools import islice
from typing import Any

from django.http import Http404, QueryDict
from django.utils import timezone

from dangjian.core.errors import NotVisible
from dangjian.orgs import selectors as org_selectors
from dangjian.web.exports import Described, Export, filter_label, register

from . import selectors
from .models import AppraisalGrade, IssueStatus, NeedKind, NeedStatus

COVERAGE = [("branch", "已建小区党支部/党小组"), ("none", "未建党组织"), ("red", "红色物业")]


def _org(user: Any, params: QueryDict) -> Any:
    raw = params.get("org", "")
    if not raw.isdecimal():
        raise NotVisible()
    return org_selectors.org_get(user, int(raw))


def _community(user: Any, params: QueryDict) -> Any:
    org = _org(user, params)
    if not selectors.is_community(org):
        raise Http404("不是社区党组织")
    return org


def _places(user: Any, params: QueryDict) -> Any:
    return selectors.places_for(
        user,
        org=_org(user, params),
        q=(params.get("q") or "").strip()[:50],
        coverage=params.get("coverage", ""),
    ).order_by("community__path", "name")


def _place_rows(user: Any, params: QueryDict) -> Iterator[list[Any]]:
    places = _places(user, params).iterator(chunk_size=2000)
    while batch := selectors.with_counts(list(islice(places, 2000))):
        yield from _place_cells(batch)


def _place_cells(batch: list[Any]) -> Iterator[list[Any]]:
    for p in batch:
        yield [
            p.code,
            p.name,
            p.community.name,
            p.households,
            p.living,
            p.full,
            p.covered_by.name if p.covered_by else "",
            p.property_company,
            "是" if p.property_party else "否",
        ]


def _place(user: Any, params: QueryDict) -> Any:
    raw = params.get("place", "")
    if not raw.isdecimal():
        raise NotVisible()
    return selectors.place_get(user, int(raw))


def _resident_rows(user: Any, params: QueryDict) -> Iterator[list[Any]]:
    for m in selectors.place_residents(_place(user, params)).iterator(chunk_size=2000):
        yield [m.name, m.get_status_display(), m.organization.name]


def _unit_members(user: Any, params: QueryDict) -> Any:
    return selectors.unit_members(_org(user, params), timezone.localdate().year)


def _unit_member_rows(user: Any, params: QueryDict) -> Iterator[list[Any]]:
    for m in _unit_members(user, params).iterator(chunk_size=2000):
        yield [
            m.member_no,
            m.name,
            m.organization.name,
            m.reported_to or "未报到",
            m.done or 0,
            m.hours or 0,
            dict(AppraisalGrade.choices).get(m.grade or "", ""),
        ]


def _units(user: Any, params: QueryDict) -> Any:
    return selectors.registered_units(_community(user, params))


def _unit_rows(user: Any, params: QueryDict) -> Iterator[list[Any]]:
    for r in _units(user, params).iterator(chunk_size=2000):
        yield [r.unit.name, r.registered_on, r.contact_name, r.resources, r.agreement]


def _teams(user: Any, params: QueryDict) -> Any:
    return selectors.teams_for(user, _org(user, params)).order_by("owner__path", "name")


def _team_rows(user: Any, params: QueryDict) -> Iterator[list[Any]]:
    for t in _teams(user, params).iterator(chunk_size=2000):
        yield [
            t.name,
            t.owner.name,
            t.leader.name if t.leader else "",
            t.n_members,
            len(t.resident_names),
            t.n_activities,
            t.formed_on,
        ]


def _reports(user: Any, params: QueryDict) -> Any:
    return selectors.reports_for(
        user,
        _community(user, params),
        year=timezone.localdate().year,
        pending=params.get("pending") == "1",
    )


def _report_rows(user: Any, params: QueryDict) -> Iterator[list[Any]]:
    for r in _reports(user, params).iterator(chunk_size=2000):
        yield [
            r.member.member_no,
            r.member.name,
            r.member.organization.name,
            r.reported_on,
            r.confirmed_on,
            r.done,
        ]


def _needs(user: Any, params: QueryDict) -> Any:
    return selectors.needs_for(
        _community(user, params), status=params.get("status", ""), kind=params.get("kind", "")
    )


def _need_rows(user: Any, params: QueryDict) -> Iterator[list[Any]]:
    for n in _needs(user, params).iterator(chunk_size=2000):
        yield [
            n.title,
            n.get_kind_display(),
            n.published_on,
            n.get_status_display(),
            n.claimed_by.name if n.claimed_by else "",
        ]


def _appraisal_year(params: QueryDict) -> int:
    return selectors.appraisal_year(params.get("year", ""), timezone.localdate())


def _appraisals(user: Any, params: QueryDict) -> Any:
    return selectors.appraisal_members(user, _community(user, params), _appraisal_year(params))


def _appraisal_rows(user: Any, params: QueryDict) -> Iterator[list[Any]]:
    grades = dict(AppraisalGrade.choices)
    for r in _appraisals(user, params).iterator(chunk_size=2000):
        yield [
            r.member.member_no,
            r.member.name,
            r.member.organization.name,
            r.done or 0,
            r.hours or 0,
            grades.get(r.grade or "", "未评价"),
            r.comment or "",
        ]


ALLIANCE_STATES = selectors.ALLIANCE_STATES


def _alliances(user: Any, params: QueryDict) -> Any:
    return selectors.alliances_for(user, _community(user, params), params.get("state", ""))


def _alliance_rows(user: Any, params: QueryDict) -> Iterator[list[Any]]:
    for a in _alliances(user, params).iterator(chunk_size=2000):
        yield [
            a.name,
            "、".join(a.party_names),
            a.commitments,
            a.started_on,
            a.ends_on,
            a.n_activities,
        ]


def _figures_year(params: QueryDict) -> int:
    return selectors.figures_year(params.get("year", ""), timezone.localdate())


def _figure_rows(user: Any, params: QueryDict) -> Iterator[list[Any]]:
    for r in selectors.monthly_figures(_org(user, params), _figures_year(params)):
        yield [
            f"{r['month']}月" if k == "month" else (r[k] if r[k] is not None else "")
            for k, _label in selectors.FIGURE_COLUMNS
        ]


def _issues(user: Any, params: QueryDict) -> Any:
    return selectors.issues_for(user, org=_org(user, params), status=params.get("status", ""))


def _issue_rows(user: Any, params: QueryDict) -> Iterator[list[Any]]:
    for i in _issues(user, params).iterator(chunk_size=2000):
        yield [
            i.title,
            i.community.name,
            i.place.name if i.place else "",
            i.raiser_name,
            i.raised_on,
            i.get_status_display(),
            i.decided_on,
            i.closed_on,
            i.result,
        ]


for _export in (
    Export(
        name="places",
        title="小区与党组织覆盖",
        columns=[
            "小区代码",
            "小区",
            "所属社区",
            "户数",
            "居住党员",
            "其中正式党员",
            "覆盖的党组织",
            "物业服务企业",
            "红色物业",
        ],  # fmt: skip
        widths=[14, 20, 24, 8, 10, 12, 24, 24, 10],
        rows=_place_rows,
        count=lambda user, params: _places(user, params).count(),
        describe=lambda user, params: Described(
            f"{_org(user, params).name} 小区",
            [
                ("覆盖情况", filter_label(COVERAGE, params.get("coverage", ""))),
                ("搜索", (params.get("q") or "").strip()),
            ],
        ),
    ),
    Export(
        name="place_residents",
        title="小区居住党员",
        columns=["姓名", "正式/预备", "所在党组织"],
        widths=[10, 12, 30],
        rows=_resident_rows,
        count=lambda user, params: selectors.place_residents(_place(user, params)).count(),
        describe=lambda user, params: Described(f"{_place(user, params).name} 居住党员", []),
        personal=True,
    ),
    Export(
        name="unit_members",
        title="在职党员双报到",
        columns=[
            "党员编号",
            "姓名",
            "所在党组织",
            "报到社区",
            "本年服务次数",
            "本年服务时长（小时）",
            "社区年度评价",
        ],
        widths=[14, 10, 28, 24, 12, 16, 12],
        rows=_unit_member_rows,
        count=lambda user, params: _unit_members(user, params).count(),
        describe=lambda user, params: Described(
            f"{_org(user, params).name} {timezone.localdate().year}年在职党员", []
        ),
        personal=True,
    ),
    Export(
        name="community_units",
        title="单位报到",
        columns=["报到单位党组织", "报到日期", "联系人", "可提供的资源", "共建协议要点"],
        widths=[30, 12, 10, 36, 36],
        rows=_unit_rows,
        count=lambda user, params: _units(user, params).count(),
        describe=lambda user, params: Described(f"{_community(user, params).name} 单位报到", []),
    ),
    Export(
        name="community_teams",
        title="先锋队",
        columns=["队名", "组建党组织", "队长", "党员队员", "群众队员", "活动次数", "组建日期"],
        widths=[24, 28, 10, 10, 10, 10, 12],
        rows=_team_rows,
        count=lambda user, params: _teams(user, params).count(),
        describe=lambda user, params: Described(f"{_org(user, params).name} 先锋队", []),
    ),
    Export(
        name="community_reports",
        title="在职党员报到",
        columns=["党员编号", "姓名", "所在党组织", "报到日期", "社区确认日期", "本年服务次数"],
        widths=[14, 10, 28, 12, 12, 12],
        rows=_report_rows,
        count=lambda user, params: _reports(user, params).count(),
        describe=lambda user, params: Described(
            f"{_community(user, params).name} {timezone.localdate().year}年报到",
            [("只看待确认", "是" if params.get("pending") == "1" else "")],
        ),
        personal=True,
    ),
    Export(
        name="community_appraisals",
        title="社区年度评价",
        columns=["党员编号", "姓名", "所在党组织", "服务次数", "服务时长（小时）", "评价", "评语"],
        widths=[14, 10, 28, 10, 14, 10, 40],
        rows=_appraisal_rows,
        count=lambda user, params: _appraisals(user, params).count(),
        describe=lambda user, params: Described(
            f"{_community(user, params).name} {_appraisal_year(params)}年度评价", []
        ),
        personal=True,
    ),
    Export(
        name="community_alliances",
        title="共建协议",
        columns=["协议名称", "共建单位", "共建内容和承诺", "开始日期", "到期日期", "共建活动次数"],
        widths=[28, 40, 48, 12, 12, 12],
        rows=_alliance_rows,
        count=lambda user, params: _alliances(user, params).count(),
        describe=lambda user, params: Described(
            f"{_community(user, params).name} 共建协议",
            [("状态", filter_label(ALLIANCE_STATES, params.get("state", "")))],
        ),
    ),
    Export(
        name="community_figures",
        title="近邻党建逐月统计",
        columns=[label for _k, label in selectors.FIGURE_COLUMNS],
        widths=[8, 10, 12, 10, 10, 14, 16, 10, 8, 12, 16, 20],
        rows=_figure_rows,
        count=lambda user, params: 12,
        describe=lambda user, params: Described(
            f"{_org(user, params).name} {_figures_year(params)}年近邻党建逐月统计", []
        ),
    ),
    Export(
        name="community_needs",
        title="社区需求清单",
        columns=["内容", "类型", "发布日期", "状态", "认领党员"],
        widths=[36, 10, 12, 10, 12],
        personal=True,
        rows=_need_rows,
        count=lambda user, params: _needs(user, params).count(),
        describe=lambda user, params: Described(
            f"{_community(user, params).name} 需求清单",
            [
                ("类型", filter_label(NeedKind.choices, params.get("kind", ""))),
                ("状态", filter_label(NeedStatus.choices, params.get("status", ""))),
            ],
        ),
    ),
    Export(
        name="community_issues",
        title="民情议事",
        columns=[
            "事项",
            "社区",
            "小区",
            "反映人",
            "反映日期",
            "状态",
            "议定日期",
            "办结日期",
            "办理结果",
        ],  # fmt: skip
        widths=[30, 22, 16, 10, 12, 14, 12, 12, 40],
        rows=_issue_rows,
        count=lambda user, params: _issues(user, params).count(),
        describe=lambda user, params: Described(
            f"{_org(user, params).name} 民情议事",
            [("状态", filter_label(IssueStatus.choices, params.get("status", "")))],
        ),
        personal=True,
    ),
):
    register(_export)
