"""Per-call cost in one process: the floor (parse + serialise) against the full hook path."""

import statistics
import time
from collections.abc import Callable

import orjson

from hooks import finalize, sync
from hooks.app import hook_answer
from hooks.desired import JSON_OPTIONS
from hooks.observed import read_request


def hook_path(body: bytes) -> bytes:
    """Run what the server runs for a body, Flask aside: parse, check, answer, serialise."""
    _, wire = hook_answer(read_request(orjson.loads(body)))
    return orjson.dumps(wire, option=JSON_OPTIONS)


def api_path(body: bytes) -> bytes:
    """Run the same through the Python API, `sync()` or `finalize()`, which returns fresh dicts."""
    hook = read_request(orjson.loads(body))
    answer = (finalize if hook.finalizing else sync)(hook.parent, hook.children)
    return orjson.dumps(answer, option=JSON_OPTIONS)


def floor_path(response: bytes) -> Callable[[bytes], bytes]:
    """Return the floor for requests answered by `response`: parse, then serialise that much."""
    shaped = orjson.loads(response)

    def floor(body: bytes) -> bytes:
        orjson.loads(body)
        return orjson.dumps(shaped, option=JSON_OPTIONS)

    return floor


def compare(body: bytes, *, rounds: int, batch: int) -> dict:
    """Time the floor, the server path and sync() on `body`, interleaved; return medians, ratios."""
    response = hook_path(body)
    if api_path(body) != response:
        raise RuntimeError("the server and sync() answer the same request differently")
    paths = {"floor": floor_path(response), "hook": hook_path, "api": api_path}
    samples = interleaved(paths, body, rounds=rounds, batch=batch)
    result = {"request_bytes": len(body), "response_bytes": len(response)}
    for name, values in samples.items():
        result[name] = {"median_us": statistics.median(values), "samples": len(values)}
    # Each round's paths ran back to back, under the same load from the rest of the
    # machine: the median of per-round ratios is steadier than a ratio of medians.
    result["ratio"] = paired_ratio(samples["hook"], samples["floor"])
    result["api_ratio"] = paired_ratio(samples["api"], samples["floor"])
    return result


def interleaved(
    paths: dict[str, Callable[[bytes], bytes]], body: bytes, *, rounds: int, batch: int
) -> dict[str, list[float]]:
    """Return per-call microseconds of each path, one sample per batch, the paths taking turns."""
    samples: dict[str, list[float]] = {name: [] for name in paths}
    order = list(paths)
    for _ in range(rounds):
        for name in order:
            samples[name].append(_per_call_us(paths[name], body, batch))
        # Rotate who goes first, so no path always runs on a warmer cache.
        order.append(order.pop(0))
    return samples


def paired_ratio(numerators: list[float], denominators: list[float]) -> float:
    """Return the median of the ratios of samples taken in the same round."""
    return statistics.median(n / d for n, d in zip(numerators, denominators, strict=True))


def linear_fit(points: list[tuple[int, float]]) -> dict:
    """Fit cost = fixed + per_kb * bytes by least squares; report how far each point strays."""
    xs = [size / 1000 for size, _ in points]
    ys = [cost for _, cost in points]
    slope, intercept = statistics.linear_regression(xs, ys)
    residuals = [abs(y - (intercept + slope * x)) / y for x, y in zip(xs, ys, strict=True)]
    return {"fixed_us": intercept, "us_per_kb": slope, "max_residual": max(residuals)}


def _per_call_us(path: Callable[[bytes], bytes], body: bytes, batch: int) -> float:
    start = time.perf_counter_ns()
    for _ in range(batch):
        path(body)
    return (time.perf_counter_ns() - start) / batch / 1000
