"""The requests the benchmark sends: the sample, the golden cases, and a heavy one of ~200 KB."""

import copy
from pathlib import Path

import orjson

from tests.apiserver import guestbook, sync_request
from tests.golden import cases

ROOT = Path(__file__).parent.parent
SAMPLE = ROOT / "samples" / "sync-request.json"
HEAVY_BYTES = 200_000
# Who else writes to a guestbook's children in a busy cluster, each leaving a
# managedFields entry: the controllers that fill status, a person, GitOps, an HPA.
MANAGERS = ("kube-controller-manager", "kubectl-edit", "argocd-controller", "hpa-controller")
LONG_MESSAGE = (
    'ReplicaSet "{name}-6b9f7c9d8" has timed out progressing: 0 of 3 updated replicas are '
    "available; pods are waiting for the image to be pulled from the registry. "
) * 4


def inprocess_workloads() -> dict[str, bytes]:
    """Return the request bodies timed in-process, by a name that says what they hold."""
    return {
        "sample (8 observed)": SAMPLE.read_bytes(),
        "new guestbook (0 observed)": _encode(cases.new_guestbook()),
        "rolling out (8 observed)": _encode(cases.rolling_out()),
        "every field set (8 observed)": _encode(cases.every_field_set()),
        "v2 keys (8 observed)": _encode(cases.v2_keys()),
        "invalid spec, held (8 observed)": _encode(cases.invalid_spec_held()),
        "heavy (8 observed, ~200 KB)": heavy_request(),
    }


def growth_workloads() -> dict[str, bytes]:
    """Return requests of increasing size for the same guestbook: 0, 8 and 8 heavy children."""
    return {
        "0 observed": _encode(cases.new_guestbook()),
        "8 observed": _encode(cases.all_ready()),
        "8 observed, heavy": heavy_request(),
    }


def heavy_request(target: int = HEAVY_BYTES) -> bytes:
    """Return an all-ready request whose children carry many managedFields and long statuses."""
    request = cases.all_ready()
    rounds = 0
    while len(body := _encode(request)) < target:
        rounds += 1
        for members in request["children"].values():
            for child in members.values():
                _weigh_down(child, rounds)
    return body


def distinct_guestbooks(count: int) -> list[bytes]:
    """Return `count` all-ready requests for guestbooks of different names and replica counts."""
    bodies = []
    for index in range(count):
        spec = {"frontend": {"replicas": 2 + index % 5}}
        parent = guestbook(name=f"gb-{index:05d}", spec=spec, generation=2)
        observed = cases.converged(parent)
        parent["status"] = cases.settled_status(parent, observed)
        bodies.append(_encode(sync_request(parent, observed)))
    return bodies


def _weigh_down(child: dict, rounds: int) -> None:
    metadata = child["metadata"]
    owned = copy.deepcopy(metadata["managedFields"][0])
    owned.update(manager=f"{MANAGERS[rounds % len(MANAGERS)]}-{rounds}", operation="Apply")
    metadata["managedFields"].append(owned)
    status = child.get("status")
    if isinstance(status, dict) and "conditions" in status:
        status["conditions"].append(
            {
                "type": f"Progressing{rounds}",
                "status": "True",
                "reason": "NewReplicaSetAvailable",
                "message": LONG_MESSAGE.format(name=metadata["name"]),
                "lastUpdateTime": "2026-01-01T00:00:00Z",
                "lastTransitionTime": "2026-01-01T00:00:00Z",
            }
        )


def _encode(request: dict) -> bytes:
    return orjson.dumps(request, option=orjson.OPT_SORT_KEYS)
