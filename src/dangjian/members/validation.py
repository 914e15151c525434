"""Parsing and checking member fields from text (forms, CSV, Excel) with Chinese reasons.

One place for the field rules, so that a web form, the roster import and the bundle import refuse
the same things in the same words.
"""

from __future__ import annotations

import re
from datetime import date
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from dangjian.core import idnumber

# the generic date parser and its error live in core; the field rules here use them
from dangjian.core.dates import parse_date as parse_date
from dangjian.core.errors import FieldError as FieldError

from .constants import ETHNICITIES, Education, FeeCategory, Gender, MemberStatus, Occupation

MEMBER_NO_RE = re.compile(r"^[A-Za-z0-9_-]{1,32}$")
PHONE_RE = re.compile(r"^1[3-9]\d{9}$")
NAME_MAX = 50
FEE_BASE_MAX_FEN = 100_000_000_00  # 100 million yuan: anything above is a typo


def parse_money_fen(value: str, label: str) -> int:
    """Yuan with at most two decimals → integer fen."""
    value = (value or "").strip()
    if not value:
        raise FieldError(f"{label}不能为空")
    try:
        amount = Decimal(value)
    except InvalidOperation as exc:
        raise FieldError(f"{label}“{value}”不是数字") from exc
    if not amount.is_finite():
        raise FieldError(f"{label}“{value}”不是数字")
    if amount < 0:
        raise FieldError(f"{label}不能为负数")
    if amount != amount.quantize(Decimal("0.01")):
        raise FieldError(f"{label}最多保留两位小数")
    fen = int((amount * 100).quantize(Decimal("1"), rounding=ROUND_HALF_UP))
    if fen > FEE_BASE_MAX_FEN:
        raise FieldError(f"{label}“{value}”过大")
    return fen


def fen_to_yuan(fen: int) -> str:
    sign = "-" if fen < 0 else ""
    fen = abs(fen)
    return f"{sign}{fen // 100}.{fen % 100:02d}"


def check_member_no(value: str) -> str:
    value = (value or "").strip()
    if not value:
        raise FieldError("党员编号不能为空")
    if not MEMBER_NO_RE.match(value):
        raise FieldError(f"党员编号“{value[:40]}”只能由字母、数字、-、_组成，且不超过32位")
    return value


def check_name(value: str) -> str:
    value = (value or "").strip()
    if not value:
        raise FieldError("姓名不能为空")
    if len(value) > NAME_MAX:
        raise FieldError(f"姓名不能超过{NAME_MAX}个字符")
    return value


def check_choice(value: str, choices: list[str], label: str) -> str:
    value = (value or "").strip()
    if value not in choices:
        raise FieldError(f"{label}“{value[:20]}”无效，应为：{'、'.join(choices)}")
    return value


def check_id_number(value: str, required: bool = True) -> str:
    value = idnumber.normalize(value or "")
    if not value:
        if required:
            raise FieldError("身份证号不能为空")
        return ""
    reason = idnumber.validate(value)
    if reason:
        raise FieldError(reason)
    return value


def check_phone(value: str) -> str:
    value = (value or "").strip()
    if value and not PHONE_RE.match(value):
        raise FieldError(f"手机号“{value[:20]}”应为11位中国大陆手机号码")
    return value


def check_consistency(
    *,
    birth_date: date,
    id_number: str,
    gender: str,
    joined_on: date,
    status: str,
    full_on: date | None,
) -> dict[str, str]:
    """Cross-field checks; returns {field: reason}."""
    errors: dict[str, str] = {}
    if id_number and idnumber.birth_date(id_number) != birth_date:
        errors["birth_date"] = "出生日期与身份证号中的出生日期不一致"
    if id_number and idnumber.gender(id_number) != gender:
        errors["gender"] = "性别与身份证号不一致"
    age_at_join = (
        joined_on.year
        - birth_date.year
        - ((joined_on.month, joined_on.day) < (birth_date.month, birth_date.day))
    )
    if age_at_join < 18:
        errors["joined_on"] = "入党时未满18周岁"
    if status == MemberStatus.PROBATIONARY and full_on is not None:
        errors["full_on"] = "预备党员不应有转正日期"
    if status == MemberStatus.FULL and full_on is None:
        errors["full_on"] = "正式党员应填写转正日期"
    if full_on is not None and full_on < joined_on:
        errors["full_on"] = "转正日期早于入党日期"
    return errors


GENDERS = list(Gender.values)
FEE_CATEGORIES = list(FeeCategory.values)
EDUCATIONS = list(Education.values)
OCCUPATIONS = list(Occupation.values)
ETHNICITY_LIST = ETHNICITIES
