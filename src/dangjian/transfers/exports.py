"""组织关系转接 lists exported and printed (web.exports): letters going out or coming in, letters
from outside, mobile members, lost contact — each under the page's own filters."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from django.http import QueryDict

from dangjian.core.errors import NotVisible
from dangjian.orgs import selectors as org_selectors
from dangjian.web.exports import Described, Export, filter_label, register

from . import selectors
from .models import IncomingStatus, MobileDirection, TransferStatus


def _org(user: Any, params: QueryDict) -> Any:
    raw = params.get("org", "")
    if not raw.isdecimal():
        raise NotVisible()
    return org_selectors.org_get(user, int(raw))


def _status(params: QueryDict) -> str:
    return params.get("status", "open")


def _status_label(params: QueryDict, choices: Any) -> str:
    status = _status(params)
    return "未办结" if status == "open" else filter_label(choices, status)


def _letters(user: Any, params: QueryDict) -> Any:
    side = "in" if params.get("tab") == "in" else "out"
    return selectors.transfers_of(
        _org(user, params),
        side=side,
        status=_status(params),
        q=(params.get("q") or "").strip(),
        sort=params.get("sort", "-issued"),
    )


def _letter_rows(user: Any, params: QueryDict) -> Iterator[list[Any]]:
    for t in _letters(user, params).iterator(chunk_size=2000):
        yield [
            t.letter_no,
            t.member.name,
            t.member.member_no,
            t.from_org.name,
            t.to_org.name if t.to_org else t.to_name,
            t.get_status_display(),
            t.get_stage_display(),
            t.started_on,
            t.issued_on,
            t.accepted_on,
            t.reason,
            t.closed_reason,
        ]


def _letter_describe(user: Any, params: QueryDict) -> Described:
    side = "转入" if params.get("tab") == "in" else "转出"
    return Described(
        f"{_org(user, params).name}（含下级）",
        [
            ("方向", side),
            ("状态", _status_label(params, TransferStatus.choices)),
            ("查找", (params.get("q") or "").strip()),
        ],
    )


register(
    Export(
        name="transfers",
        title="组织关系转接",
        columns=[
            "介绍信编号",
            "姓名",
            "党员编号",
            "转出组织",
            "转入组织",
            "状态",
            "进度",
            "申请日期",
            "开具日期",
            "接收日期",
            "转接原因",
            "退回或撤销原因",
        ],
        widths=[18, 10, 12, 22, 22, 8, 14, 12, 12, 12, 20, 20],
        rows=_letter_rows,
        count=lambda user, params: _letters(user, params).count(),
        describe=_letter_describe,
    )
)


def _incoming(user: Any, params: QueryDict) -> Any:
    return selectors.incoming_of(_org(user, params), status=_status(params))


register(
    Export(
        name="transfers_incoming",
        title="外来介绍信",
        columns=[
            "介绍信编号",
            "姓名",
            "原党员编号",
            "转出党组织",
            "转入党支部",
            "开具日期",
            "有效期（天）",
            "状态",
            "接收日期",
            "退回原因",
        ],  # fmt: skip
        widths=[18, 10, 14, 24, 22, 12, 10, 8, 12, 20],
        rows=lambda user, params: (
            [
                lt.letter_no,
                lt.name,
                lt.member_no,
                lt.from_name,
                lt.to_org.name,
                lt.issued_on,
                lt.valid_days,
                lt.get_status_display(),
                lt.accepted_on,
                lt.closed_reason,
            ]
            for lt in _incoming(user, params).iterator(chunk_size=2000)
        ),
        count=lambda user, params: _incoming(user, params).count(),
        describe=lambda user, params: Described(
            f"{_org(user, params).name}（含下级）",
            [("状态", _status_label(params, IncomingStatus.choices))],
        ),
    )
)


def _direction(params: QueryDict) -> str:
    d = params.get("direction", "out")
    return d if d in MobileDirection.values else "out"


def _mobile(user: Any, params: QueryDict) -> Any:
    return selectors.mobile_of(
        _org(user, params), direction=_direction(params), status=_status(params)
    )


register(
    Export(
        name="transfers_mobile",
        title="流动党员",
        columns=[
            "姓名",
            "党员编号",
            "管理党组织",
            "组织关系所在",
            "流向（流入）地点",
            "原因",
            "外出（流入）日期",
            "最近汇报",
            "联系方式",
            "活动证编号",
            "返回（离开）日期",
        ],  # fmt: skip
        widths=[10, 12, 22, 22, 20, 16, 12, 12, 14, 14, 12],
        rows=lambda user, params: (
            [
                mm.name,
                mm.member.member_no if mm.member_id else "",
                mm.organization.name,
                mm.home_org,
                mm.place,
                mm.reason,
                mm.since,
                mm.last_report,
                mm.contact_masked,
                mm.card_no,
                mm.ended_on,
            ]
            for mm in _mobile(user, params).iterator(chunk_size=2000)
        ),
        count=lambda user, params: _mobile(user, params).count(),
        describe=lambda user, params: Described(
            f"{_org(user, params).name}（含下级）",
            [
                ("方向", filter_label(MobileDirection.choices, _direction(params))),
                ("状态", "未结束" if _status(params) == "open" else ""),
            ],
        ),
        personal=True,
    )
)


def _lost(user: Any, params: QueryDict) -> Any:
    return selectors.lost_of(_org(user, params), status=_status(params))


register(
    Export(
        name="transfers_lost",
        title="失联党员",
        columns=[
            "姓名",
            "党员编号",
            "党组织",
            "失去联系日期",
            "状态",
            "停止党籍日期",
            "结束日期",
            "查找情况",
        ],  # fmt: skip
        widths=[10, 12, 22, 12, 10, 12, 12, 40],
        rows=lambda user, params: (
            [
                lc.member.name,
                lc.member.member_no,
                lc.organization.name,
                lc.since,
                lc.get_status_display(),
                lc.suspended_on,
                lc.closed_on,
                lc.efforts,
            ]
            for lc in _lost(user, params).iterator(chunk_size=2000)
        ),
        count=lambda user, params: _lost(user, params).count(),
        describe=lambda user, params: Described(
            f"{_org(user, params).name}（含下级）",
            [("状态", "未结束" if _status(params) == "open" else "")],
        ),
    )
)
