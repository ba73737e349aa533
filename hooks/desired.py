"""The desired children of a guestbook, built once per distinct input and never handed out shared.

Parsing a spec and building its children is most of a sync's work, yet both
depend only on the guestbook's base name, its spec and a few observed facts
of the leader's claim, Deployment and Job (hooks/storage.py, hooks/migration.py),
which stay the same across the many syncs of one guestbook (every child
change, every resync). So they are kept in a bounded cache keyed by exactly
those: the spec's JSON and the facts. What the cache holds is read, never
given away: callers get `json` (immutable bytes) or a `fresh()` copy.
"""

import functools
from dataclasses import dataclass
from typing import Any

import orjson

from hooks.applied import sent_json
from hooks.children import build_children
from hooks.migration import NOTHING_OBSERVED, Migration, read_migration
from hooks.observed import Observed
from hooks.spec import parse_spec
from hooks.storage import Claim, observed_claim, read_claim

# Guestbooks whose children stay cached per worker, about 30 kB each.
CACHE_SIZE = 128
# Sorted keys make the JSON of equal children equal byte for byte.
JSON_OPTIONS = orjson.OPT_SORT_KEYS


@dataclass(frozen=True)
class Desired:
    """Children to return: `children` to read only, `json` to embed, `fresh()` to hand out."""

    children: tuple[dict, ...]
    json: bytes
    # Each child as hooks/applied.py compares it with its last-applied annotation.
    sent: tuple[bytes, ...]

    @classmethod
    def of(cls, children: list[dict]) -> "Desired":
        """Wrap children built for this call alone."""
        sent = tuple(sent_json(child) for child in children)
        return cls(tuple(children), orjson.dumps(children, option=JSON_OPTIONS), sent)

    def fresh(self) -> list[dict]:
        """Return a new copy of the children that the caller may change."""
        return orjson.loads(self.json)


def desired_children(base: str, raw_spec: Any, observed: Observed | None = None) -> Desired:
    """Return what a raw spec asks for, given what was observed (nothing, for a new guestbook).

    Raises SpecError naming the first bad field, or HoldError when a child that
    must be returned as last applied has no such record.
    """
    claim, migration = _facts(base, observed)
    key = _cache_key(raw_spec)
    if key is None:
        return Desired.of(build_children(base, parse_spec(raw_spec), claim, migration))
    return _cached(base, key, claim, migration)


def _facts(base: str, observed: Observed | None) -> tuple[Claim | None, Migration]:
    if observed is None:
        return None, NOTHING_OBSERVED
    return read_claim(observed_claim(base, observed)), read_migration(base, observed)


@functools.lru_cache(maxsize=CACHE_SIZE)
def _cached(base: str, spec_json: bytes, claim: Claim | None, migration: Migration) -> Desired:
    # Built from the key alone, so an entry can never depend on anything else.
    spec = parse_spec(orjson.loads(spec_json))
    return Desired.of(build_children(base, spec, claim, migration))


def _cache_key(raw_spec: Any) -> bytes | None:
    """Return the spec as JSON when that JSON decodes to an equal spec, else None."""
    try:
        key = orjson.dumps(raw_spec)
    except TypeError:  # not JSON at all: a set, a non-string key, an integer too large
        return None
    # NaN and other values that JSON cannot carry come back different: never cache those.
    return key if orjson.loads(key) == raw_spec else None
