"""Metacontroller's CompositeController, one sync at a time, written from the reference.

A sync (§1): claim the children (adopt orphans that match the selector,
release owned ones that no longer do), POST the request exactly as
Metacontroller builds it, and on anything but a well-formed 200 change
nothing and record a SyncError event. Otherwise default each desired child's
namespace, add the `controller-uid` label, refuse the whole answer if a child
does not match the selector, delete every observed child not returned, create
the new ones with the last-applied annotation and a controller reference,
and, where the three-way merge changes an observed child (§9.3), do what its
type's update strategy says (§9.4): InPlace updates it, OnDelete leaves it as
it is, Recreate deletes it for the next sync to create afresh. Then write the
status plus observedGeneration only when it differs from the stored one
(§6, §10). The child types and their strategies come from the
CompositeController (by default the one the project ships). A write the
emulated API server refuses as invalid is not swallowed: it fails the test
that caused it.
"""

import contextlib
import copy
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from tests.apiserver import (
    CONTROLLER,
    CONTROLLER_UID,
    LAST_APPLIED,
    child_types,
    encode_last_applied,
    owner_reference,
    sync_request,
    update_methods,
)
from tests.emulator.apply import merge
from tests.emulator.store import APIError, Store

RESPONSE_KEYS = {"status", "children", "resyncAfterSeconds", "finalized"}
BY = "metacontroller"


@dataclass(frozen=True)
class HookAnswer:
    """What came back over HTTP: the status code and the raw body."""

    status: int
    body: bytes


Hook = Callable[[dict], HookAnswer]


class SyncError(Exception):
    """A sync that failed before anything was applied; Metacontroller records it as an Event."""


@dataclass
class Event:
    """A Kubernetes Event on the parent."""

    type: str
    reason: str
    message: str


@dataclass
class CompositeController:
    """The guestbook CompositeController: generateSelector, per-type update strategies, a hook."""

    store: Store
    hook: Hook
    version: str = "v1"
    controller: dict = field(default_factory=lambda: CONTROLLER)
    events: list[Event] = field(default_factory=list)
    requests: list[dict] = field(default_factory=list)
    # Parents whose last sync failed: requeued with backoff, so synced again later.
    retry: set[tuple[str, str]] = field(default_factory=set)

    @property
    def child_kinds(self) -> list[str]:
        """Return the kinds of child this controller manages."""
        return list(child_types(self.controller))

    def sync(self, namespace: str, name: str) -> None:
        """Run one sync of the parent, as a Metacontroller worker does."""
        parent = self.store.get("Guestbook", namespace, name)
        if parent is None or parent["metadata"].get("deletionTimestamp"):
            return  # no finalize hook: owner references let the GC remove the children
        observed = self._claim(parent)
        try:
            status, desired = self._call(parent, observed)
            desired = [self._own(parent, child) for child in desired]
        except SyncError as err:
            self._failed(namespace, name, str(err))
            return
        refused = self._manage(parent, observed, desired)
        # The status is written even when a child write failed (syncParentObject:
        # "continue to update status regardless"); the error then requeues.
        self._write_status(parent, status)
        if refused:
            self._failed(namespace, name, "; ".join(refused))

    def _failed(self, namespace: str, name: str, message: str) -> None:
        self.events.append(Event("Warning", "SyncError", message))
        self.retry.add((namespace, name))

    def _claim(self, parent: dict) -> list[dict]:
        """Return the parent's children, adopting matching orphans and releasing the rest."""
        claimed = []
        for kind in self.child_kinds:
            for child in self.store.list(kind, parent["metadata"]["namespace"]):
                claim = self._claimed(parent, child)
                if claim is not None:
                    claimed.append(claim)
        return claimed

    def _claimed(self, parent: dict, child: dict) -> dict | None:
        """Return the child as the parent's own after adopting it, or None if it is not."""
        uid = parent["metadata"]["uid"]
        controller = _controller_of(child)
        matches = child["metadata"].get("labels", {}).get(CONTROLLER_UID) == uid
        if controller is None and matches:
            child["metadata"].setdefault("ownerReferences", []).append(owner_reference(parent))
            return self.store.update(child, by=BY)
        if controller == uid and not matches:
            child["metadata"]["ownerReferences"].remove(owner_reference(parent))
            self.store.update(child, by=BY)
            return None
        return child if controller == uid else None

    def _call(self, parent: dict, observed: list[dict]) -> tuple[dict | None, list[dict]]:
        request = sync_request(parent, observed, version=self.version, controller=self.controller)
        self.requests.append(request)
        answer = self.hook(copy.deepcopy(request))
        if answer.status != 200:
            text = answer.body.decode(errors="replace")
            raise SyncError(
                f"sync hook failed: unsupported status code: {answer.status} body: {text}"
            )
        return self._decode(answer.body)

    def _decode(self, body: bytes) -> tuple[dict | None, list[dict]]:
        """Decode the response as Go does: strictly for v2, loosely (extra keys ignored) for v1."""
        try:
            response = json.loads(body, parse_constant=_no_constants)
        except ValueError as err:
            raise SyncError(f"sync hook failed: can't unmarshal response: {err}") from None
        if not isinstance(response, dict):
            raise SyncError("sync hook failed: response is not an object")
        unknown = set(response) - RESPONSE_KEYS
        if unknown and self.version == "v2":
            raise SyncError(f"sync hook failed: unknown fields {sorted(unknown)}")
        status, children = response.get("status"), response.get("children")
        if not isinstance(status, dict | None) or not isinstance(children, list | None):
            raise SyncError("sync hook failed: status must be an object, children a list")
        for child in children or []:
            if not isinstance(child, dict) or not child.get("kind") or not _name_of(child):
                raise SyncError(f"sync hook failed: a desired child is not an object: {child!r}")
            if child["kind"] not in self.child_kinds:
                raise SyncError(f"sync hook failed: {child['kind']} is not a child resource")
        return status, children or []

    def _own(self, parent: dict, child: dict) -> dict:
        """Default the namespace, add the controller-uid label, and check the selector."""
        child = copy.deepcopy(child)
        metadata = child["metadata"]
        metadata.setdefault("namespace", parent["metadata"]["namespace"])
        labels = metadata.setdefault("labels", {})
        labels.setdefault(CONTROLLER_UID, parent["metadata"]["uid"])
        if labels[CONTROLLER_UID] != parent["metadata"]["uid"]:
            raise SyncError(
                f"labels on desired child {child['kind']} {metadata['namespace']}/"
                f"{metadata['name']} don't match parent selector"
            )
        return child

    def _manage(self, parent: dict, observed: list[dict], desired: list[dict]) -> list[str]:
        """Create, update and delete children; return the refusals (the other writes proceed).

        pkg/controller/common/manage_children.go: each child's write is tried,
        404 and 409 are left to the next sync, and any other error is
        collected and returned, failing the sync after the status is written.
        """
        wanted = {_identity(child): child for child in desired}
        refused = []
        for child in observed:
            if _identity(child) not in wanted and not child["metadata"].get("deletionTimestamp"):
                self.store.delete(*_identity(child), by=BY)
        current = {_identity(child): child for child in observed}
        for key, child in wanted.items():
            try:
                with _ignoring(404, 409):
                    if key in current:
                        self._update(current[key], child)
                    else:
                        self._create(parent, child)
            except APIError as err:
                refused.append(
                    f"can't {'update' if key in current else 'create'} {key[0]} {key[2]}: {err}"
                )
        return refused

    def _create(self, parent: dict, child: dict) -> None:
        child["metadata"].setdefault("annotations", {})[LAST_APPLIED] = encode_last_applied(child)
        child["metadata"].setdefault("ownerReferences", []).append(owner_reference(parent))
        self.store.create(child, by=BY)

    def _update(self, live: dict, desired: dict) -> None:
        desired = copy.deepcopy(desired)
        desired["metadata"].get("annotations", {}).pop(LAST_APPLIED, None)
        text = live["metadata"].get("annotations", {}).get(LAST_APPLIED)
        last_applied = json.loads(text) if text else None
        merged = merge(live, last_applied, desired)
        merged["metadata"].setdefault("annotations", {})[LAST_APPLIED] = encode_last_applied(
            desired
        )
        if merged == live or live["metadata"].get("deletionTimestamp"):
            return
        method = update_methods(self.controller)[live["kind"]]
        if method == "InPlace":
            self.store.update(merged, by=BY)
        elif method == "Recreate":
            self.store.delete(*_identity(live), by=BY)
        elif method != "OnDelete":
            raise NotImplementedError(f"{method}: rolling updates are not emulated")

    def _write_status(self, parent: dict, status: dict | None) -> None:
        live = self.store.get(
            "Guestbook", parent["metadata"]["namespace"], parent["metadata"]["name"]
        )
        if live is None:
            return
        wanted = {**(status or {}), "observedGeneration": live["metadata"]["generation"]}
        if live.get("status") != wanted:
            with _ignoring(404, 409):
                self.store.update_status(live, wanted, by=BY)


@contextlib.contextmanager
def _ignoring(*codes: int) -> Iterator[None]:
    """Swallow the API errors Metacontroller ignores because another sync will follow."""
    try:
        yield
    except APIError as err:
        if err.code not in codes:
            raise


def _controller_of(obj: dict) -> str | None:
    refs = obj["metadata"].get("ownerReferences", [])
    return next((ref["uid"] for ref in refs if ref.get("controller")), None)


def _identity(obj: dict) -> tuple[str, str, str]:
    return obj["kind"], obj["metadata"]["namespace"], obj["metadata"]["name"]


def _name_of(obj: dict) -> Any:
    metadata = obj.get("metadata")
    return metadata.get("name") if isinstance(metadata, dict) else None


def _no_constants(name: str) -> None:
    raise ValueError(f"{name} is not JSON")
