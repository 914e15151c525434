"""组织设置 lists exported and printed (web.exports): a committee's units and projects."""

from __future__ import annotations

from typing import Any

from django.http import QueryDict

from dangjian.core.errors import NotVisible
from dangjian.web.exports import Described, Export, filter_label, register

from . import selectors
from .models import UnitKind


def _org(user: Any, params: QueryDict) -> Any:
    raw = params.get("org", "")
    if not raw.isdecimal():
        raise NotVisible()
    return selectors.org_get(user, int(raw))


def _units(user: Any, params: QueryDict) -> Any:
    return selectors.units_of(_org(user, params), params.get("kind", ""))


register(
    Export(
        name="units",
        title="单位与项目",
        columns=[
            "类型",
            "名称",
            "统一社会信用代码",
            "单位类别",
            "正式党员数",
            "所建党组织",
            "项目开始",
            "计划结束",
            "实际结束",
        ],  # fmt: skip
        widths=[8, 30, 20, 12, 10, 24, 12, 12, 12],
        rows=lambda user, params: (
            [
                u.get_kind_display(),
                u.name,
                u.credit_code,
                u.get_category_display(),
                u.full_members,
                u.organization.name if u.organization_id else "未建立",
                u.started_on,
                u.ends_on,
                u.finished_on,
            ]
            for u in _units(user, params).iterator(chunk_size=2000)
        ),
        count=lambda user, params: _units(user, params).count(),
        describe=lambda user, params: Described(
            _org(user, params).name,
            [("类型", filter_label(UnitKind.choices, params.get("kind", "")))],
        ),
    )
)
