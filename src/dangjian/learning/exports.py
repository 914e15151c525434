"""学习教育 exported and printed (web.exports): the members' study hours of a year against the
requirement of their role, and the course library."""

from __future__ import annotations

from collections.abc import Iterator
from itertools import islice
from typing import Any

from django.http import QueryDict
from django.utils import timezone

from dangjian.core.errors import NotVisible
from dangjian.orgs import selectors as org_selectors
from dangjian.web.exports import Described, Export, register

from . import selectors

BATCH = 2000  # members per round of grouped queries


def _org(user: Any, params: QueryDict) -> Any:
    raw = params.get("org", "")
    if not raw.isdecimal():
        raise NotVisible()
    return org_selectors.org_get(user, int(raw))


def _year(params: QueryDict) -> int:
    today = timezone.localdate()
    raw = params.get("year", "")
    return min(max(int(raw), 2000), today.year) if raw.isdecimal() else today.year


def _members(user: Any, params: QueryDict) -> Any:
    return (
        selectors.studying_members(_org(user, params))
        .select_related("organization")
        .order_by("organization__path", "member_no")
    )


def _hours_rows(user: Any, params: QueryDict) -> Iterator[list[Any]]:
    year = _year(params)
    need_m, need_l = selectors.requirements()
    members = _members(user, params).iterator(chunk_size=BATCH)
    while batch := list(islice(members, BATCH)):
        ids = [m.pk for m in batch]
        hours = selectors.hours_by_member(ids, year)
        leaders = selectors.leaders(ids, year)
        for m in batch:
            h, need = hours[m.pk], need_l if m.pk in leaders else need_m
            yield [
                m.member_no,
                m.name,
                m.organization.name,
                "书记、委员" if m.pk in leaders else "党员",
                h["online"],
                h["offline"],
                h["imported"],
                h["total"],
                need,
                "达标" if h["total"] >= need else "未达标",
            ]


register(
    Export(
        name="learning_hours",
        title="学时统计",
        columns=[
            "党员编号",
            "姓名",
            "党组织",
            "身份",
            "在线学时",
            "线下学时",
            "导入学时",
            "合计",
            "年度要求",
            "是否达标",
        ],  # fmt: skip
        widths=[12, 10, 24, 10, 10, 10, 10, 10, 10, 10],
        rows=_hours_rows,
        count=lambda user, params: _members(user, params).count(),
        describe=lambda user, params: Described(
            f"{_org(user, params).name}（含下级）", [("年度", f"{_year(params)}年")]
        ),
    )
)


def _courses(user: Any, params: QueryDict) -> Any:
    return selectors.library_courses(_org(user, params))


register(
    Export(
        name="learning_courses",
        title="学习课程",
        columns=["课程", "发布单位", "发布日期", "资料数"],
        widths=[36, 24, 12, 8],
        rows=lambda user, params: (
            [c.title, c.publisher.name, c.published_on, c.n]
            for c in _courses(user, params).iterator(chunk_size=1000)
        ),
        count=lambda user, params: _courses(user, params).count(),
        describe=lambda user, params: Described(
            f"{_org(user, params).name}可用的课程（本级及上级发布、本级及下级草稿）"
        ),
    )
)
