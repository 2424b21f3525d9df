"""Money: integer minor units plus a currency, refusing mixed-currency arithmetic.

Every app stores money as `amount_minor` (BigInteger) + `currency` (3 letters) and computes
with this value object; the API's wire format is `{"amount": "1234.50", "currency": "CNY"}`.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

# ISO 4217 exponents for the currencies the platform trades in; anything else has 2.
CURRENCY_EXPONENTS = {"CNY": 2, "USD": 2, "EUR": 2, "HKD": 2, "JPY": 0, "KRW": 0}
SUPPORTED_CURRENCIES = tuple(CURRENCY_EXPONENTS)
DEFAULT_CURRENCY = "CNY"


class CurrencyMismatchError(ValueError):
    """Two amounts in different currencies were combined."""


def _exponent(currency: str) -> int:
    return CURRENCY_EXPONENTS.get(currency, 2)


@dataclass(frozen=True, slots=True)
class Money:
    amount_minor: int
    currency: str = DEFAULT_CURRENCY

    def __post_init__(self) -> None:
        if not isinstance(self.amount_minor, int) or isinstance(self.amount_minor, bool):
            raise TypeError("amount_minor must be an int")
        if len(self.currency) != 3 or not self.currency.isupper():
            raise ValueError("currency must be a 3-letter ISO code")

    @classmethod
    def zero(cls, currency: str = DEFAULT_CURRENCY) -> Money:
        return cls(0, currency)

    @classmethod
    def from_decimal(cls, amount: Decimal | str | int, currency: str = DEFAULT_CURRENCY) -> Money:
        """Parse a decimal amount; more decimal places than the currency has is an error."""
        try:
            value = Decimal(str(amount))
        except InvalidOperation as error:
            raise ValueError("not a decimal amount") from error
        if not value.is_finite():
            raise ValueError("not a finite amount")
        scaled = value.scaleb(_exponent(currency))
        if scaled != scaled.to_integral_value():
            raise ValueError("too many decimal places for the currency")
        return cls(int(scaled), currency)

    @property
    def amount(self) -> Decimal:
        return Decimal(self.amount_minor).scaleb(-_exponent(self.currency))

    def as_wire(self) -> dict[str, str]:
        # In integers: the same text as `str(self.amount)` at the currency's exponent
        # ("1234.50", "-0.05", "123"), without Decimal arithmetic (a page of orders formats
        # 150 amounts).
        exponent = _exponent(self.currency)
        if exponent == 0:
            return {"amount": str(self.amount_minor), "currency": self.currency}
        whole, fraction = divmod(abs(self.amount_minor), 10**exponent)
        sign = "-" if self.amount_minor < 0 else ""
        return {"amount": f"{sign}{whole}.{fraction:0{exponent}d}", "currency": self.currency}

    def _check(self, other: object) -> Money:
        if not isinstance(other, Money):
            raise TypeError("can only combine Money with Money")
        if other.currency != self.currency:
            raise CurrencyMismatchError(f"{self.currency} and {other.currency} cannot be combined")
        return other

    def __add__(self, other: object) -> Money:
        return Money(self.amount_minor + self._check(other).amount_minor, self.currency)

    def __sub__(self, other: object) -> Money:
        return Money(self.amount_minor - self._check(other).amount_minor, self.currency)

    def __mul__(self, factor: int) -> Money:
        if not isinstance(factor, int) or isinstance(factor, bool):
            raise TypeError("Money can only be multiplied by a whole number")
        return Money(self.amount_minor * factor, self.currency)

    __rmul__ = __mul__

    def __lt__(self, other: object) -> bool:
        return self.amount_minor < self._check(other).amount_minor

    def __le__(self, other: object) -> bool:
        return self.amount_minor <= self._check(other).amount_minor

    def __gt__(self, other: object) -> bool:
        return self.amount_minor > self._check(other).amount_minor

    def __ge__(self, other: object) -> bool:
        return self.amount_minor >= self._check(other).amount_minor

    def __bool__(self) -> bool:
        return self.amount_minor != 0

    def __str__(self) -> str:
        wire = self.as_wire()
        return f"{wire['currency']} {Decimal(wire['amount']):,}"

    def rounded_share(self, numerator: int, denominator: int) -> Money:
        """numerator/denominator of this amount, rounded half up to a minor unit."""
        share = (Decimal(self.amount_minor) * numerator / denominator).quantize(
            Decimal(1), rounding=ROUND_HALF_UP
        )
        return Money(int(share), self.currency)
