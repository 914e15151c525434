"""Checks of typed-in values that many services share: a text within its length, a phone number.
Each raises a DomainError naming the field and the reason in Chinese."""

from __future__ import annotations

from typing import Any

from .errors import DomainError

PHONE_MAX = 20


def text_field(value: Any, field: str, label: str, limit: int, *, required: bool = False) -> str:
    text = str(value or "").strip()
    if required and not text:
        raise DomainError("required", f"请填写{label}", field=field)
    if len(text) > limit:
        raise DomainError("too_long", f"{label}不能超过{limit}个字符", field=field)
    return text


def phone_field(value: Any, field: str, label: str) -> str:
    """Digits only (spaces and dashes dropped), 7 to 20 of them; empty stays empty."""
    phone = str(value or "").strip().replace(" ", "").replace("-", "")
    if phone and (not phone.isdecimal() or not 7 <= len(phone) <= PHONE_MAX):
        raise DomainError("bad_phone", f"{label}应为7到20位数字", field=field)
    return phone
