"""What one HTTP call to the hook server did, as metrics and logs report it.

Pure: built by the HTTP edge from the request, the answer and the response
code; metrics and logs read it and never look at Flask themselves.
"""

from dataclasses import dataclass
from functools import cached_property
from typing import Any

from hooks.conditions import INVALID_SPEC, PAUSED, READY, STALLED

OK = "ok"
HELD = "held"
INVALID = "invalid"
ERROR = "error"
OUTCOMES = (OK, HELD, INVALID, ERROR)
READY_STATES = ("True", "False")
SYNC_ROUTE = "/sync"  # the hook route: sync and finalize calls from Metacontroller
UNMATCHED_ROUTE = "unmatched"  # a 404 or 405 labels no route, so metric labels stay bounded


@dataclass(frozen=True)
class HookCall:
    """One request to the hook server and what was answered."""

    method: str
    path: str
    route: str  # the matched URL rule, or UNMATCHED_ROUTE
    code: int
    seconds: float
    parent: Any = None  # the request's parent, as sent
    answer: dict | None = None  # the 200 body of a sync or finalize call
    error: str | None = None  # the message of a non-200 answer
    exception: BaseException | None = None  # what made it a 500

    @property
    def is_hook(self) -> bool:
        """Whether this was a sync or finalize call, rather than a probe, a scrape or a stray."""
        return self.route == SYNC_ROUTE

    @cached_property
    def outcome(self) -> str:
        """ok, held (paused), invalid (an invalid spec, held) or error (no sync answer)."""
        if self.answer is None:
            return ERROR
        conditions = self.conditions
        if conditions.get(STALLED, {}).get("reason") == INVALID_SPEC:
            return INVALID
        if conditions.get(PAUSED, {}).get("status") == "True":
            return HELD
        return OK

    @property
    def ready(self) -> str | None:
        """The status of the Ready condition the answer reports, or None without an answer."""
        if self.answer is None:
            return None
        return self.conditions.get(READY, {}).get("status")

    @cached_property
    def conditions(self) -> dict[str, dict]:
        """The answer's conditions by type."""
        status = (self.answer or {}).get("status", {})
        return {condition["type"]: condition for condition in status.get("conditions", [])}

    @property
    def children(self) -> int | None:
        """How many children the answer returns, or None without an answer."""
        return None if self.answer is None else len(self.answer.get("children", []))

    @property
    def guestbook(self) -> dict | None:
        """The parent's namespace and name, as far as the request gave them."""
        metadata = _metadata(self.parent)
        found = {
            key: metadata[key]
            for key in ("namespace", "name")
            if isinstance(metadata.get(key), str)
        }
        return found or None

    @property
    def generation(self) -> int | None:
        """The parent's metadata.generation, when it is an integer."""
        generation = _metadata(self.parent).get("generation")
        is_integer = isinstance(generation, int) and not isinstance(generation, bool)
        return generation if is_integer else None


def _metadata(parent: Any) -> dict:
    metadata = parent.get("metadata") if isinstance(parent, dict) else None
    return metadata if isinstance(metadata, dict) else {}
