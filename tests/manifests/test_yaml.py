"""Every YAML file passes yamllint with the project's .yamllint settings."""

import subprocess
import sys

from tests.manifests import files


def test_yamllint_finds_nothing_in_any_yaml_file():
    result = subprocess.run(
        [sys.executable, "-m", "yamllint", "--strict", "."],
        cwd=files.ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
