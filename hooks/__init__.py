"""Metacontroller hooks for the Guestbook operator: `from hooks import sync, finalize`."""

from hooks.guestbook import HoldError, finalize, sync
from hooks.observed import RequestError
from hooks.spec import SpecError

__all__ = ["HoldError", "RequestError", "SpecError", "finalize", "sync"]
