"""Kubernetes resource quantities ("100m", "1.5Gi", "2e3"): exact values, and the stored text.

`canonical_quantity` is a port of k8s.io/apimachinery's pkg/api/resource:
`ParseQuantity` (quantity.go), then `Quantity.String` / `CanonicalizeBytes`
(quantity.go) with `AsCanonicalBytes` / `AsCanonicalBase1024Bytes`
(amount.go). The API server decodes every quantity it is sent through
`UnmarshalJSON` -> `ParseQuantity` and stores `String()`, so a child that
carries anything else differs from what is stored on every sync, and
Metacontroller would send an update forever.
"""

import functools
import re
from fractions import Fraction

# The grammar of k8s.io/apimachinery's resource.Quantity: a signed decimal number,
# then a binary suffix, a decimal suffix or a decimal exponent.
QUANTITY = re.compile(
    r"(?P<number>[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+))"
    r"(?:(?P<suffix>Ki|Mi|Gi|Ti|Pi|Ei|n|u|m|k|M|G|T|P|E)|(?P<e>[eE])(?P<exponent>[+-]?[0-9]+))?"
)
BINARY_SUFFIXES = {"Ki": 10, "Mi": 20, "Gi": 30, "Ti": 40, "Pi": 50, "Ei": 60}
DECIMAL_SUFFIXES = {
    "n": -9, "u": -6, "m": -3, "": 0, "k": 3, "M": 6, "G": 9, "T": 12, "P": 15, "E": 18,
}  # fmt: skip
MAX_EXPONENT = 30
QUANTITIES_REMEMBERED = 1024  # distinct texts whose values parse_quantity keeps

# resource.Format: how a quantity was written, which decides how it is printed.
BINARY_SI = "BinarySI"
DECIMAL_SI = "DecimalSI"
DECIMAL_EXPONENT = "DecimalExponent"
# math.go's maxInt64Factors: decimal digits an int64 always holds.
MAX_INT64_FACTORS = 18
INT64_MAX = 2**63 - 1
NANO = Fraction(1, 10**9)


class QuantityError(ValueError):
    """A value that is not a non-negative Kubernetes quantity."""


def parse_quantity(value: object) -> Fraction:
    """Return a quantity's exact value; raise QuantityError if it is not one."""
    # Every sync compares the same few sizes of a guestbook's claim: remember texts.
    return _parse_text(value) if isinstance(value, str) else _parse(value)


@functools.lru_cache(maxsize=QUANTITIES_REMEMBERED)
def _parse_text(value: str) -> Fraction:
    return _parse(value)


def _parse(value: object) -> Fraction:
    match = _match(value)
    number = Fraction(match["number"])
    if match["exponent"] is not None:
        return number * Fraction(10) ** int(match["exponent"])
    suffix = match["suffix"] or ""
    if suffix in BINARY_SUFFIXES:
        return number * 2 ** BINARY_SUFFIXES[suffix]
    return number * Fraction(10) ** DECIMAL_SUFFIXES[suffix]


def canonical_quantity(value: object) -> str:
    """Return the text the API server stores for a quantity, as `Quantity.String()` prints it."""
    match = _match(value)
    text = match.string
    if text == "0":
        return text
    whole, _, denom = match["number"].lstrip("+").partition(".")
    num = whole.lstrip("0") or "0"
    fmt, base, exponent = _interpret(match)
    fast = _fast_path(text, num, denom, fmt, exponent)
    if fast is not None:
        return fast
    amount = Fraction(f"{num}.{denom or '0'}") * Fraction(base) ** exponent
    # ParseQuantity rounds every non-zero amount up to a whole number of nanos.
    amount = -((-amount) // NANO) * NANO
    if fmt == BINARY_SI:
        amount = min(amount, Fraction(INT64_MAX))
        if 0 < amount < 1:
            fmt = DECIMAL_SI
    return _canonical(amount, fmt)


def _match(value: object) -> re.Match:
    # JSON floats are refused as the CRD refuses them: their text is not what was written.
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise QuantityError(
            f"must be a quantity such as 100m or 1Gi, written as a string or an integer, "
            f"got {type(value).__name__}"
        )
    text = str(value)
    match = QUANTITY.fullmatch(text)
    if match is None:
        raise QuantityError(f"must be a quantity such as 100m or 1Gi, got {text!r}")
    # Any minus sign is refused, "-0" too, exactly as the CRD's pattern refuses it.
    if match["number"].startswith("-"):
        raise QuantityError(f"must not be negative, got {text!r}")
    if match["exponent"] is not None and abs(int(match["exponent"])) > MAX_EXPONENT:
        raise QuantityError(f"exponent out of range, got {text!r}")
    return match


def _interpret(match: re.Match) -> tuple[str, int, int]:
    """Return the format, base and exponent of a quantity's suffix (suffix.go `interpret`)."""
    if match["exponent"] is not None:
        return DECIMAL_EXPONENT, 10, int(match["exponent"])
    suffix = match["suffix"] or ""
    if suffix in BINARY_SUFFIXES:
        return BINARY_SI, 2, BINARY_SUFFIXES[suffix]
    return DECIMAL_SI, 10, DECIMAL_SUFFIXES[suffix]


def _fast_path(text: str, num: str, denom: str, fmt: str, exponent: int) -> str | None:
    """ParseQuantity's int64 path: the typed text when it is already canonical, else None."""
    scale, mantissa = 0, 1
    if fmt == BINARY_SI:
        if denom:
            return None
        mantissa = 1 << exponent
        # Go computes int32(float32(exponent)*3/10): exact for multiples of 10.
        precision = 15 - len(num) - exponent * 3 // 10 - 1
    else:
        scale = exponent
        precision = MAX_INT64_FACTORS - (len(num) + len(denom))
    scale -= len(denom)
    if precision < 0 or scale < -9:
        return None
    shifted = num + denom
    value = int(shifted)
    if value * mantissa > INT64_MAX:
        return None
    if fmt == BINARY_SI:
        kept = exponent % 10 == 0 and value & 0x07 != 0
    else:
        kept = scale % 3 == 0 and not shifted.endswith("000") and shifted[0] != "0"
    if kept:
        return text
    return _canonical(Fraction(value * mantissa) * Fraction(10) ** scale, fmt)


def _canonical(amount: Fraction, fmt: str) -> str:
    """CanonicalizeBytes: the shortest exact text in the quantity's own notation."""
    if amount == 0:
        return "0"
    if fmt == BINARY_SI and (abs(amount) < 1024 or amount.denominator != 1):
        fmt = DECIMAL_SI  # a small or fractional binary amount prints as decimal
    if fmt == BINARY_SI:
        value, power = int(amount), 0
        while value >= 1024 and value % 1024 == 0:
            value, power = value // 1024, power + 10
        suffix = next((s for s, p in BINARY_SUFFIXES.items() if p == power), "")
        return f"{value}{suffix}"
    # The amount is a whole number of nanos: write it as mantissa * 10^exponent.
    mantissa, exponent = int(amount / NANO), -9
    while mantissa >= 10 and mantissa % 10 == 0:
        mantissa, exponent = mantissa // 10, exponent + 1
    # The exponent goes down to a multiple of three, the mantissa up to match.
    lowered = exponent // 3 * 3
    mantissa *= 10 ** (exponent - lowered)
    if fmt == DECIMAL_EXPONENT:
        return f"{mantissa}e{lowered}" if lowered else str(mantissa)
    suffix = next((s for s, p in DECIMAL_SUFFIXES.items() if p == lowered), "")
    return f"{mantissa}{suffix}"
