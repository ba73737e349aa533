"""Container resources: exactly what the API server accepts for a pod template, in its stored form.

Each case comes from Kubernetes' own rules (pkg/apis/core/validation/validation.go
`validateResourceRequirements`, `validateContainerResourceName`,
`ValidateResourceQuantityValue`, `validateResourceQuantityHugePageValue`;
pkg/apis/core/helper/helpers.go `IsNativeResource`, `IsExtendedResourceName`,
`IsOvercommitAllowed`, `IsHugePageResourceValueDivisible`).
"""

from types import MappingProxyType

import pytest

from hooks.resources import ResourceError, container_resources

PATH = "spec.frontend.resources"


def plain(mapping: MappingProxyType) -> dict:
    return {kind: dict(values) for kind, values in mapping.items()}


@pytest.mark.parametrize(
    ("raw", "stored"),
    [
        pytest.param(
            {"requests": {"cpu": "0.5", "memory": "1024Mi"}},
            {"requests": {"cpu": "500m", "memory": "1Gi"}},
            id="standard names, stored canonical",
        ),
        pytest.param(
            {"requests": {"ephemeral-storage": "2Gi"}, "limits": {"ephemeral-storage": "4Gi"}},
            {"requests": {"ephemeral-storage": "2Gi"}, "limits": {"ephemeral-storage": "4Gi"}},
            id="ephemeral storage may be overcommitted",
        ),
        pytest.param(
            {"limits": {"example.com/gpu": 1}},
            {"limits": {"example.com/gpu": "1"}},
            id="an extended resource limit alone (no request needed)",
        ),
        pytest.param(
            {"requests": {"example.com/gpu": "2"}, "limits": {"example.com/gpu": 2}},
            {"requests": {"example.com/gpu": "2"}, "limits": {"example.com/gpu": "2"}},
            id="an extended request equal to its limit",
        ),
        pytest.param(
            {"requests": {"kubernetes.io/fast": "1500m"}, "limits": {"kubernetes.io/fast": "2"}},
            {"requests": {"kubernetes.io/fast": "1500m"}, "limits": {"kubernetes.io/fast": "2"}},
            id="a kubernetes.io name is native: fractional and overcommitted",
        ),
        pytest.param(
            {
                "requests": {"memory": "1Gi", "hugepages-2Mi": "4Mi"},
                "limits": {"hugepages-2Mi": "4Mi"},
            },
            {
                "requests": {"memory": "1Gi", "hugepages-2Mi": "4Mi"},
                "limits": {"hugepages-2Mi": "4Mi"},
            },
            id="hugepages in whole pages beside memory",
        ),
        pytest.param(
            {"limits": {"cpu": "0", "hugepages-1Gi": "0"}},
            {"limits": {"cpu": "0", "hugepages-1Gi": "0"}},
            id="zero hugepages beside a zero cpu limit",
        ),
        pytest.param(
            {"requests": {"cpu": "1"}, "limits": {"cpu": "1000m"}},
            {"requests": {"cpu": "1"}, "limits": {"cpu": "1"}},
            id="a request equal to its limit in another notation",
        ),
    ],
)
def test_what_the_api_server_accepts_is_kept_in_its_stored_form(raw, stored):
    assert plain(container_resources(raw, PATH)) == stored


@pytest.mark.parametrize(
    ("raw", "field", "problem"),
    [
        pytest.param(
            {"limits": {"gpu": 1}},
            "limits.gpu",
            "must be one of cpu, memory, ephemeral-storage, hugepages-<size>, or a "
            "domain-prefixed extended resource such as example.com/gpu",
            id="an unprefixed name that is not a container resource",
        ),
        pytest.param(
            {"requests": {"pods": "1"}},
            "requests.pods",
            "must be one of cpu, memory, ephemeral-storage, hugepages-<size>, or a "
            "domain-prefixed extended resource such as example.com/gpu",
            id="a quota resource is no container resource",
        ),
        pytest.param(
            {"limits": {"requests.example.com/gpu": 1}},
            "limits.requests.example.com/gpu",
            "is not a valid extended resource name",
            id="an extended name may not start with requests.",
        ),
        pytest.param(
            {"limits": {"Example.com/gpu": 1}},
            "limits.Example.com/gpu",
            "is not a valid resource name",
            id="an upper-case domain",
        ),
        pytest.param(
            {"limits": {"a/b/c": 1}},
            "limits.a/b/c",
            "is not a valid resource name",
            id="two slashes",
        ),
        pytest.param(
            {"limits": {f"{'a' * 246}.com/gpu": 1}},
            f"limits.{'a' * 246}.com/gpu",
            "is not a valid extended resource name",
            id="a domain too long once requests. stands before it",
        ),
        pytest.param(
            {"limits": {"example.com/gpu": "1.5"}},
            "limits.example.com/gpu",
            "must be a whole number for an extended resource, got 1500m",
            id="a fractional extended resource",
        ),
        pytest.param(
            {"requests": {"example.com/gpu": 1}},
            "requests.example.com/gpu",
            "needs a limit of the same amount for example.com/gpu",
            id="an extended request without a limit",
        ),
        pytest.param(
            {"requests": {"example.com/gpu": 1}, "limits": {"example.com/gpu": 2}},
            "requests.example.com/gpu",
            "must equal the limit 2, got 1",
            id="an extended request below its limit",
        ),
        pytest.param(
            {"requests": {"memory": "2Gi"}, "limits": {"memory": "1Gi"}},
            "requests.memory",
            "must not exceed the limit 1Gi, got 2Gi",
            id="a request above its limit",
        ),
        pytest.param(
            {
                "requests": {"memory": "1Gi", "hugepages-2Mi": "3Mi"},
                "limits": {"hugepages-2Mi": "3Mi"},
            },
            "requests.hugepages-2Mi",
            "3Mi is not a whole multiple of the page size of hugepages-2Mi",
            id="hugepages not in whole pages",
        ),
        pytest.param(
            {"limits": {"memory": "1Gi", "hugepages-big": "2Mi"}},
            "limits.hugepages-big",
            "2Mi is not a whole multiple of the page size of hugepages-big",
            id="a hugepages name without a page size",
        ),
        pytest.param(
            {"requests": {"memory": "1Gi", "hugepages-2Mi": "2Mi"}},
            "requests.hugepages-2Mi",
            "needs a limit of the same amount for hugepages-2Mi",
            id="a hugepages request without a limit",
        ),
        pytest.param(
            {"limits": {"hugepages-2Mi": "2Mi"}},
            "",
            "hugepages need a cpu or memory request or limit beside them",
            id="hugepages alone",
        ),
        pytest.param(
            {"requests": {"cpu": 0.5}},
            "requests.cpu",
            "must be a quantity such as 100m or 1Gi, written as a string or an integer, got float",
            id="a JSON float, which the CRD refuses too",
        ),
    ],
)
def test_what_the_api_server_refuses_is_an_error_naming_the_field(raw, field, problem):
    with pytest.raises(ResourceError) as caught:
        container_resources(raw, PATH)

    assert caught.value.path == f"{PATH}.{field}".rstrip(".")
    assert caught.value.problem == problem
