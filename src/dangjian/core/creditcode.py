"""统一社会信用代码 (GB 32100-2015): 18 characters from a 31-character set (digits and capital
letters without I, O, Z, S, V); the 18th is a check character over the first 17 with the
weights 3^(i-1) mod 31."""

from __future__ import annotations

from .errors import DomainError

CHARSET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
WEIGHTS = [pow(3, i, 31) for i in range(17)]  # 1, 3, 9, 27, 19, 26, 16, …, 28


def check_character(first17: str) -> str:
    """The check character for the first 17 characters of a code (all from CHARSET)."""
    total = sum(CHARSET.index(c) * w for c, w in zip(first17, WEIGHTS, strict=True))
    return CHARSET[(31 - total % 31) % 31]


def credit_code_clean(raw: str, *, field: str = "credit_code") -> str:
    """The code upper-cased and checked; a DomainError naming the character and the reason."""
    code = (raw or "").strip().upper()
    if len(code) != 18:
        raise DomainError(
            "bad_credit_code", f"统一社会信用代码应为18位，现为{len(code)}位", field=field
        )
    for i, c in enumerate(code, start=1):
        if c not in CHARSET:
            raise DomainError(
                "bad_credit_code",
                f"统一社会信用代码第{i}位“{c}”不是允许的字符（数字或除I、O、Z、S、V外的大写字母）",
                field=field,
            )
    expected = check_character(code[:17])
    if code[17] != expected:
        raise DomainError(
            "bad_credit_code",
            f"统一社会信用代码校验位不对：第18位应为“{expected}”，现为“{code[17]}”",
            field=field,
        )
    return code
