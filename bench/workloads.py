"""The requests the benchmark sends: the sample, a few other shapes, many distinct guestbooks."""

import copy
from pathlib import Path

import orjson

from hooks import sync
from tests.apiserver import converged, guestbook, sync_request

SAMPLE = Path(__file__).parent.parent / "samples" / "sync-request.json"
TARGET = "sample (8 observed)"  # the request the targets are judged on
HEAVY_BYTES = 200_000
# Who else writes to a guestbook's children in a busy cluster, each leaving a
# managedFields entry: the controllers that fill status, a person, GitOps, an HPA.
MANAGERS = ("kube-controller-manager", "kubectl-edit", "argocd-controller", "hpa-controller")
LONG_MESSAGE = (
    'ReplicaSet "{name}-6b9f7c9d8" has timed out progressing: 0 of 3 updated replicas are '
    "available; pods are waiting for the image to be pulled from the registry. "
) * 4


def inprocess_workloads() -> dict[str, bytes]:
    """Return the request bodies timed in process, by a name that says what they hold."""
    held = guestbook(spec={"frontend": {"replicas": -1}}, generation=5)
    return {
        TARGET: encode(orjson.loads(SAMPLE.read_bytes())),
        "new guestbook (0 observed)": encode(sync_request(guestbook(), [])),
        "invalid spec, held (8 observed)": encode(sync_request(held, converged(held, {}))),
        "heavy (8 observed, ~200 KB)": heavy_request(),
    }


def ready(name: str = "gb1", replicas: int = 3) -> dict:
    """Return the request of a converged guestbook whose status a previous sync wrote."""
    parent = guestbook(name=name, spec={"frontend": {"replicas": replicas}}, generation=2)
    observed = converged(parent)
    status = sync(parent, sync_request(parent, observed)["children"])["status"]
    parent["status"] = {**status, "observedGeneration": 2}
    return sync_request(parent, observed)


def distinct_guestbooks(count: int) -> list[bytes]:
    """Return `count` converged requests for guestbooks of different names and specs."""
    return [encode(ready(f"gb-{index:05d}", 2 + index % 5)) for index in range(count)]


def heavy_request(target: int = HEAVY_BYTES) -> bytes:
    """Return a converged request whose children carry many managedFields and long statuses."""
    request = ready()
    rounds = 0
    while len(body := encode(request)) < target:
        rounds += 1
        for members in request["children"].values():
            for child in members.values():
                _weigh_down(child, rounds)
    return body


def encode(request: dict) -> bytes:
    """Return a request as one line of JSON, as wrk's script reads them."""
    return orjson.dumps(request, option=orjson.OPT_SORT_KEYS)


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
