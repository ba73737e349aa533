"""The sample sync request (the golden all-ready case), and ways to send it broken.

Every malformed or hostile case starts from this realistic request (a
converged guestbook with eight observed children) and breaks one thing, so a
test that passes shows the hook noticed exactly that thing.
"""

import copy
import json
from collections.abc import Callable
from typing import Any

from hooks.applied import LAST_APPLIED
from tests import golden

SAMPLE = golden.request("all-ready")
SAMPLE_BYTES = json.dumps(SAMPLE).encode()
FRONTEND = ("children", "Deployment.apps/v1", "gb1-frontend")
JSON = "application/json"


def raw(body: bytes) -> Callable[[], bytes]:
    """Send these bytes as they are."""
    return lambda: body


def sample_with(path: tuple[str, ...], value: Any) -> Callable[[], bytes]:
    """Send the sample request with the value at `path` replaced (or added)."""

    def build() -> bytes:
        request = copy.deepcopy(SAMPLE)
        *parents, last = path
        walk(request, parents)[last] = value
        return json.dumps(request).encode()

    return build


def sample_without(path: tuple[str, ...]) -> Callable[[], bytes]:
    """Send the sample request with the key at `path` removed."""

    def build() -> bytes:
        request = copy.deepcopy(SAMPLE)
        *parents, last = path
        del walk(request, parents)[last]
        return json.dumps(request).encode()

    return build


def sample_text(old: str, new: str) -> Callable[[], bytes]:
    """Send the sample request's JSON text with `old` replaced once by `new` (for non-JSON)."""
    text = SAMPLE_BYTES.decode()
    assert old in text, old
    return raw(text.replace(old, new, 1).encode())


def walk(value: Any, path: list[str]) -> Any:
    for key in path:
        value = value[key]
    return value


def observed_children(request: dict) -> list[dict]:
    return [child for members in request["children"].values() for child in members.values()]


def by_kind_and_name(children: list[dict]) -> dict[tuple[str, str], dict]:
    return {(c["kind"], c["metadata"]["name"]): c for c in children}


def held(request: dict) -> dict[tuple[str, str], dict]:
    """Return every observed child as last applied, keyed by kind and name."""
    return by_kind_and_name(
        [json.loads(c["metadata"]["annotations"][LAST_APPLIED]) for c in observed_children(request)]
    )


def post(client, body: bytes):
    return client.post("/sync", data=body, content_type=JSON)


def assert_still_answering(client) -> None:
    """The server answers the sample request in full after the hostile one."""
    response = post(client, SAMPLE_BYTES)
    assert response.status_code == 200
    assert len(response.get_json()["children"]) == len(observed_children(SAMPLE))
