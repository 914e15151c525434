"""The fee bands (rules.md §1; rules-contract.md "Fees"). Money is integer fen throughout.

employed and other: base <= 3000 -> 0.5%; <= 5000 -> 1%; <= 10000 -> 1.5%; above -> 2%, of the
whole base; retired: <= 5000 -> 0.5%, above -> 1%; farmer: any amount from 0.20 to 1.00
(the assessed default 0.50); student and unemployed: 0.20. Rounded to 0.01 yuan half up.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from dangjian.core.errors import DomainError
from dangjian.core.money import parse_yuan, yuan  # noqa: F401 - fees callers use bands.*

CATEGORIES = {
    "employed": "在职",
    "retired": "离退休",
    "farmer": "农民",
    "student": "学生",
    "unemployed": "失业/低保",
    "other": "其他",
}
# (upper bound of the base in fen, inclusive; rate in per-mille tenths, i.e. 5 = 0.5%)
EMPLOYED = [
    (300000, Decimal("0.005"), "3000元以下（含）按0.5%"),
    (500000, Decimal("0.01"), "3000元以上至5000元（含）按1%"),
    (1000000, Decimal("0.015"), "5000元以上至10000元（含）按1.5%"),
    (None, Decimal("0.02"), "10000元以上按2%"),
]
RETIRED = [
    (500000, Decimal("0.005"), "离退休费5000元以下（含）按0.5%"),
    (None, Decimal("0.01"), "离退休费5000元以上按1%"),
]
FARMER_MIN, FARMER_MAX, FARMER_DEFAULT = 20, 100, 50
FIXED_LOW = 20
VOLUNTARY_CENTRAL_FEN = (
    100000  # a single voluntary payment of 1,000 yuan or more goes to the Centre
)


@dataclass(frozen=True)
class Quote:
    monthly_fen: int
    band: str  # the band used, in Chinese
    rate: Decimal | None  # None for fixed amounts
    minimum_fen: int | None = None  # for farmers: the allowed range
    maximum_fen: int | None = None


def quote(category: str, base_fen: int) -> Quote:
    """The monthly amount for a category and a base (fen). Raises DomainError on bad input."""
    if category not in CATEGORIES:
        raise DomainError(
            "bad_category",
            f"党费类别“{category}”无效，应为："
            f"{'、'.join(f'{k}（{v}）' for k, v in CATEGORIES.items())}",
            field="category",
        )
    if not isinstance(base_fen, int) or isinstance(base_fen, bool) or base_fen < 0:
        raise DomainError("bad_base", "计算基数应为不小于0的金额", field="base")
    if category in ("employed", "other", "retired"):
        for upper, rate, label in EMPLOYED if category != "retired" else RETIRED:
            if upper is None or base_fen <= upper:
                amount = (Decimal(base_fen) * rate).quantize(Decimal("1"), rounding=ROUND_HALF_UP)
                return Quote(int(amount), label, rate)
    if category == "farmer":
        return Quote(FARMER_DEFAULT, "农民党员每月0.2元至1元", None, FARMER_MIN, FARMER_MAX)
    return Quote(FIXED_LOW, f"{CATEGORIES[category]}党员每月0.2元", None)


def due_is_correct(category: str, base_fen: int, due_fen: int) -> bool:
    """FEE-09: is `due` the band amount (farmers: anywhere in 0.20-1.00)?"""
    q = quote(category, base_fen)
    if q.minimum_fen is not None and q.maximum_fen is not None:
        return q.minimum_fen <= due_fen <= q.maximum_fen
    return due_fen == q.monthly_fen
