"""How the emulated Metacontroller reaches the hook server: the Flask test client, or real HTTP."""

import json
import urllib.error
import urllib.request

from flask.testing import FlaskClient

from tests.emulator.metacontroller import Hook, HookAnswer

# Metacontroller's default webhook.timeout.
HOOK_TIMEOUT_SECONDS = 10


def through_test_client(client: FlaskClient) -> Hook:
    """Return a hook that POSTs each request to /sync through the Flask test client."""

    def call(request: dict) -> HookAnswer:
        response = client.post("/sync", data=json.dumps(request), content_type="application/json")
        return HookAnswer(response.status_code, response.data)

    return call


def over_http(url: str) -> Hook:
    """Return a hook that POSTs each request to `url`/sync over a real connection."""

    def call(request: dict) -> HookAnswer:
        post = urllib.request.Request(
            f"{url}/sync",
            data=json.dumps(request).encode(),
            headers={"Content-Type": "application/json"},
        )
        try:
            with urllib.request.urlopen(post, timeout=HOOK_TIMEOUT_SECONDS) as response:
                return HookAnswer(response.status, response.read())
        except urllib.error.HTTPError as error:
            return HookAnswer(error.code, error.read())

    return call
