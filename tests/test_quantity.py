"""Kubernetes quantities: every notation the API server accepts, parsed exactly."""

from fractions import Fraction

import pytest

from hooks.quantity import QuantityError, canonical_quantity, parse_quantity


@pytest.mark.parametrize(
    ("text", "value"),
    [
        pytest.param("100m", Fraction(1, 10), id="milli"),
        pytest.param("1", 1, id="plain"),
        pytest.param(2, 2, id="json-integer"),
        pytest.param("1.5", Fraction(3, 2), id="decimal"),
        pytest.param(".5", Fraction(1, 2), id="leading-dot"),
        pytest.param("5.", 5, id="trailing-dot"),
        pytest.param("+1", 1, id="plus-sign"),
        pytest.param("100Mi", 100 * 2**20, id="mebi"),
        pytest.param("1.5Gi", 3 * 2**29, id="fractional-gibi"),
        pytest.param("1Ei", 2**60, id="exbi"),
        pytest.param("1k", 1000, id="kilo"),
        pytest.param("1M", 10**6, id="mega"),
        pytest.param("2e3", 2000, id="exponent"),
        pytest.param("1E-3", Fraction(1, 1000), id="negative-exponent"),
    ],
)
def test_quantities_parse_to_their_exact_value(text, value):
    assert parse_quantity(text) == value


def test_equal_amounts_in_different_notations_compare_equal():
    assert parse_quantity("1") == parse_quantity("1000m") == parse_quantity("1e0")
    assert parse_quantity("1Gi") > parse_quantity("1G")


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("", id="empty"),
        pytest.param("lots", id="word"),
        pytest.param("1 Gi", id="space"),
        pytest.param("1KB", id="unknown-suffix"),
        pytest.param("1mi", id="wrong-case"),
        pytest.param("-1", id="negative"),
        pytest.param("1e400", id="huge-exponent"),
        pytest.param(float("nan"), id="nan"),
        pytest.param(0.5, id="json-float"),
        pytest.param(True, id="boolean"),
        pytest.param(None, id="null"),
        pytest.param([1], id="list"),
    ],
)
def test_anything_else_is_refused(text):
    with pytest.raises(QuantityError):
        parse_quantity(text)


# What the API server stores for each input: resource.Quantity's String() after
# ParseQuantity (k8s.io/apimachinery pkg/api/resource/quantity.go). The typed text
# survives only when ParseQuantity finds it canonical already.
@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        pytest.param("0.5", "500m", id="fraction-to-milli"),
        pytest.param("1024Mi", "1Gi", id="mebi-to-gibi"),
        pytest.param(1, "1", id="json-integer-to-string"),
        pytest.param("1000m", "1", id="milli-to-whole"),
        pytest.param("2048Ki", "2Mi", id="kibi-to-mebi"),
        pytest.param("1.5Gi", "1536Mi", id="fractional-gibi-to-mebi"),
        pytest.param("100M", "100M", id="canonical-kept"),
        pytest.param("100m", "100m", id="milli-kept"),
        pytest.param("100Mi", "100Mi", id="mebi-kept"),
        pytest.param("1.5", "1500m", id="decimal-to-milli"),
        pytest.param("1000", "1k", id="thousand-to-kilo"),
        pytest.param("1000k", "1M", id="kilo-to-mega"),
        pytest.param("0.5Ki", "512", id="small-binary-to-decimal"),
        pytest.param("1.5Ki", "1536", id="binary-without-whole-kibi-to-decimal"),
        pytest.param("1e3", "1e3", id="exponent-kept"),
        pytest.param("1.5e3", "1500", id="exponent-zero-dropped"),
        pytest.param("1e-5", "10e-6", id="exponent-to-multiple-of-three"),
        pytest.param("0.00001", "10u", id="decimal-to-micro"),
        pytest.param("0.0000000001", "1n", id="below-nano-rounds-up"),
        pytest.param("0Mi", "0", id="zero"),
        pytest.param("0.0", "0", id="zero-decimal"),
        pytest.param("+1", "+1", id="plus-sign-kept-as-typed"),
        pytest.param("01", "01", id="leading-zero-kept-as-typed"),
        pytest.param("8Ei", str(2**63 - 1), id="binary-capped-at-int64"),
        pytest.param("12345678901234567890", "12345678901234567890", id="beyond-int64-exact"),
    ],
)
def test_canonical_text_is_what_the_api_server_stores(typed, stored):
    assert canonical_quantity(typed) == stored


@pytest.mark.parametrize("typed", ["0.5", "1024Mi", "1.5Gi", "1e-5", "+1", "8Ei", "1.0001Ki"])
def test_canonical_text_is_a_fixed_point_of_the_same_value(typed):
    stored = canonical_quantity(typed)
    assert canonical_quantity(stored) == stored
    if typed != "8Ei":  # the only input whose value the API server changes: capped
        assert parse_quantity(stored) == parse_quantity(typed)
