"""Child names and labels: DNS-safe, length-safe, deterministic, one home for each."""

import hashlib
import re

APP = "guestbook"
FRONTEND = "frontend"
LEADER = "redis-leader"
FOLLOWER = "redis-follower"
REDIS = "redis"  # the NetworkPolicy that guards both Redis tiers
MIGRATE = "redis-migrate"  # the Job that copies the leader's data onto its claim

NAME_LABEL = "app.kubernetes.io/name"
INSTANCE_LABEL = "app.kubernetes.io/instance"
COMPONENT_LABEL = "app.kubernetes.io/component"
PART_OF_LABEL = "app.kubernetes.io/part-of"
MANAGED_BY_LABEL = "app.kubernetes.io/managed-by"
MANAGED_BY = "metacontroller"

# The longest child name is "<base>-redis-follower"; a Service name is a DNS-1035
# label of at most 63 characters, which leaves 48 for the base.
MAX_BASE_LENGTH = 63 - len(f"-{FOLLOWER}")
HASH_LENGTH = 10
HASH_SEPARATOR = "--"
# A name used as it is: a DNS-1035 label with no "--" in it. Every hashed base
# contains "--", so a plain name can never equal another name's hashed form.
PLAIN_NAME = re.compile(r"[a-z](-?[a-z0-9])*")
NOT_LABEL_CHARACTERS = re.compile(r"[^a-z0-9]+")
HASHED_PREFIX = "gb-"  # stands before a sanitised name that does not start with a letter


def base_name(name: str) -> str:
    """Return the stem that every child name of the Guestbook `name` starts with."""
    if len(name) <= MAX_BASE_LENGTH and PLAIN_NAME.fullmatch(name):
        return name
    digest = hashlib.sha256(name.encode()).hexdigest()[:HASH_LENGTH]
    stem = NOT_LABEL_CHARACTERS.sub("-", name.lower()).strip("-")
    if not stem[:1].isalpha():
        stem = HASHED_PREFIX + stem
    room = MAX_BASE_LENGTH - len(HASH_SEPARATOR) - HASH_LENGTH
    return f"{stem[:room].rstrip('-')}{HASH_SEPARATOR}{digest}"


def child_name(base: str, component: str) -> str:
    """Return the name of the child that serves `component`."""
    return f"{base}-{component}"


def instance_labels(base: str) -> dict[str, str]:
    """Return the labels shared by every object of one guestbook."""
    return {NAME_LABEL: APP, INSTANCE_LABEL: base}


def selector_labels(base: str, component: str) -> dict[str, str]:
    """Return the labels that select one tier's pods; they never change for a child."""
    return {**instance_labels(base), COMPONENT_LABEL: component}


def labels(base: str, component: str) -> dict[str, str]:
    """Return the full label set of a child or pod template."""
    return {
        **selector_labels(base, component),
        PART_OF_LABEL: APP,
        MANAGED_BY_LABEL: MANAGED_BY,
    }


def selector(base: str, component: str) -> str:
    """Return the selector labels as a label-selector string, as the scale subresource wants."""
    return ",".join(f"{key}={value}" for key, value in selector_labels(base, component).items())
