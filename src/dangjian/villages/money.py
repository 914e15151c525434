"""Money of the village figures: yuan text in, integer fen stored, 万元 and 亿元 shown — every
rounding half up, as the city's reports round."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

# yuan in, fen stored: the platform's (a village's income over the ceiling is a typing error; a
# deployment may raise it: settings.VILLAGE_INCOME_CEILING_YUAN)
from dangjian.core.money import CEILING_YUAN, parse_yuan, yuan

__all__ = ["CEILING_YUAN", "amount", "half_up", "parse_yuan", "wan", "yi", "yuan"]


def half_up(value: Decimal, places: str) -> Decimal:
    return value.quantize(Decimal(places), rounding=ROUND_HALF_UP)


def wan(fen: int | None) -> str:
    """Fen as 万元 with two decimals: 113130000 → '113.13'."""
    return "" if fen is None else f"{half_up(Decimal(fen) / 1_000_000, '0.01')}"


def amount(fen: int) -> str:
    """A total as the city writes it: in 亿元 from 1 亿 up (“1.66亿元”), in 万元 below it
    (“133.60万元”: 0.01亿元 would say nothing)."""
    return f"{yi(fen)}亿元" if fen >= 10_000_000_000 else f"{wan(fen)}万元"


def yi(fen: int | None) -> str:
    """Fen as 亿元 with two decimals: 16630110000 → '1.66'."""
    return "" if fen is None else f"{half_up(Decimal(fen) / 10_000_000_000, '0.01')}"
