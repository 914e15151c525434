"""The admins' lists and the member accounts, exported and printed (web.exports): the audit trail
(audit admin), accounts (system admin), role grants (security admin), members' sign-in accounts
(staff), and a staff user's 待办 (the 工作台's list)."""

from __future__ import annotations

from typing import Any

from django.http import QueryDict
from django.utils import timezone

from dangjian.accounts import policy
from dangjian.accounts import selectors as account_selectors
from dangjian.accounts.constants import Role
from dangjian.audit import actions
from dangjian.audit import selectors as audit_selectors
from dangjian.audit.labels import describe
from dangjian.core.errors import NotVisible
from dangjian.members import selectors as member_selectors
from dangjian.orgs import selectors as org_selectors
from dangjian.web import todo
from dangjian.web.exports import Described, Export, register

RESULTS = {"success": "成功", "failure": "失败", "denied": "拒绝"}


def _audit_filters(params: QueryDict) -> dict[str, Any]:
    return {
        "action": params.get("action", ""),
        "actor": params.get("actor", "").strip(),
        "q": params.get("q", "").strip(),
        "result": params.get("result", ""),
        "date_from": audit_selectors.parse_date(params.get("date_from", "")),
        "date_to": audit_selectors.parse_date(params.get("date_to", "")),
    }


def _audit_describe(params: QueryDict) -> Described:
    f = _audit_filters(params)
    days = f"{f['date_from'] or ''}～{f['date_to'] or ''}" if f["date_from"] or f["date_to"] else ""
    return Described(
        "本系统审计日志",
        [
            ("操作", actions.label(f["action"]) if f["action"] else ""),
            ("操作人", f["actor"]),
            ("对象", f["q"]),
            ("结果", RESULTS.get(f["result"], f["result"])),
            ("日期", days),
        ],
    )


def _roles(u: Any) -> str:
    return "、".join(
        g.get_role_display() + (f"（{g.organization.name}）" if g.organization_id else "")
        for g in u.grants.all()
        if g.revoked_at is None
    )


def _audit(params: QueryDict) -> Any:
    return audit_selectors.audit_search(**_audit_filters(params)).select_related("organization")


register(
    Export(
        name="audit",
        title="审计日志",
        columns=["时间", "操作人", "操作", "对象", "组织", "结果", "来源地址", "详情"],
        widths=[18, 14, 20, 24, 22, 8, 14, 50],
        rows=lambda user, params: (
            [
                e.time,
                e.actor_name,
                actions.label(e.action),
                e.object_repr,
                e.organization.name if e.organization_id else "",
                RESULTS.get(e.result, e.result),
                e.ip or "",
                describe(e.action, e.data),
            ]
            for e in _audit(params).iterator(chunk_size=5000)
        ),
        count=lambda user, params: _audit(params).count(),
        describe=lambda user, params: Described(
            "本系统审计日志",
            [
                (
                    "操作",
                    actions.label(f["action"]) if (f := _audit_filters(params))["action"] else "",
                ),
                ("操作人", f["actor"]),
                ("对象", f["q"]),
                ("结果", f["result"]),
                (
                    "日期",
                    f"{f['date_from'] or ''}～{f['date_to'] or ''}"
                    if f["date_from"] or f["date_to"]
                    else "",
                ),  # fmt: skip
            ],
        ),
        allowed=lambda user: policy.has_admin_role(user, Role.AUDIT_ADMIN),
    )
)


def _users(params: QueryDict) -> Any:
    return account_selectors.users_search(params.get("q", "").strip())


register(
    Export(
        name="users",
        title="账号",
        columns=["用户名", "姓名", "状态", "角色", "最近登录", "创建时间"],
        widths=[16, 12, 8, 40, 18, 18],
        rows=lambda user, params: (
            [
                u.username,
                u.display_name,
                "启用" if u.is_active else "停用",
                "、".join(
                    g.get_role_display()
                    + (f"（{g.organization.name}）" if g.organization_id else "")
                    for g in u.grants.all()
                    if g.revoked_at is None
                ),
                u.last_login,
                u.date_joined,
            ]
            for u in _users(params).prefetch_related("grants__organization")
        ),
        count=lambda user, params: _users(params).count(),
        describe=lambda user, params: Described("本系统全部账号", [("查找", params.get("q", ""))]),
        allowed=lambda user: policy.has_admin_role(user, Role.SYSTEM_ADMIN),
    )
)

register(
    Export(
        name="grants",
        title="角色授权",
        columns=["用户名", "姓名", "角色", "授权组织", "可查看完整敏感信息", "授权时间"],
        widths=[16, 12, 20, 24, 10, 18],
        rows=lambda user, params: (
            [
                g.user.username,
                g.user.display_name,
                g.get_role_display(),
                g.organization.name if g.organization is not None else "",
                g.can_unmask,
                g.created_at,
            ]
            for g in account_selectors.grants_in_force()
        ),
        count=lambda user, params: account_selectors.grants_in_force().count(),
        describe=lambda user, params: Described("本系统全部在用授权"),
        allowed=lambda user: policy.has_admin_role(user, Role.SECURITY_ADMIN),
    )
)


def _org(user: Any, params: QueryDict) -> Any:
    raw = params.get("org", "")
    if not raw.isdecimal():
        raise NotVisible()
    return org_selectors.org_get(user, int(raw))


def _accounts(user: Any, params: QueryDict) -> Any:
    return member_selectors.accounts_of(
        _org(user, params),
        state=params.get("state", ""),
        q=(params.get("q") or "").strip(),
    )


register(
    Export(
        name="member_accounts",
        title="党员账号",
        columns=["党员编号", "姓名", "党组织", "账号状态", "开通时间"],
        widths=[12, 10, 24, 10, 18],
        rows=lambda user, params: (
            [
                m.member_no,
                m.name,
                m.organization.name,
                member_selectors.ACCOUNT_STATES.get(m.account, m.account),
                getattr(getattr(m, "user", None), "activated_at", None),
            ]
            for m in _accounts(user, params).iterator(chunk_size=5000)
        ),
        count=lambda user, params: _accounts(user, params).count(),
        describe=lambda user, params: Described(
            f"{_org(user, params).name}（含下级）",
            [
                ("账号状态", member_selectors.ACCOUNT_STATES.get(params.get("state", ""), "")),
                ("查找", (params.get("q") or "").strip()),
            ],
        ),
    )
)


def _todos(user: Any, params: QueryDict) -> list[todo.Todo]:
    """The 工作台's list as it stands now, of the kind the page shows (全部 by default)."""
    kind = params.get("kind", "")
    return todo.staff_todos(user, timezone.localdate()).of_kind(kind if kind in todo.KINDS else "")


def _todo_row(t: todo.Todo, today: Any) -> list[Any]:
    deadline = "已逾期" if t.overdue_on(today) else ("未到期" if t.deadline else "无期限")
    return [
        t.kind_label + {"red": "·红", "yellow": "·黄"}.get(t.severity, ""),
        t.title,
        t.count,
        t.organization,
        t.detail,
        t.deadline,
        deadline,
    ]


register(
    Export(
        name="todo",
        title="待办事项",
        columns=["类别", "事项", "涉及数", "党组织", "说明", "期限", "状态"],
        widths=[14, 28, 8, 26, 50, 12, 8],
        rows=lambda user, params: (
            _todo_row(t, timezone.localdate()) for t in _todos(user, params)
        ),
        count=lambda user, params: len(_todos(user, params)),
        describe=lambda user, params: Described(
            "本人的待办",
            [("类别", todo.KINDS.get(params.get("kind", ""), ""))],
        ),
        # one's own list: staff, and the three admins (whose 工作台 lists theirs)
        allowed=lambda user: policy.is_staff(user) or policy.is_admin(user),
    )
)
