"""The Dockerfile and .dockerignore: a plain, locked-down image with only what the server needs."""

import re
import tomllib

import pytest

from tests.manifests import files

DOCKERFILE = files.ROOT / "Dockerfile"
IMAGE_CONTENT = ("requirements.txt", "gunicorn.conf.py", "hooks/")


def instructions() -> list[tuple[str, str]]:
    """Return the Dockerfile's (INSTRUCTION, arguments), continuation lines joined."""
    text = re.sub(r"\\\n\s*", " ", DOCKERFILE.read_text())
    lines = [line.strip() for line in text.splitlines()]
    return [
        (line.split(maxsplit=1)[0].upper(), line.split(maxsplit=1)[1])
        for line in lines
        if line and not line.startswith("#")
    ]


def arguments(instruction: str) -> list[str]:
    return [args for name, args in instructions() if name == instruction]


def test_image_runs_the_python_that_dev_and_ci_use():
    [base] = arguments("FROM")
    target = tomllib.loads((files.ROOT / "pyproject.toml").read_text())["tool"]["ruff"]
    assert base == "python:3.11-slim-bookworm"
    assert target["target-version"] == "py" + base.split(":")[1].split("-")[0].replace(".", "")


def test_pinned_requirements_are_installed_before_the_code_is_copied():
    steps = instructions()
    order = [f"{name} {args}" for name, args in steps if name in ("COPY", "RUN")]
    assert order[:2] == [
        "COPY requirements.txt .",
        "RUN pip install --no-cache-dir --requirement requirements.txt",
    ]
    assert sorted(args.split()[0] for args in arguments("COPY")) == sorted(IMAGE_CONTENT)


def test_image_runs_as_a_numeric_non_root_user():
    [user] = arguments("USER")
    uid, _, gid = user.partition(":")
    assert uid.isdigit()
    assert int(uid) > 0
    assert not gid or gid.isdigit()


def test_image_starts_gunicorn_with_the_project_settings():
    assert arguments("CMD") == ['["gunicorn", "--config", "gunicorn.conf.py"]']
    assert arguments("EXPOSE") == ["8080"]


def dockerignore_excludes(path: str) -> bool:
    """Whether Docker leaves `path` out of the build context, by .dockerignore's rules."""
    excluded = False
    for line in (files.ROOT / ".dockerignore").read_text().splitlines():
        pattern = line.strip()
        if not pattern or pattern.startswith("#"):
            continue
        negated = pattern.startswith("!")
        pattern = pattern.lstrip("!").strip("/")
        regex = re.escape(pattern).replace(r"\*\*/", "(.*/)?").replace(r"\*", "[^/]*")
        # A pattern that matches a folder matches everything in it, as in Docker.
        if re.fullmatch(f"{regex}(/.*)?", path):
            excluded = not negated
    return excluded


@pytest.mark.parametrize(
    ("path", "in_image"),
    [
        ("requirements.txt", True),
        ("gunicorn.conf.py", True),
        ("hooks/__init__.py", True),
        ("hooks/app.py", True),
        ("hooks/__pycache__/app.cpython-311.pyc", False),
        ("requirements-dev.txt", False),
        ("tests/conftest.py", False),
        ("tests/golden/all-ready/request.json", False),
        (".venv/bin/python", False),
        (".git/HEAD", False),
        ("metacontroller/kustomization.yaml", False),
        ("README.md", False),
        ("dist/install.yaml", False),
        (".env", False),
    ],
)
def test_dockerignore_lets_only_the_server_into_the_build(path, in_image):
    assert dockerignore_excludes(path) is not in_image
