"""The IAM policies in docs/ci.md are proven, not guessed: each CI job (plan, apply, drift, import)
runs against the example manifests and the example data, with a recorder of every operation its
clients actually call, and every operation must be allowed by the policy docs/ci.md gives that job.
The read-only jobs must call no write at all."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from click.testing import CliRunner

from reconciler.cli import cli
from reconciler.ratelimit import WRITE_OPERATIONS

REPO = Path(__file__).parents[2]
CI_DOC = REPO / "docs" / "ci.md"
MANIFESTS = REPO / "manifests"
READ_PREFIXES = ("Describe", "List", "Get")


def documented_policies() -> dict[str, set[str]]:
    """Every JSON policy block of docs/ci.md, by statement Sid: the CodeArtifact actions it allows."""
    policies: dict[str, set[str]] = {}
    for block in re.findall(r"```json\n(.*?)```", CI_DOC.read_text(encoding="utf-8"), re.DOTALL):
        for statement in json.loads(block)["Statement"]:
            assert statement["Effect"] == "Allow"
            policies[statement["Sid"]] = {
                action.removeprefix("codeartifact:") for action in statement["Action"]
            }
    return policies


def job_policy(job: str) -> set[str]:
    """As docs/ci.md says: plan, drift and import need the read policy; apply the read and the write."""
    policies = documented_policies()
    return policies["ReconcilerRead"] | (policies["ReconcilerWrite"] if job == "apply" else set())


@pytest.fixture
def recorded(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """The operations called by every CodeArtifact client made meanwhile, in call order (botocore's
    `before-call` event fires once per API call, before any retry)."""
    calls: list[str] = []
    make_client = boto3.session.Session.client

    def client(self: boto3.session.Session, *args: Any, **kwargs: Any) -> Any:
        made = make_client(self, *args, **kwargs)

        def record(model: Any, **_: Any) -> None:
            calls.append(model.name)

        made.meta.events.register("before-call.codeartifact", record)
        return made

    monkeypatch.setattr(boto3.session.Session, "client", client)
    yield calls


def run(*args: str | Path) -> None:
    result = CliRunner().invoke(cli, [str(arg) for arg in args])
    assert result.exit_code in (0, 2), result.output


def jobs(db: Path, tmp_path: Path) -> dict[str, list[tuple[str | Path, ...]]]:
    """Each CI job of docs/ci.md as the commands it runs, against the local service."""
    plan_file = tmp_path / "pr-1.plan.json"
    return {
        "plan": [
            (
                "plan",
                MANIFESTS,
                "-o",
                plan_file,
                "--format",
                "markdown",
                "--detailed-exitcode",
                "--estimate-size",
            )
        ],
        "apply": [
            (
                "apply",
                plan_file,
                "--manifests",
                MANIFESTS,
                "--format",
                "json",
                "--rate-scale",
                "10",
                "--allow-delete",
            )
        ],
        "drift": [("drift", MANIFESTS, "--grace", "2h", "--format", "markdown")],
        "import": [("import", "--domain", "acme", "--repository", "prod", "-o", tmp_path / "imported.yaml")],
    }


def test_every_ci_job_calls_only_what_its_documented_policy_allows(
    db: Path, tmp_path: Path, recorded: list[str]
) -> None:
    called: dict[str, set[str]] = {}
    for job, commands in jobs(db, tmp_path).items():
        recorded.clear()
        for command in commands:
            run(*command, "--local", db)
        called[job] = set(recorded)

    for job, operations in called.items():
        assert operations, f"the {job} job called nothing: the recorder is not attached"
        assert operations <= job_policy(job), f"{job}: not in its policy: {operations - job_policy(job)}"
    for job in ("plan", "drift", "import"):
        assert not called[job] & WRITE_OPERATIONS, job
        assert all(operation.startswith(READ_PREFIXES) for operation in called[job]), job
    # The example manifests exercise what the policies must cover: upstream chains, ages, every write.
    assert {"DescribeRepository", "DescribePackageVersion", "ListPackageVersionAssets"} <= called["plan"]
    assert {
        "CopyPackageVersions",
        "UpdatePackageVersionsStatus",
        "DisposePackageVersions",
        "DeletePackageVersions",
    } <= called["apply"]


def test_the_documented_policies_allow_no_write_to_the_read_only_jobs() -> None:
    read = job_policy("plan")
    assert not read & WRITE_OPERATIONS
    assert all(action.startswith(READ_PREFIXES) for action in read)
