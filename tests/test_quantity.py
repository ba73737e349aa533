"""Kubernetes quantities: every notation the API server accepts, parsed exactly."""

from fractions import Fraction

import pytest

from hooks.quantity import QuantityError, parse_quantity


@pytest.mark.parametrize(
    ("text", "value"),
    [
        pytest.param("100m", Fraction(1, 10), id="milli"),
        pytest.param("1", 1, id="plain"),
        pytest.param(2, 2, id="json-integer"),
        pytest.param(0.5, Fraction(1, 2), id="json-float"),
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
        pytest.param(True, id="boolean"),
        pytest.param(None, id="null"),
        pytest.param([1], id="list"),
    ],
)
def test_anything_else_is_refused(text):
    with pytest.raises(QuantityError):
        parse_quantity(text)
