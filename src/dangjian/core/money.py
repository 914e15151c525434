"""Money as the platform keeps it: yuan text in, integer fen stored (fees, village incomes)."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from .errors import DomainError

CEILING_YUAN = Decimal("100000000")  # 1 亿元: above it is a typing error, not an amount


def parse_yuan(raw: object, field: str, label: str, *, ceiling: Decimal = CEILING_YUAN) -> int:
    """'3200', '3200.5', '3,200.50' → fen. Refuses non-numbers, negatives, more than two
    decimals and amounts over the ceiling, naming the field."""
    text = str(raw if raw is not None else "").strip().replace(",", "")
    try:
        value = Decimal(text)
    except InvalidOperation as exc:
        raise DomainError("bad_money", f"{label}“{raw}”不是有效的金额", field=field) from exc
    if not value.is_finite():
        raise DomainError("bad_money", f"{label}“{raw}”不是有效的金额", field=field)
    if value < 0:
        raise DomainError("bad_money", f"{label}不能为负数", field=field)
    if value != value.quantize(Decimal("0.01")):
        raise DomainError("bad_money", f"{label}最多两位小数（元）", field=field)
    if value > ceiling:
        raise DomainError(
            "bad_money", f"{label}超过上限{ceiling:,.0f}元，请核对单位（元）", field=field
        )
    return int(value * 100)


def yuan(fen: int | None) -> str:
    """Fen as yuan with two decimals ('' for none)."""
    return "" if fen is None else f"{Decimal(fen) / 100:.2f}"
