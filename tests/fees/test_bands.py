"""The fee bands: exact at every boundary, monotone within a band, half-up rounding (hypothesis)."""

from __future__ import annotations

import io
from decimal import ROUND_HALF_UP, Decimal

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from hypothesis import given
from hypothesis import strategies as st

from dangjian.core.errors import DomainError
from dangjian.fees import bands

BOUNDARIES = [  # (category, base yuan, monthly yuan)
    ("employed", "0.00", "0.00"),
    ("employed", "3000.00", "15.00"),
    ("employed", "3000.01", "30.00"),
    ("employed", "5000.00", "50.00"),
    ("employed", "5000.01", "75.00"),
    ("employed", "10000.00", "150.00"),
    ("employed", "10000.01", "200.00"),
    ("employed", "3200.00", "32.00"),
    ("employed", "5400.00", "81.00"),
    ("employed", "11500.00", "230.00"),
    ("other", "2999.99", "15.00"),
    ("retired", "5000.00", "25.00"),
    ("retired", "5000.01", "50.00"),
    ("retired", "8000.00", "80.00"),
    ("student", "9999.00", "0.20"),
    ("unemployed", "0.00", "0.20"),
    ("farmer", "0.00", "0.50"),
]


@pytest.mark.parametrize(("category", "base", "monthly"), BOUNDARIES)
def test_boundaries(category: str, base: str, monthly: str) -> None:
    assert bands.quote(
        category, bands.parse_yuan(base, "base", "基数")
    ).monthly_fen == bands.parse_yuan(monthly, "m", "m")


RATES = {
    "employed": [(300000, "0.005"), (500000, "0.01"), (1000000, "0.015"), (None, "0.02")],
    "retired": [(500000, "0.005"), (None, "0.01")],
}


def reference(category: str, base_fen: int) -> int:
    for upper, rate in RATES["retired" if category == "retired" else "employed"]:
        if upper is None or base_fen <= upper:
            return int(
                (Decimal(base_fen) * Decimal(rate)).quantize(Decimal("1"), rounding=ROUND_HALF_UP)
            )
    raise AssertionError


@given(st.sampled_from(["employed", "other", "retired"]), st.integers(min_value=0, max_value=10**8))
def test_amount_is_the_rate_of_the_whole_base_rounded_half_up(category: str, base: int) -> None:
    assert bands.quote(category, base).monthly_fen == reference(category, base)


@given(
    st.sampled_from(["employed", "other", "retired"]),
    st.integers(min_value=0, max_value=10**7),
    st.integers(min_value=0, max_value=10**6),
)
def test_monotone_within_a_band(category: str, a: int, delta: int) -> None:
    lo, hi = bands.quote(category, a), bands.quote(category, a + delta)
    if lo.band == hi.band:
        assert lo.monthly_fen <= hi.monthly_fen
    else:  # moving up a band never lowers the amount
        assert hi.monthly_fen >= lo.monthly_fen


@given(st.integers(min_value=0, max_value=10**8))
def test_sql_band_matches_python(base: int) -> None:
    # the SQL CASE in services._band_sql uses (base * per10000 + 5000) / 10000 in integers
    for category in ("employed", "retired"):
        for upper, rate in RATES[category]:
            if upper is None or base <= upper:
                per10000 = int(Decimal(rate) * 10000)
                assert (base * per10000 + 5000) // 10000 == bands.quote(category, base).monthly_fen
                break


def test_fixed_amounts_and_bad_input() -> None:
    assert bands.quote("student", 0).monthly_fen == 20
    q = bands.quote("farmer", 0)
    assert (q.minimum_fen, q.maximum_fen) == (20, 100)
    with pytest.raises(DomainError) as exc:
        bands.quote("boss", 100)
    assert exc.value.field == "category"
    with pytest.raises(DomainError):
        bands.quote("employed", -1)
    for raw in ("-5", "abc", "1.234", "NaN", ""):
        with pytest.raises(DomainError):
            bands.parse_yuan(raw, "base", "基数")
    assert bands.parse_yuan("3,200.5", "base", "基数") == 320050


def test_fee_quote_command() -> None:
    out = io.StringIO()
    call_command("fee", "quote", "--category", "employed", "--base", "5400", stdout=out)
    text = out.getvalue()
    assert "81.00" in text
    assert "5000元以上至10000元（含）按1.5%" in text
    with pytest.raises(CommandError, match="党费类别"):
        call_command("fee", "quote", "--category", "boss", "--base", "5400", stdout=io.StringIO())
    with pytest.raises(CommandError, match="负数"):
        call_command("fee", "quote", "--category", "employed", "--base", "-1", stdout=io.StringIO())
