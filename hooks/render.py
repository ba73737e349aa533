"""Preview what a Guestbook turns into, without a cluster: the sync hook's answer, for people.

Reads a Guestbook manifest as a user writes it (YAML or JSON) and, optionally,
observed objects to compute the status against; formats the children as
multi-document YAML that `kubectl apply -f -` takes, then the status as comments.
"""

import sys
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

import orjson
import yaml

from hooks.describe import describe, shorten
from hooks.guestbook import HoldError, sync
from hooks.observed import RequestError
from hooks.spec import API_VERSION, SpecError, is_paused, parse_spec

KIND = "Guestbook"
FORMATS = ("yaml", "json")
STDIN = "-"
TIMESTAMP_TAG = "tag:yaml.org,2002:timestamp"


class InputError(ValueError):
    """Input that cannot be rendered; the message names the file and what is wrong with it."""


class _Loader(yaml.SafeLoader):
    """YAML as Kubernetes reads it: timestamps stay strings, and a repeated key is an error."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict:
        seen = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=True)
            if key in seen:
                raise yaml.constructor.ConstructorError(
                    None, None, f"repeated key {shorten(key)}", key_node.start_mark
                )
            seen.add(key)
        return super().construct_mapping(node, deep=deep)


_Loader.yaml_implicit_resolvers = {
    first: [(tag, pattern) for tag, pattern in resolvers if tag != TIMESTAMP_TAG]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def render_files(
    manifest: str,
    observed: str | None = None,
    *,
    output: str = "yaml",
    read: Callable[[str], str] | None = None,
    now: datetime | None = None,
) -> str:
    """Return the preview of the Guestbook in `manifest`, or raise InputError naming the problem.

    `read(path)` returns a file's text ("-" is standard input); `now` is the time
    the status is stamped with (the clock when None).
    """
    read = read or _read_file
    guestbook = read_guestbook(read(manifest), manifest)
    children = read_observed(read(observed), observed) if observed is not None else {}
    try:
        answer = sync(guestbook, children, now=now)
    except (RequestError, HoldError) as err:
        raise InputError(f"{observed}: {err}") from None
    if output == "json":
        return (
            orjson.dumps(answer, option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS).decode() + "\n"
        )
    return format_yaml(answer, observed=sum(len(members) for members in children.values()))


def read_guestbook(text: str, source: str) -> dict:
    """Return the one Guestbook in the text, or raise InputError naming what is wrong."""
    documents = _documents(text, source)
    if len(documents) != 1:
        raise InputError(f"{source}: expected one Guestbook, found {len(documents)} documents")
    manifest = documents[0]
    if not isinstance(manifest, dict):
        raise InputError(f"{source}: expected a Guestbook object, got {describe(manifest)}")
    for field, wanted in (("apiVersion", API_VERSION), ("kind", KIND)):
        if manifest.get(field) != wanted:
            raise InputError(
                f"{source}: {field} must be {wanted}, got {describe(manifest.get(field))}"
            )
    metadata = manifest.get("metadata")
    if not isinstance(metadata, dict) or not isinstance(metadata.get("name"), str):
        raise InputError(f"{source}: metadata.name is missing")
    try:
        is_paused(metadata)
        parse_spec(manifest.get("spec"))
    except SpecError as err:
        raise InputError(f"{source}: {err}") from None
    return manifest


def read_observed(text: str, source: str) -> dict:
    """Return a hook request's children map from a sync request or a list of observed objects."""
    documents = _documents(text, source)
    if len(documents) == 1 and isinstance(documents[0], dict) and "children" in documents[0]:
        return documents[0]["children"]  # a sync request, as Metacontroller sends it
    children: dict[str, dict] = {}
    for number, obj in enumerate(_objects(documents), start=1):
        if not isinstance(obj, dict) or not isinstance(obj.get("kind"), str):
            raise InputError(f"{source}: observed object {number} is not an object with a kind")
        metadata = obj.get("metadata")
        if not isinstance(metadata, dict) or not isinstance(metadata.get("name"), str):
            raise InputError(f"{source}: observed object {number} has no metadata.name")
        key = "/".join(filter(None, (metadata.get("namespace"), metadata["name"])))
        children.setdefault(f"{obj['kind']}.{obj.get('apiVersion')}", {})[key] = obj
    return children


def format_yaml(answer: dict, *, observed: int) -> str:
    """Return the children as YAML documents, then the status as comments."""
    dumped = _yaml(answer["children"], explicit_start=True) if answer["children"] else ""
    against = (
        f"{observed} observed objects" if observed else "no observed objects (a new guestbook)"
    )
    status = "".join(f"#   {line}\n" for line in _yaml(answer["status"]).splitlines())
    return f"{dumped}# Status, computed against {against}:\n{status}"


class _Dumper(yaml.SafeDumper):
    """YAML as a person writes it: a text of several lines (a script) as a literal block."""

    def represent_str(self, data: str) -> yaml.ScalarNode:
        if "\n" in data:
            return self.represent_scalar("tag:yaml.org,2002:str", data, style="|")
        return super().represent_str(data)


_Dumper.add_representer(str, _Dumper.represent_str)


def _yaml(value: Any, *, explicit_start: bool = False) -> str:
    # Children keep the order of their builders: it reads like a manifest.
    options = {"sort_keys": False, "width": 1_000_000, "allow_unicode": True}
    if isinstance(value, list):
        return yaml.dump_all(value, Dumper=_Dumper, explicit_start=explicit_start, **options)
    return yaml.dump(value, Dumper=_Dumper, **options)


def _objects(documents: list) -> list:
    """Flatten documents that are lists, or Kubernetes List objects, into their items."""
    objects = []
    for document in documents:
        if isinstance(document, list):
            objects.extend(document)
        elif isinstance(document, dict) and isinstance(document.get("items"), list):
            objects.extend(document["items"])
        else:
            objects.append(document)
    return objects


def _documents(text: str, source: str) -> list:
    try:
        documents = list(yaml.load_all(text, Loader=_Loader))
    except yaml.MarkedYAMLError as err:
        mark = err.problem_mark or err.context_mark
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = err.problem or err.context or "unreadable"
        raise InputError(f"{source}: not valid YAML or JSON: {problem}{where}") from None
    except yaml.YAMLError as err:
        raise InputError(
            f"{source}: not valid YAML or JSON: {' '.join(str(err).split())}"
        ) from None
    return [document for document in documents if document is not None]


def _read_file(path: str) -> str:
    try:
        if path == STDIN:
            return sys.stdin.read()
        return Path(path).read_text(encoding="utf-8")
    except OSError as err:
        raise InputError(f"{path}: cannot be read: {err.strerror or err}") from None
    except UnicodeDecodeError:
        raise InputError(f"{path}: is not UTF-8 text") from None
