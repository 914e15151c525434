"""监测预警 exported and printed (web.exports): the dashboard's findings under its filters."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from django.http import QueryDict

from dangjian.core.errors import NotVisible
from dangjian.orgs import selectors as org_selectors
from dangjian.web.exports import Described, Export, register

from . import selectors
from .engine import CATEGORIES, REGISTRY, SEVERITY_LABELS


def _org(user: Any, params: QueryDict) -> Any:
    raw = params.get("org", "")
    if raw.isdecimal():
        return org_selectors.org_get(user, int(raw))
    org = org_selectors.org_roots(user).first()
    if org is None:
        raise NotVisible()
    return org


def _qs(user: Any, params: QueryDict) -> Any:
    f = selectors.dashboard_filters(params)
    group = "info" if f["tab"] == "info" else (f["severity"] or "alerts")
    return selectors.findings_in(
        user, _org(user, params), category=f["category"], severity=group, rule=f["rule"]
    )


def _rows(user: Any, params: QueryDict) -> Iterator[list[Any]]:
    for x in _qs(user, params).iterator(chunk_size=5000):
        rule = REGISTRY.get(x.rule_id)
        yield [
            x.opened_on,
            SEVERITY_LABELS.get(x.severity, x.severity),
            rule.title if rule else x.rule_id,
            x.rule_id,
            x.organization.name,
            x.member.name if x.member_id else "",
            x.member.member_no if x.member_id else "",
            x.message,
            str(rule.citation) if rule else "",
        ]


def _describe(user: Any, params: QueryDict) -> Described:
    f = selectors.dashboard_filters(params)
    rule = REGISTRY.get(f["rule"])
    return Described(
        f"{_org(user, params).name}（含下级）",
        [
            ("类型", "提示" if f["tab"] == "info" else "预警"),
            ("类别", CATEGORIES.get(f["category"], "")),
            ("等级", {"red": "红色预警（含严重）", "yellow": "黄色预警"}.get(f["severity"], "")),
            ("规则", f"{rule.title}（{f['rule']}）" if rule else ""),
        ],
    )


register(
    Export(
        name="findings",
        title="监测预警",
        columns=[
            "发现日期",
            "等级",
            "规则",
            "规则编号",
            "组织",
            "党员",
            "党员编号",
            "情况",
            "依据",
        ],
        widths=[12, 10, 24, 10, 24, 10, 12, 50, 30],
        rows=_rows,
        count=lambda user, params: _qs(user, params).count(),
        describe=_describe,
    )
)
