from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dangjian.core import idnumber
from dangjian.core.dates import add_months


@given(
    born=st.dates(min_value=date(1900, 1, 1), max_value=date(2020, 12, 31)), seq=st.integers(0, 999)
)
def test_every_generated_id_is_valid_and_every_single_digit_mutation_is_not(born, seq):
    value = idnumber.make("350203", born, seq)
    assert idnumber.validate(value) is None
    for pos in range(17):
        digit = int(value[pos])
        mutated = value[:pos] + str((digit + 1) % 10) + value[pos + 1 :]
        assert idnumber.validate(mutated) is not None


def test_known_check_digit():
    # GB 11643 example: 11010519491231002X
    assert idnumber.validate("11010519491231002X") is None
    assert idnumber.validate("110105194912310021") == "身份证号校验位错误（GB 11643）"


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("12345", "身份证号应为18位，前17位为数字，末位为数字或X"),
        ("350203199002300011", "身份证号中的出生日期不存在"),
    ],
)
def test_bad_shapes(value, reason):
    assert idnumber.validate(value) == reason


def test_masking():
    assert idnumber.mask("350203199003070015") == "350203********0015"
    assert idnumber.mask_phone("13800001234") == "138****1234"


@pytest.mark.parametrize(
    ("d", "n", "expected"),
    [
        (date(2025, 1, 31), 1, date(2025, 2, 28)),
        (date(2024, 1, 31), 1, date(2024, 2, 29)),
        (date(2024, 2, 29), 12, date(2025, 2, 28)),
        (date(2025, 11, 30), 3, date(2026, 2, 28)),
    ],
)
def test_add_months_clamps_to_month_end(d, n, expected):
    assert add_months(d, n) == expected
