"""The leader's PersistentVolumeClaim: what to ask of it, judged against the claim observed.

The API server refuses most changes to a claim (its spec is immutable but for
the size, which may only grow and only while Bound, and a class, which may
only be set where there was none), and Metacontroller's three-way merge
removes a field that the last applied claim had and the answer lacks. So the
claim asked for follows the observed one wherever the two could disagree:
- the request is max(spec size, observed request), changed only while Bound;
- a class the claim has is never changed or removed: sent exactly when our
  last applied claim carried it, left out otherwise (admission set it), and
  the spec's class is sent only while the claim has none;
- the access modes are the observed ones once the claim exists.
"""

from typing import NamedTuple

from hooks.applied import applied_view
from hooks.conditions import Stall
from hooks.names import LEADER, child_name
from hooks.observed import Observed, as_dict
from hooks.quantity import QuantityError, parse_quantity
from hooks.spec import Storage

BOUND = "Bound"
PENDING = "Pending"
LOST = "Lost"
CLAIM_KIND = "PersistentVolumeClaim"

NO_STORAGE_CLASS = "NoStorageClass"
VOLUME_LOST = "VolumeLost"


class Claim(NamedTuple):
    """The facts of an observed claim that decide the claim asked for; hashable, for the cache."""

    request: str | None
    bound: bool
    storage_class: str | None
    applied_class: bool  # whether our last applied claim carried storageClassName
    access_modes: tuple[str, ...] | None


def claim_name(base: str) -> str:
    """Return the name of the leader's claim."""
    return f"{child_name(base, LEADER)}-data"


def observed_claim(base: str, observed: Observed) -> dict | None:
    """Return the leader's claim as observed, or None."""
    return observed.get(CLAIM_KIND, claim_name(base))


def read_claim(live: dict | None) -> Claim | None:
    """Return the facts of an observed claim that the claim rules read; a bad field reads absent."""
    if live is None:
        return None
    spec = as_dict(live.get("spec"))
    request = as_dict(as_dict(spec.get("resources")).get("requests")).get("storage")
    modes = spec.get("accessModes")
    return Claim(
        request=_quantity(request),
        bound=as_dict(live.get("status")).get("phase") == BOUND,
        storage_class=_str(spec.get("storageClassName")),
        applied_class="storageClassName" in as_dict((applied_view(live) or {}).get("spec")),
        access_modes=tuple(modes) if _strings(modes) else None,
    )


def claim_spec(storage: Storage, claim: Claim | None) -> dict:
    """Return the spec of the claim to ask for, by the rules above."""
    modes = claim.access_modes if claim is not None else None
    spec = {
        "accessModes": list(modes or (storage.access_mode,)),
        "resources": {"requests": {"storage": _request(storage, claim)}},
    }
    storage_class = _storage_class(storage, claim)
    if storage_class is not None:
        spec["storageClassName"] = storage_class
    return spec


def storage_status(base: str, live: dict) -> dict:
    """Return status.redisLeader.storage for the observed claim: what it is, not what we asked."""
    spec, status = as_dict(live.get("spec")), as_dict(live.get("status"))
    found = {
        "claimName": claim_name(base),
        "phase": _str(status.get("phase")),
        "capacity": _quantity(as_dict(status.get("capacity")).get("storage")),
        "storageClassName": _str(spec.get("storageClassName")),
    }
    return {key: value for key, value in found.items() if value}


def claim_growth(live: dict, desired: dict) -> str | None:
    """Return "requested X, claim has Y" while the claim's volume is smaller than asked."""
    requested = desired["spec"]["resources"]["requests"]["storage"]
    capacity = _quantity(as_dict(as_dict(live.get("status")).get("capacity")).get("storage"))
    # Growth takes a resize by the storage driver, or never comes when the
    # StorageClass does not allow expansion (the API server refuses the update):
    # either way both sizes are what a person needs to see.
    if capacity is not None and parse_quantity(capacity) < parse_quantity(requested):
        return f"requested {requested}, claim has {capacity}"
    return None


def claim_phase(live: dict) -> str | None:
    """Return the claim's phase while it is not Bound, or None once it is."""
    phase = _str(as_dict(live.get("status")).get("phase"))
    return None if phase == BOUND else phase or "no phase yet"


def claim_stalls(live: dict) -> list[Stall]:
    """Return what keeps the observed claim from ever binding without a person."""
    status, spec = as_dict(live.get("status")), as_dict(live.get("spec"))
    name = f"{CLAIM_KIND} {live['metadata']['name']}"
    # Admission gives a claim without a class the default StorageClass, so a
    # Pending claim without one means the cluster has no default.
    if status.get("phase") == PENDING and spec.get("storageClassName") is None:
        return [
            Stall(
                NO_STORAGE_CLASS,
                f"{name} is Pending without a StorageClass and the cluster has no default one: "
                "set spec.redis.leader.storage.storageClassName, or mark a StorageClass as "
                "the default",
            )
        ]
    if status.get("phase") == LOST:
        return [
            Stall(
                VOLUME_LOST,
                f"{name} is Lost: its PersistentVolume is gone, and the leader's data with it; "
                "restore the volume, or delete the claim to start again on an empty one",
            )
        ]
    return []


def _request(storage: Storage, claim: Claim | None) -> str:
    if claim is None or claim.request is None:
        return storage.size
    # The API server refuses any change to the request of a claim that is not Bound.
    if not claim.bound:
        return claim.request
    if parse_quantity(storage.size) > parse_quantity(claim.request):
        return storage.size
    return claim.request


def _storage_class(storage: Storage, claim: Claim | None) -> str | None:
    if claim is None or claim.storage_class is None:
        return storage.storage_class
    return claim.storage_class if claim.applied_class else None


def _quantity(value) -> str | None:
    """Return a quantity string as it is, or None for anything else."""
    if type(value) is not str:
        return None
    try:
        parse_quantity(value)
    except QuantityError:
        return None
    return value


# Observed objects come from the API server, but a hook must survive a request
# that lies about their shape: a wrong type reads as absent.


def _str(value) -> str | None:
    return value if type(value) is str else None


def _strings(value) -> bool:
    return type(value) is list and bool(value) and all(type(v) is str for v in value)
