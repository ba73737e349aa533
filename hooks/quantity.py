"""Kubernetes resource quantities ("100m", "1.5Gi", "2e3"), parsed to exact fractions."""

import re
from fractions import Fraction

# The grammar of k8s.io/apimachinery's resource.Quantity: a signed decimal number,
# then a binary suffix, a decimal suffix or a decimal exponent.
QUANTITY = re.compile(
    r"(?P<number>[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+))"
    r"(?:(?P<suffix>Ki|Mi|Gi|Ti|Pi|Ei|n|u|m|k|M|G|T|P|E)|[eE](?P<exponent>[+-]?[0-9]+))?"
)
SUFFIXES = {
    "Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "Ti": 2**40, "Pi": 2**50, "Ei": 2**60,
    "n": Fraction(1, 10**9), "u": Fraction(1, 10**6), "m": Fraction(1, 1000),
    "k": 10**3, "M": 10**6, "G": 10**9, "T": 10**12, "P": 10**15, "E": 10**18,
}  # fmt: skip
MAX_EXPONENT = 30


class QuantityError(ValueError):
    """A value that is not a non-negative Kubernetes quantity."""


def parse_quantity(value: object) -> Fraction:
    """Return a quantity's exact value; raise QuantityError if it is not one."""
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise QuantityError(f"must be a quantity such as 100m or 1Gi, got {type(value).__name__}")
    text = repr(value) if isinstance(value, float) else str(value)
    match = QUANTITY.fullmatch(text)
    if match is None:
        raise QuantityError(f"must be a quantity such as 100m or 1Gi, got {text!r}")
    # Any minus sign is refused, "-0" too, exactly as the CRD's pattern refuses it.
    if match["number"].startswith("-"):
        raise QuantityError(f"must not be negative, got {text!r}")
    number = Fraction(match["number"])
    if match["exponent"] is not None:
        exponent = int(match["exponent"])
        if abs(exponent) > MAX_EXPONENT:
            raise QuantityError(f"exponent out of range, got {text!r}")
        return number * Fraction(10) ** exponent
    return number * SUFFIXES.get(match["suffix"] or "", 1)
