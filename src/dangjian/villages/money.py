"""Money of the village figures: yuan text in, integer fen stored, 万元 and 亿元 shown — every
rounding half up, as the city's reports round."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from dangjian.core.errors import DomainError

# a village's collective income above this is a typing error, not a figure (a deployment may
# raise it: settings.VILLAGE_INCOME_CEILING_YUAN)
CEILING_YUAN = Decimal("100000000")  # 1 亿元


def parse_yuan(raw: object, *, field: str, label: str, ceiling: Decimal = CEILING_YUAN) -> int:
    """'1131300', '1,131,300.50' → fen. Refuses negatives, more than two decimals, non-numbers
    and amounts over the ceiling, naming the field."""
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


def half_up(value: Decimal, places: str) -> Decimal:
    return value.quantize(Decimal(places), rounding=ROUND_HALF_UP)


def wan(fen: int | None) -> str:
    """Fen as 万元 with two decimals: 11313000 → '113.13'."""
    return "" if fen is None else f"{half_up(Decimal(fen) / 1_000_000, '0.01')}"


def yi(fen: int | None) -> str:
    """Fen as 亿元 with two decimals: 16630110000 → '1.66'."""
    return "" if fen is None else f"{half_up(Decimal(fen) / 10_000_000_000, '0.01')}"


def yuan(fen: int | None) -> str:
    return "" if fen is None else f"{Decimal(fen) / 100:.2f}"
