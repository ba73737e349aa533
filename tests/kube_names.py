"""Kubernetes' own validation rules for names and labels (k8s.io/apimachinery validation)."""

import re

_DNS_1123_LABEL = r"[a-z0-9]([-a-z0-9]*[a-z0-9])?"
DNS_1123_LABEL = re.compile(_DNS_1123_LABEL)
DNS_1123_SUBDOMAIN = re.compile(rf"{_DNS_1123_LABEL}(\.{_DNS_1123_LABEL})*")
DNS_1035_LABEL = re.compile(r"[a-z]([-a-z0-9]*[a-z0-9])?")
LABEL_VALUE = re.compile(r"(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?")
QUALIFIED_NAME_PART = re.compile(r"([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]")


def is_dns_1123_subdomain(value: str) -> bool:
    """Whether `value` may name most objects (Deployments, budgets, policies, Guestbooks)."""
    return len(value) <= 253 and DNS_1123_SUBDOMAIN.fullmatch(value) is not None


def is_dns_1035_label(value: str) -> bool:
    """Whether `value` may name a Service."""
    return len(value) <= 63 and DNS_1035_LABEL.fullmatch(value) is not None


def is_label_value(value: str) -> bool:
    """Whether `value` may be a label's value."""
    return len(value) <= 63 and LABEL_VALUE.fullmatch(value) is not None


def is_qualified_name(value: str) -> bool:
    """Whether `value` may be a label or annotation key: an optional DNS prefix, then a name."""
    prefix, slash, name = value.rpartition("/")
    if slash and not (prefix and is_dns_1123_subdomain(prefix)):
        return False
    return len(name) <= 63 and QUALIFIED_NAME_PART.fullmatch(name) is not None
