from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from marketplace.money import CURRENCY_EXPONENTS, CurrencyMismatchError, Money
from orders.inspection import aql_plan


def test_money_parses_and_prints_the_wire_format():
    money = Money.from_decimal("1234.5", "CNY")
    assert money.amount_minor == 123450
    assert money.as_wire() == {"amount": "1234.50", "currency": "CNY"}
    assert Money.from_decimal("1500", "JPY").as_wire() == {"amount": "1500", "currency": "JPY"}
    assert Money(-5, "CNY").as_wire() == {"amount": "-0.05", "currency": "CNY"}
    assert Money(0, "USD").as_wire() == {"amount": "0.00", "currency": "USD"}
    assert Money(5, "CNY").amount == Decimal("0.05")


@given(
    amount_minor=st.integers(min_value=-(10**20), max_value=10**20),
    currency=st.sampled_from(["CNY", "USD", "JPY", "KRW", "XYZ"]),
)
def test_the_wire_amount_is_the_decimal_amount_at_the_currencys_places(amount_minor, currency):
    money = Money(amount_minor, currency)
    wire = money.as_wire()
    places = Decimal(1).scaleb(-CURRENCY_EXPONENTS.get(currency, 2))
    assert wire == {"amount": str(money.amount.quantize(places)), "currency": currency}
    assert Money.from_decimal(wire["amount"], currency) == money


@pytest.mark.parametrize("amount", ["1.234", "abc", "NaN", "Infinity"])
def test_money_refuses_bad_amounts(amount):
    with pytest.raises(ValueError, match=r"."):
        Money.from_decimal(amount, "CNY")


def test_money_arithmetic_refuses_mixed_currencies():
    assert Money(100, "CNY") + Money(50, "CNY") == Money(150, "CNY")
    assert Money(100, "CNY") * 3 == Money(300, "CNY")
    assert Money(100, "CNY") - Money(150, "CNY") == Money(-50, "CNY")
    with pytest.raises(CurrencyMismatchError):
        Money(100, "CNY") + Money(100, "USD")
    with pytest.raises(CurrencyMismatchError):
        assert Money(100, "CNY") < Money(100, "USD")
    with pytest.raises(TypeError):
        Money(100, "CNY") * 1.5  # type: ignore[operator]
    with pytest.raises(TypeError):
        Money(1.5, "CNY")  # type: ignore[arg-type]


def test_rounded_share_rounds_half_up():
    assert Money(1001, "CNY").rounded_share(1, 2) == Money(501, "CNY")


@pytest.mark.parametrize(
    ("lot", "aql", "sample", "accept"),
    [
        (30, "2.5", 8, 0),  # code D
        (60, "2.5", 13, 1),  # code E
        (300, "2.5", 50, 3),  # code H
        (1000, "2.5", 80, 5),  # code J
        (5000, "2.5", 200, 10),  # code L
        (5000, "4.0", 200, 14),
        (5000, "1.0", 200, 5),
        (3, "2.5", 3, 0),  # never more than the lot
    ],
)
def test_aql_sampling_plans(lot, aql, sample, accept):
    plan = aql_plan(lot, aql)
    assert (plan.sample_size, plan.acceptance_number) == (sample, accept)
    assert plan.rejection_number == accept + 1
