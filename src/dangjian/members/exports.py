"""The roster's export and print view (web.exports): the page's filters, read through the same
scoped selector; ID numbers and phones in full only for a user who may unmask the whole scope
exported (recorded in the audit event)."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from typing import Any

from django.http import QueryDict

from dangjian.accounts import policy
from dangjian.core import crypto
from dangjian.orgs import selectors as org_selectors
from dangjian.web.exports import Described, Export, register

from .models import Member
from .selectors import RosterFilters, member_count_on_roll, org_param, roster


def _org(user: Any, params: QueryDict) -> Any:
    return org_param(user, params)


def _full(user: Any, org: Any) -> bool:
    scope = [org] if org is not None else list(org_selectors.org_roots(user))
    return bool(scope) and all(policy.can_unmask(user, o) for o in scope)


def _labels(field: str) -> dict[Any, str]:
    return {k: str(v) for k, v in Member._meta.get_field(field).flatchoices}  # type: ignore[union-attr]


def _rows(user: Any, params: QueryDict) -> Iterator[list[Any]]:
    """Plain tuples, not model instances (a city's roster is 256,781 rows): choices labelled by
    dictionary, personal data decrypted only for a user who may unmask the whole scope."""
    org = _org(user, params)
    full = _full(user, org)
    status, education, category = _labels("status"), _labels("education"), _labels("fee_category")
    qs = roster(user, org, RosterFilters.from_params(params)).values_list(
        "member_no",
        "name",
        "gender",
        "birth_date",
        "id_number_encrypted" if full else "id_number_masked",
        "phone_encrypted" if full else "phone_masked",
        "organization__name",
        "status",
        "joined_on",
        "full_on",
        "ethnicity",
        "education",
        "fee_category",
        "fee_base_fen",
    )
    for r in qs.iterator(chunk_size=5000):
        yield [
            r[0],
            r[1],
            r[2],
            r[3],
            crypto.decrypt(r[4]) if full else r[4],
            (crypto.decrypt(r[5]) if full else r[5]) if r[5] else "",
            r[6],
            status.get(r[7], r[7]),
            r[8],
            r[9],
            r[10],
            education.get(r[11], r[11]),
            category.get(r[12], r[12]),
            Decimal(r[13]) / 100,
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
