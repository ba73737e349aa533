"""Names and labels: valid for every valid Guestbook name, deterministic, collision-free."""

import re

import pytest

from hooks.names import (
    FOLLOWER,
    FRONTEND,
    LEADER,
    MAX_BASE_LENGTH,
    MIGRATE,
    REDIS,
    base_name,
    child_name,
    labels,
    selector,
    selector_labels,
)
from tests.kube_names import is_dns_1035_label, is_label_value

COMPONENTS = (LEADER, FOLLOWER, FRONTEND, REDIS, MIGRATE)  # every component a child is named after

LONG_DOTTED = ".".join(["a-rather-long-dns-label-used-for-testing"] * 7)[:253]


@pytest.mark.parametrize(
    "name",
    [
        pytest.param("gb1", id="short"),
        pytest.param("a", id="one-letter"),
        pytest.param("x" * MAX_BASE_LENGTH, id="longest-plain"),
        pytest.param("x" * (MAX_BASE_LENGTH + 1), id="one-too-long"),
        pytest.param("guestbook.example.com", id="dotted"),
        pytest.param("1st-guestbook", id="digit-first"),
        pytest.param("007", id="all-digits"),
        pytest.param("a--b", id="double-hyphen"),
        pytest.param(LONG_DOTTED, id="253-characters"),
    ],
)
def test_every_child_name_is_a_dns_1035_label_of_at_most_63_characters(name):
    base = base_name(name)

    for component in COMPONENTS:
        assert is_dns_1035_label(child_name(base, component)), child_name(base, component)
    for value in labels(base, FOLLOWER).values():
        assert is_label_value(value), value


def test_a_short_dns_1035_name_is_used_as_it_is():
    assert base_name("gb1") == "gb1"
    assert base_name("x" * MAX_BASE_LENGTH) == "x" * MAX_BASE_LENGTH


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        pytest.param("guestbook.example.com", "guestbook-example-com--", id="dots-become-hyphens"),
        pytest.param("1st-guestbook", "gb-1st-guestbook--", id="digit-first-gets-a-letter"),
        pytest.param("a--b", "a-b--", id="double-hyphen-folded"),
    ],
)
def test_other_names_keep_a_readable_prefix_and_add_a_hash(name, expected):
    base = base_name(name)

    assert base.startswith(expected)
    assert re.fullmatch(r"[0-9a-f]{10}", base.removeprefix(expected))


def test_names_are_deterministic():
    assert base_name(LONG_DOTTED) == base_name(LONG_DOTTED)
    assert (
        base_name(LONG_DOTTED)
        == "a-rather-long-dns-label-used-for-tes--" + base_name(LONG_DOTTED).rpartition("--")[2]
    )


def test_two_long_names_sharing_a_prefix_stay_distinct():
    first, second = "p" * 60 + "-one", "p" * 60 + "-two"

    assert base_name(first) != base_name(second)
    assert base_name(first)[:36] == base_name(second)[:36]


def test_a_plain_name_never_equals_another_names_hashed_form():
    hashed = base_name("guestbook.example.com")

    # Every hashed base holds "--"; no plain name does, so none can collide with it.
    assert "--" in hashed
    assert base_name(hashed) != hashed
    assert base_name("a--b") != "a--b"


def test_children_of_different_kinds_never_share_a_name_across_guestbooks():
    names = {}
    for guestbook in ("a", "a-redis", "a-frontend", "a-redis-leader", "redis"):
        for component in COMPONENTS:
            names.setdefault(child_name(base_name(guestbook), component), []).append(guestbook)

    assert all(len(owners) == 1 for owners in names.values())


def test_selector_labels_are_a_subset_of_the_full_labels():
    full = labels("gb1", "frontend")

    assert selector_labels("gb1", "frontend").items() <= full.items()
    assert full == {
        "app.kubernetes.io/name": "guestbook",
        "app.kubernetes.io/instance": "gb1",
        "app.kubernetes.io/component": "frontend",
        "app.kubernetes.io/part-of": "guestbook",
        "app.kubernetes.io/managed-by": "metacontroller",
    }


def test_the_selector_string_matches_the_selector_labels():
    assert selector("gb1", "frontend") == (
        "app.kubernetes.io/name=guestbook,app.kubernetes.io/instance=gb1,"
        "app.kubernetes.io/component=frontend"
    )
