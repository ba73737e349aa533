"""The test suite; ROOT is the repository, the one place test code finds files from."""

from pathlib import Path

ROOT = Path(__file__).parent.parent
