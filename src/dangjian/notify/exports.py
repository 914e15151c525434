"""消息 exported and printed (web.exports): one's own reminders; the outbound log (system
admin)."""

from __future__ import annotations

from typing import Any

from django.http import QueryDict

from dangjian.accounts import policy
from dangjian.accounts.constants import Role
from dangjian.compliance.engine import REGISTRY, SEVERITY_LABELS
from dangjian.web.exports import Described, Export, filter_label, register

from . import selectors
from .models import Channel, DeliveryStatus

register(
    Export(
        name="inbox",
        title="我的提醒",
        columns=["发现日期", "等级", "规则", "组织", "党员", "情况", "状态", "已读"],
        widths=[12, 10, 24, 24, 10, 50, 8, 8],
        rows=lambda user, params: (
            [
                r.finding.opened_on,
                SEVERITY_LABELS.get(r.finding.severity, r.finding.severity),
                REGISTRY[r.finding.rule_id].title
                if r.finding.rule_id in REGISTRY
                else r.finding.rule_id,
                r.organization.name,
                r.finding.member.name if r.finding.member is not None else "",
                r.finding.message,
                "已消除" if r.closed_on else "未消除",
                "是" if r.read_at else "否",
            ]
            for r in selectors.inbox(user).iterator(chunk_size=2000)
        ),
        count=lambda user, params: selectors.inbox(user).count(),
        describe=lambda user, params: Described(f"{user.username}的提醒"),
        allowed=lambda user: user.is_authenticated,
    )
)


def _deliveries(params: QueryDict) -> Any:
    return selectors.deliveries(status=params.get("status", ""), channel=params.get("channel", ""))


register(
    Export(
        name="deliveries",
        title="外发记录",
        columns=["创建时间", "接收人", "渠道", "状态", "尝试次数", "最后错误"],
        widths=[18, 14, 8, 8, 8, 40],
        rows=lambda user, params: (
            [
                d.created_at,
                d.user.username,
                d.get_channel_display(),
                d.get_status_display(),
                d.attempts,
                d.last_error,
            ]
            for d in _deliveries(params).iterator(chunk_size=2000)
        ),
        count=lambda user, params: _deliveries(params).count(),
        describe=lambda user, params: Described(
            "本系统全部外发消息",
            [
                ("状态", filter_label(DeliveryStatus.choices, params.get("status", ""))),
                ("渠道", filter_label(Channel.choices, params.get("channel", ""))),
            ],
        ),
        allowed=lambda user: policy.has_admin_role(user, Role.SYSTEM_ADMIN),
    )
)
