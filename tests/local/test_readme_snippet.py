"""The README's `aws codeartifact` snippet, exactly as written, on a machine with no AWS configuration."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from reconciler.local import BackgroundServer, LocalCodeArtifact
from reconciler.local.seed import load_seed, seed_service

pytestmark = [pytest.mark.awscli, pytest.mark.http]

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
PLACEHOLDER = "http://127.0.0.1:PORT"


def readme_snippet() -> str:
    """The shell command of the README's local-service block that runs `aws codeartifact`, with
    its continuation lines."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for block in re.findall(r"```sh\n(.*?)```", readme, flags=re.DOTALL):
        lines = block.splitlines()
        for index, line in enumerate(lines):
            if re.search(r"(^|\s)aws codeartifact ", line):
                command = [line]
                following = iter(lines[index + 1 :])
                while command[-1].rstrip().endswith("\\"):
                    command.append(next(following))
                return "\n".join(command)
    raise AssertionError("the README has no `aws codeartifact` snippet")


@pytest.fixture(scope="module")
def endpoint(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    if not (BIN / "aws").exists():
        pytest.skip(f"the AWS CLI is not installed in this virtualenv (no {BIN / 'aws'})")
    db = tmp_path_factory.mktemp("readme") / "local.db"
    # The snippet's first line: `reconciler local seed manifests/local/example-data.yaml --db ...`.
    with LocalCodeArtifact(db) as service:
        seed_service(service, load_seed(ROOT / "manifests" / "local" / "example-data.yaml"))
        with BackgroundServer(service) as server:
            yield server.endpoint_url


def clean_environment(home: Path) -> dict[str, str]:
    """A fresh machine: an empty home (no ~/.aws), no AWS_* variable, only the tools on PATH."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("AWS_")}
    env.update(HOME=str(home), PATH=f"{BIN}{os.pathsep}/usr/bin{os.pathsep}/bin")
    return env


def test_the_readme_snippet_works_without_any_aws_configuration(endpoint: str, tmp_path: Path) -> None:
    snippet = readme_snippet()
    assert PLACEHOLDER in snippet

    done = subprocess.run(
        ["bash", "-c", snippet.replace(PLACEHOLDER, endpoint)],
        env=clean_environment(tmp_path),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )

    assert done.returncode == 0, done.stderr
    listed = json.loads(done.stdout)
    assert listed["package"] == "web-sdk" and listed["versions"]


def test_without_the_snippets_region_and_credentials_the_aws_cli_fails(endpoint: str, tmp_path: Path) -> None:
    # What the snippet's inline settings are for: the bare command fails on a fresh machine.
    bare = re.sub(r"AWS_\w+=\S+ ", "", readme_snippet()).replace("--region us-east-1 ", "")

    done = subprocess.run(
        ["bash", "-c", bare.replace(PLACEHOLDER, endpoint)],
        env=clean_environment(tmp_path),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )

    assert done.returncode != 0
