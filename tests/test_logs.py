"""Structured logs: one JSON line per hook call with its facts, tracebacks inside, the level."""

import io
import json
import logging
import logging.config
import re

import pytest

from hooks import guestbook
from hooks.logs import ACCESS_MESSAGE, LOGGER, JsonFormatter, check_level, logging_config

TIME = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z")
GB1 = {"namespace": "demo", "name": "gb1"}


@pytest.fixture
def log_records():
    """Capture the hooks' log lines as JSON at debug level; return a function that parses them."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    level = LOGGER.level
    LOGGER.addHandler(handler)
    LOGGER.setLevel(logging.DEBUG)
    yield lambda: [json.loads(line) for line in stream.getvalue().splitlines()]
    LOGGER.removeHandler(handler)
    LOGGER.setLevel(level)


def without_clock(record: dict, *, timed: bool = True) -> dict:
    """Return the record without the fields that change from run to run, after checking them."""
    assert TIME.fullmatch(record.pop("time"))
    if timed:
        assert record.pop("duration_ms") >= 0
    return record


@pytest.fixture
def pristine_logging():
    """Restore the loggers that a logging config touches to how they were."""
    loggers = [logging.getLogger(name) for name in ("", "gunicorn.error", "gunicorn.access")]
    loggers.append(LOGGER)
    saved = [(logger, logger.level, list(logger.handlers), logger.propagate) for logger in loggers]
    yield
    for logger, level, handlers, propagate in saved:
        logger.setLevel(level)
        logger.handlers[:] = handlers
        logger.propagate = propagate


def sync_line(message: str, outcome: str, generation: int, **extra) -> dict:
    return {
        "level": "info",
        "logger": "hooks",
        "message": message,
        "method": "POST",
        "path": "/sync",
        "code": 200,
        "outcome": outcome,
        "guestbook": GB1,
        "generation": generation,
        "children": 9,
        **extra,
    }


@pytest.mark.parametrize(
    ("case", "line"),
    [
        pytest.param("all-ready", sync_line("Synced guestbook", "ok", 2), id="synced"),
        pytest.param(
            "paused", sync_line("Held children of paused guestbook", "held", 6), id="paused"
        ),
        pytest.param(
            "invalid-spec-held",
            sync_line("Held children of guestbook with invalid spec", "invalid", 5),
            id="invalid spec",
        ),
    ],
)
def test_a_sync_logs_one_line_with_its_facts(client, golden_request, log_records, case, line):
    client.post("/sync", json=golden_request(case))
    assert [without_clock(record) for record in log_records()] == [line]


def test_a_finalize_call_logs_that_the_guestbook_was_finalized(client, sample_request, log_records):
    client.post("/sync", json={**sample_request, "finalizing": True})
    assert [without_clock(record) for record in log_records()] == [
        sync_line("Finalized guestbook", "ok", 2, children=0)
    ]


def test_a_rejected_call_logs_a_warning_naming_the_problem(client, golden_request, log_records):
    request = golden_request("all-ready")
    del request["parent"]["metadata"]["name"]
    client.post("/sync", json=request)
    assert [without_clock(record) for record in log_records()] == [
        {
            "level": "warning",
            "logger": "hooks",
            "message": "Rejected request",
            "method": "POST",
            "path": "/sync",
            "code": 400,
            "outcome": "error",
            "guestbook": {"namespace": "demo"},
            "generation": 2,
            "error": "parent.metadata.name is missing or not a non-empty string",
        }
    ]


def test_an_unexpected_failure_logs_its_traceback_inside_the_line(
    client, sample_request, log_records, monkeypatch
):
    def broken(*args, **kwargs):
        raise ZeroDivisionError("on purpose")

    monkeypatch.setattr(guestbook, "compute_status", broken)
    assert client.post("/sync", json=sample_request).status_code == 500
    [record] = log_records()
    traceback = record.pop("traceback")
    assert traceback.startswith("Traceback (most recent call last):\n")
    assert traceback.endswith("ZeroDivisionError: on purpose")
    assert without_clock(record) == {
        "level": "error",
        "logger": "hooks",
        "message": "Failed to answer request",
        "method": "POST",
        "path": "/sync",
        "code": 500,
        "outcome": "error",
        "guestbook": GB1,
        "generation": 2,
        "error": "internal error while handling /sync: ZeroDivisionError",
    }


@pytest.mark.parametrize("path", ["/healthz", "/readyz", "/metrics"])
def test_probes_and_scrapes_log_only_at_debug_level(client, log_records, path):
    client.get(path)
    assert [without_clock(record) for record in log_records()] == [
        {
            "level": "debug",
            "logger": "hooks",
            "message": ACCESS_MESSAGE,
            "method": "GET",
            "path": path,
            "code": 200,
        }
    ]


def test_messages_are_capitalised_without_a_trailing_period(
    client, golden_request, sample_request, log_records
):
    client.post("/sync", json=golden_request("all-ready"))
    client.post("/sync", json=golden_request("paused"))
    client.post("/sync", json=golden_request("invalid-spec-held"))
    client.post("/sync", json={**sample_request, "finalizing": True})
    client.post("/sync", data=b"{")
    client.get("/nope")
    client.get("/healthz")
    messages = {record["message"] for record in log_records()}
    assert len(messages) == 6
    assert {message for message in messages if not message[0].isupper()} == set()
    assert {message for message in messages if message.endswith(".")} == set()


def test_gunicorn_access_records_become_fields():
    record = logging.LogRecord(
        "gunicorn.access",
        logging.INFO,
        __file__,
        1,
        ACCESS_MESSAGE,
        ({"h": "10.0.0.9", "m": "POST", "U": "/sync", "q": "", "s": "200", "B": 10, "D": 1500},),
        None,
    )
    line = json.loads(JsonFormatter().format(record))
    assert without_clock(line) == {
        "level": "info",
        "logger": "gunicorn.access",
        "message": ACCESS_MESSAGE,
        "remote": "10.0.0.9",
        "method": "POST",
        "path": "/sync",
        "code": 200,
        "bytes": 10,
    }


@pytest.mark.parametrize(
    ("given", "level"),
    [
        pytest.param("info", "info", id="lower case"),
        pytest.param("DEBUG", "debug", id="upper case"),
        pytest.param("Warning", "warning", id="mixed case"),
    ],
)
def test_log_levels_are_read_in_any_case(given, level):
    assert check_level(given) == level


@pytest.mark.parametrize("given", ["verbose", "", "5"])
def test_an_unknown_log_level_is_refused_with_the_choices(given):
    with pytest.raises(ValueError, match="LOG_LEVEL must be one of debug, info, warning, error"):
        check_level(given)


def test_the_logging_config_sends_every_logger_through_one_json_handler(capsys, pristine_logging):
    logging.config.dictConfig(logging_config("info"))
    logging.getLogger("gunicorn.error").info("Booted")
    logging.getLogger("gunicorn.access").debug("Hidden")
    LOGGER.warning("Warned", extra={"code": 1})
    lines = capsys.readouterr().out.splitlines()
    assert [without_clock(json.loads(line), timed=False) for line in lines] == [
        {"level": "info", "logger": "gunicorn.error", "message": "Booted"},
        {"level": "warning", "logger": "hooks", "message": "Warned", "code": 1},
    ]
