"""Chinese resident ID numbers (GB 11643-1999): 18 characters, ISO 7064 MOD 11-2 check digit."""

from __future__ import annotations

import re
from datetime import date

WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
CHECK_CHARS = "10X98765432"
_SHAPE = re.compile(r"^\d{17}[\dX]$")


def check_digit(first17: str) -> str:
    total = sum(int(c) * w for c, w in zip(first17, WEIGHTS, strict=True))
    return CHECK_CHARS[total % 11]


def normalize(value: str) -> str:
    return value.strip().upper()


def validate(value: str) -> str | None:
    """Return None when the number is valid, else a Chinese reason."""
    v = normalize(value)
    if not _SHAPE.match(v):
        return "身份证号应为18位，前17位为数字，末位为数字或X"
    try:
        born = date(int(v[6:10]), int(v[10:12]), int(v[12:14]))
    except ValueError:
        return "身份证号中的出生日期不存在"
    if born.year < 1900:
        return "身份证号中的出生日期早于1900年"
    if check_digit(v[:17]) != v[17]:
        return "身份证号校验位错误（GB 11643）"
    return None


def birth_date(value: str) -> date:
    v = normalize(value)
    return date(int(v[6:10]), int(v[10:12]), int(v[12:14]))


def gender(value: str) -> str:
    """男 for an odd sequence digit, 女 for an even one."""
    return "男" if int(normalize(value)[16]) % 2 else "女"


def make(region: str, born: date, sequence: int) -> str:
    """Build a valid ID number (used by the synthetic city)."""
    first17 = f"{region}{born:%Y%m%d}{sequence:03d}"
    return first17 + check_digit(first17)


def mask(value: str) -> str:
    """First 6 and last 4 shown: 350203********1234 (security.md 1.7)."""
    v = normalize(value)
    if len(v) < 10:
        return "*" * len(v)
    return v[:6] + "*" * (len(v) - 10) + v[-4:]


def mask_contact(value: str) -> str:
    """A free-text contact (a phone, a WeChat id, an address) masked for display: a phone as
    138****1234, anything else with only its first and last characters shown."""
    v = (value or "").strip()
    if sum(c.isdecimal() for c in v) >= 7:
        return mask_phone(v)
    if len(v) <= 2:
        return "*" * len(v)
    return v[0] + "*" * (len(v) - 2) + v[-1]


def mask_phone(value: str) -> str:
    """138****1234."""
    v = value.strip()
    if len(v) < 7:
        return "*" * len(v)
    return v[:3] + "*" * (len(v) - 7) + v[-4:]
