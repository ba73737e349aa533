"""Metacontroller's dynamic apply: the three-way merge it runs before every child update.

Written from the reference (§9.3): the change from last-applied to desired is
applied to the observed object. Desired values win, even over a drifted
observed value; a field the hook returned before and no longer returns is
removed; a field nobody applied (a server default, someone else's annotation)
is kept. A list whose items are all objects sharing a conventional key is
merged item by item on that key; any other list is replaced.
"""

import copy
from typing import Any

# The keys Metacontroller guesses as a list's merge key, the first common one winning.
MERGE_KEYS = ("containerPort", "port", "mountPath", "name", "uid", "ip", "path")
# ObjectMeta fields only the API server writes: always kept as observed.
SYSTEM_FIELDS = (
    "selfLink",
    "uid",
    "resourceVersion",
    "generation",
    "creationTimestamp",
    "deletionTimestamp",
    "deletionGracePeriodSeconds",
)


class MergeError(ValueError):
    """Desired and observed disagree on whether a field is an object, a list or a scalar."""


def merge(observed: dict, last_applied: dict | None, desired: dict) -> dict:
    """Return the observed object with the change from last-applied to desired applied."""
    merged = _merge_object("", copy.deepcopy(observed), last_applied or {}, desired)
    for field in SYSTEM_FIELDS:
        _keep(merged, observed, "metadata", field)
    # A parent never sets its children's status.
    _keep(merged, observed, "status")
    return merged


def _merge(path: str, destination: Any, last: Any, desired: Any) -> Any:
    if isinstance(destination, dict):
        return _merge_object(
            path, destination, _expect(last, dict, path), _expect(desired, dict, path)
        )
    if isinstance(destination, list):
        return _merge_list(
            path, destination, _expect(last, list, path), _expect(desired, list, path)
        )
    return copy.deepcopy(desired)


def _merge_object(path: str, destination: dict, last: dict, desired: dict) -> dict:
    for key in last:
        if key not in desired:
            destination.pop(key, None)
    for key, value in desired.items():
        destination[key] = _merge(f"{path}.{key}", destination.get(key), last.get(key), value)
    return destination


def _merge_list(path: str, destination: list, last: list, desired: list) -> list:
    key = _list_map_key(destination, last, desired)
    if key is None:
        return copy.deepcopy(desired)
    merged = _merge_object(
        path, _by_key(destination, key), _by_key(last, key), _by_key(desired, key)
    )
    # Items already there keep their order; new ones follow in the desired order.
    order = [str(item[key]) for item in destination] + [str(item[key]) for item in desired]
    return [merged[k] for k in dict.fromkeys(order) if k in merged]


def _list_map_key(*lists: list) -> str | None:
    items = [item for items in lists for item in items]
    if not items or not all(isinstance(item, dict) for item in items):
        return None
    common = set.intersection(*(set(item) for item in items))
    return next((key for key in MERGE_KEYS if key in common), None)


def _by_key(items: list, key: str) -> dict:
    return {str(item[key]): copy.deepcopy(item) for item in items}


def _expect(value: Any, kind: type, path: str) -> Any:
    if value is None:
        return kind()
    if not isinstance(value, kind):
        raise MergeError(
            f"{path or '<root>'}: expected {kind.__name__}, got {type(value).__name__}"
        )
    return value


def _keep(merged: dict, observed: dict, *path: str) -> None:
    """Set `path` in `merged` to its observed value, or remove it if it was not observed."""
    *parents, field = path
    source, target = observed, merged
    for key in parents:
        source, target = source.get(key, {}), target.get(key)
        if not isinstance(target, dict):
            return  # nothing there to keep or to remove
    if field in source:
        target[field] = copy.deepcopy(source[field])
    else:
        target.pop(field, None)
