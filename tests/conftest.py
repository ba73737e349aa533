"""Fixtures shared by every test module, built on the app factory."""

import json

import pytest
from flask import Flask
from flask.testing import FlaskClient

from hooks.app import create_app
from tests import ROOT, golden


@pytest.fixture
def app() -> Flask:
    """Return a hook server configured for tests."""
    return create_app({"TESTING": True})


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    """Return a test client of that server."""
    return app.test_client()


@pytest.fixture
def sample_request() -> dict:
    """Return samples/sync-request.json, the request the README's curl example sends."""
    return json.loads((ROOT / "samples" / "sync-request.json").read_text())


@pytest.fixture
def golden_request():
    """Return a function that builds a golden case's sync request (tests/golden/cases.py)."""
    return golden.request
