"""The left menu. Each module adds its entries here as it lands; only built modules appear."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.urls import get_script_prefix, get_urlconf, reverse

from dangjian.accounts import policy
from dangjian.accounts.constants import Role


@dataclass(frozen=True)
class MenuItem:
    section: str
    label: str
    url_name: str
    icon: str
    visible: Any  # callable(user) -> bool
    url_args: tuple[str, ...] = ()

    @property
    def url(self) -> str:
        # the menu is on every staff page, twice per item (the link, and whether it is the page
        # shown): reversed once per process and URL configuration, not ~80 times per request
        key = (get_script_prefix(), settings.ROOT_URLCONF, get_urlconf(), self)
        found = _URLS.get(key)
        if found is None:
            found = _URLS[key] = reverse(self.url_name, args=self.url_args)
        return found

    def is_current(self, request: Any) -> bool:
        match = getattr(request, "resolver_match", None)
        return request.path == self.url or (
            not self.url_args and match is not None and match.view_name == self.url_name
        )


_URLS: dict[tuple[Any, ...], str] = {}


def _staff(user: Any) -> bool:
    return policy.is_staff(user)


def _changer(user: Any) -> bool:
    return policy.path_q(user, "change") is not None


MENU: list[MenuItem] = [
    MenuItem("工作台", "工作台", "portal:home", "speedometer2", _staff),
    MenuItem("组织管理", "组织架构", "orgs:tree", "diagram-3", _staff),
    MenuItem("党员管理", "党员花名册", "members:list", "people", _staff),
    MenuItem("党员管理", "花名册导入", "interchange:upload", "upload", _changer, ("members",)),
    MenuItem("党费管理", "党费收缴", "fees:home", "wallet2", _staff),
    MenuItem("党费管理", "交纳导入", "interchange:upload", "upload", _changer, ("fees",)),
    MenuItem("组织生活", "三会一课", "meetings:home", "calendar3", _staff),
    MenuItem("发展党员", "发展党员", "recruitment:home", "person-plus", _staff),
    MenuItem("组织关系", "组织关系转接", "transfers:home", "arrow-left-right", _staff),
    MenuItem("学习教育", "学习教育", "learning:home", "book", _staff),
    MenuItem("学习教育", "党建助手", "assistant:ask", "chat-dots", _staff),
    MenuItem("学习教育", "助手知识库", "assistant:documents", "journal-text", _staff),
    MenuItem("近邻党建", "近邻党建", "community:home", "houses", _staff),
    MenuItem("组团帮扶", "组团帮扶", "villages:home", "tree", _staff),
    MenuItem("非公党建", "非公党建", "enterprises:home", "building", _staff),
    MenuItem("党建学院", "培训班次", "academy:home", "mortarboard", _staff),
    MenuItem("督查督办", "意见建议", "assistant:opinions", "chat-square-text", _staff),
    MenuItem("监测预警", "预警总览", "compliance:dashboard", "stoplights", _staff),
    MenuItem("监测预警", "提醒方式", "notify:settings", "bell", _staff),
    MenuItem("督查督办", "督办任务", "supervision:list", "clipboard-check", _staff),
    MenuItem(
        "系统管理",
        "账号管理",
        "portal:users",
        "person-gear",
        lambda u: policy.has_admin_role(u, Role.SYSTEM_ADMIN),
    ),
    MenuItem(
        "系统管理",
        "节假日",
        "recruitment:holidays",
        "calendar-week",
        lambda u: policy.has_admin_role(u, Role.SYSTEM_ADMIN),
    ),
    MenuItem(
        "系统管理",
        "学习积分",
        "learning:points",
        "award",
        lambda u: policy.has_admin_role(u, Role.SYSTEM_ADMIN),
    ),
    MenuItem(
        "系统管理",
        "外发记录",
        "notify:deliveries",
        "send",
        lambda u: policy.has_admin_role(u, Role.SYSTEM_ADMIN),
    ),
    MenuItem(
        "系统管理",
        "角色授权",
        "portal:grants",
        "shield-lock",
        lambda u: policy.has_admin_role(u, Role.SECURITY_ADMIN),
    ),
    MenuItem(
        "系统管理",
        "规则设置",
        "compliance:rules",
        "sliders",
        lambda u: policy.has_admin_role(u, Role.SECURITY_ADMIN),
    ),
    MenuItem(
        "系统管理",
        "跨系统转接密钥",
        "transfers:keys",
        "key",
        lambda u: policy.has_admin_role(u, Role.SECURITY_ADMIN),
    ),
    MenuItem(
        "系统管理",
        "审计日志",
        "portal:audit",
        "journal-text",
        lambda u: policy.has_admin_role(u, Role.AUDIT_ADMIN),
    ),
    MenuItem(
        "系统管理",
        "接口文档",
        "api-docs",
        "braces",
        lambda u: policy.has_admin_role(u, Role.SYSTEM_ADMIN),
    ),
]


def menu_for(user: Any) -> list[tuple[str, list[MenuItem]]]:
    sections: dict[str, list[MenuItem]] = {}
    for item in MENU:
        if item.visible(user):
            sections.setdefault(item.section, []).append(item)
    return list(sections.items())
