"""The roster's export and print view (web.exports): the page's filters, read through the same
scoped selector; ID numbers and phones in full only for a user who may unmask the whole scope
exported (recorded in the audit event)."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from typing import Any

from django.http import QueryDict

from dangjian.accounts import policy
from dangjian.orgs import selectors as org_selectors
from dangjian.web.exports import Described, Export, register

from .models import Member
from .selectors import RosterFilters, member_count_on_roll, org_param, roster


def _org(user: Any, params: QueryDict) -> Any:
    return org_param(user, params)


def _full(user: Any, org: Any) -> bool:
    scope = [org] if org is not None else list(org_selectors.org_roots(user))
    return bool(scope) and all(policy.can_unmask(user, o) for o in scope)


def _rows(user: Any, params: QueryDict) -> Iterator[list[Any]]:
    org = _org(user, params)
    full = _full(user, org)
    qs = roster(user, org, RosterFilters.from_params(params))
    m: Member
    for m in qs.iterator(chunk_size=5000):
        yield [
            m.member_no,
            m.name,
            m.gender,
            m.birth_date,
            m.id_number() if full else m.id_number_masked,
            (m.phone() if full else m.phone_masked) if m.phone_encrypted else "",
            m.organization.name,
            m.get_status_display(),
            m.joined_on,
            m.full_on,
            m.ethnicity,
            m.get_education_display(),
            m.get_fee_category_display(),
            Decimal(m.fee_base_fen) / 100,
        ]


def _count(user: Any, params: QueryDict) -> int:
    org = _org(user, params)
    f = RosterFilters.from_params(params)
    if not f.narrowing:
        return member_count_on_roll(user, org)
    return roster(user, org, f).count()


def _describe(user: Any, params: QueryDict) -> Described:
    org = _org(user, params)
    scope = f"{org.name}（含下级）" if org else "全部管理范围"
    return Described(scope, RosterFilters.from_params(params).described())


register(
    Export(
        name="members",
        title="党员花名册",
        columns=[
            "党员编号",
            "姓名",
            "性别",
            "出生日期",
            "身份证号",
            "手机号",
            "所在党组织",
            "党籍状态",
            "入党日期",
            "转正日期",
            "民族",
            "学历",
            "党费类别",
            "党费基数（元）",
        ],
        widths=[12, 10, 6, 12, 20, 14, 24, 10, 12, 12, 8, 10, 10, 12],
        rows=_rows,
        count=_count,
        describe=_describe,
        personal=True,
        audit_data=lambda user, params: {"unmasked": _full(user, _org(user, params))},
    )
)
