"""Golden answers: requests built by cases.py, the hooks' answers recorded as <answer>.json.

Only what a person reviews is on disk: the answers. Cases whose answers are
identical (the v2 request of a v1 case) share one file and are asserted twice.
"""

import json
from pathlib import Path

from tests.golden.cases import CASES, SAME_ANSWER

HERE = Path(__file__).parent


def request(case: str) -> dict:
    """Return the case's sync request, built afresh."""
    return CASES[case]()


def answer_file(case: str) -> Path:
    """Return the file that records the case's answer."""
    return HERE / f"{SAME_ANSWER.get(case, case)}.json"


def answer(case: str) -> dict:
    """Return the recorded answer of the case."""
    return json.loads(answer_file(case).read_text())
