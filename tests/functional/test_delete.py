"""`Deleted` declared in the manifests, end to end through the command line, in process and over
HTTP: plan shows the deletes apart, apply refuses them without --allow-delete (exit 1, nothing
changed) and makes them with it, the next plan is empty and drift finds nothing. A deleted version
can be published again; a disposed one cannot."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import botocore.exceptions
import pytest
from click.testing import CliRunner

from reconciler.applier import Outcome, apply_plan
from reconciler.aws.executor import BotoExecutor
from reconciler.cli import cli
from reconciler.commands import apply as apply_command
from reconciler.local import LocalCodeArtifact, local_client
from reconciler.planfile import read_plan
from tests.functional.conftest import local_seed, seeded_file
from tests.functional.test_apply import aws_env, backend, run

__all__ = ["aws_env", "backend"]  # fixtures used by the tests below

CLI = {
    "domain": "acme",
    "repository": "staging",
    "format": "generic",
    "namespace": "tools",
    "package": "deploy-cli",
}

SEED = local_seed(
    {
        "name": "staging",
        "packages": [
            {
                "format": "generic",
                "namespace": "tools",
                "name": "deploy-cli",
                "versions": [
                    "1.0.0",
                    "1.1.0",
                    "2.0.0",
                    "2.1.0",
                    {"version": "0.9.0", "status": "Disposed"},
                    "3.0.0",
                ],
            }
        ],
    },
)

MANIFEST = """\
apiVersion: reconciler/v1
kind: PackageLifecycle
target:
  domain: acme
  repository: staging
packages:
  - format: generic
    namespace: tools
    name: deploy-cli
    versions:
      "1.0.0": Deleted     # staging re-publishes 1.0.0: only a delete allows that
      "0.9.0": Deleted     # Disposed: deleting is the one action left
      "0.1.0": Deleted     # absent already: in sync
      "1.1.0": Disposed
    otherwise: ignore
"""


@pytest.fixture(scope="module")
def seeded_once(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return seeded_file(tmp_path_factory, SEED)


def listed(db: Path) -> dict[str, str]:
    with LocalCodeArtifact(db) as service:
        found = local_client(service).list_package_versions(**CLI)["versions"]
    return {item["version"]: item["status"] for item in found}


def publish(client: Any, version: str) -> dict[str, Any]:
    content = f"deploy-cli {version}, rebuilt".encode()
    answer: dict[str, Any] = client.publish_package_version(
        **CLI,
        packageVersion=version,
        assetContent=content,
        assetName="deploy-cli.tar.gz",
        assetSHA256=hashlib.sha256(content).hexdigest(),
    )
    return answer


def test_a_declared_delete_is_planned_refused_without_allow_delete_then_applied(
    db: Path, backend: list[str], tmp_path: Path
) -> None:
    manifest = tmp_path / "staging.yaml"
    manifest.write_text(MANIFEST)
    plan_file = tmp_path / "delete.plan.json"

    planned = run("plan", manifest, *backend, "-o", plan_file, "--detailed-exitcode")
    assert planned.exit_code == 2, planned.output
    assert (
        "Plan: 2 to delete, 1 to dispose, 0 to update, 0 to copy (1 as declared, 3 unmanaged)"
        in planned.stdout
    )
    assert "x 1.0.0  Published -> Deleted" in planned.stdout
    assert "x 0.9.0  Disposed -> Deleted" in planned.stdout
    saved = json.loads(plan_file.read_text())
    assert saved["summary"]["to_delete"] == 2
    assert [a["kind"] for a in saved["actions"]] == ["dispose", "delete", "delete"]

    refused = run("apply", plan_file, *backend)
    assert refused.exit_code == 1, refused.output
    assert (
        "refused: the plan deletes 2 versions, and deletes are not allowed; nothing was changed"
        in refused.output
    )
    assert "--allow-delete" in refused.output
    assert listed(db) == {
        "0.9.0": "Disposed",
        "1.0.0": "Published",
        "1.1.0": "Published",
        "2.0.0": "Published",
        "2.1.0": "Published",
        "3.0.0": "Published",
    }

    applied = run("apply", plan_file, *backend, "--allow-delete", "--output", "json")
    assert applied.exit_code == 0, applied.output
    outcomes = {(v["action"], v["version"]): v["outcome"] for v in json.loads(applied.stdout)["versions"]}
    assert outcomes == {
        ("dispose", "1.1.0"): "applied",
        ("delete", "0.9.0"): "applied",
        ("delete", "1.0.0"): "applied",
    }
    assert listed(db) == {
        "1.1.0": "Disposed",
        "2.0.0": "Published",
        "2.1.0": "Published",
        "3.0.0": "Published",
    }

    again = run("plan", manifest, *backend, "--no-save", "--detailed-exitcode", "--output", "json")
    assert again.exit_code == 0, again.output
    summary = json.loads(again.stdout)["summary"]
    assert (summary["as_declared"], summary["unmanaged"], summary["to_dispose"]) == (4, 3, 0)
    assert "to_delete" not in summary
    drifted = run("drift", manifest, *backend, "--output", "json")
    assert drifted.exit_code == 0, drifted.output
    assert json.loads(drifted.stdout)["items"] == []


def test_a_version_declared_deleted_that_is_there_is_drift(
    db: Path, backend: list[str], tmp_path: Path
) -> None:
    manifest = tmp_path / "staging.yaml"
    manifest.write_text(MANIFEST)
    drifted = run("drift", manifest, *backend, "--output", "json")
    assert drifted.exit_code == 2, drifted.output
    items = {(i["version"], i["live"], i["declared"]) for i in json.loads(drifted.stdout)["items"]}
    assert ("1.0.0", "Published", "Deleted") in items and ("0.9.0", "Disposed", "Deleted") in items


def test_apply_paths_refuses_deletes_without_allow_delete_after_showing_them(
    db: Path, tmp_path: Path
) -> None:
    manifest = tmp_path / "staging.yaml"
    manifest.write_text(MANIFEST)
    refused = run("apply", manifest, "--local", db, "--auto-approve")
    assert refused.exit_code == 1, refused.output
    assert "x 1.0.0  Published -> Deleted" in refused.stdout
    assert "deletes are not allowed" in refused.output
    assert listed(db)["1.0.0"] == "Published"

    applied = run("apply", manifest, "--local", db, "--auto-approve", "--allow-delete")
    assert applied.exit_code == 0, applied.output
    assert "1.0.0" not in listed(db)


def test_deletes_count_toward_the_blast_radius_limits(db: Path, tmp_path: Path) -> None:
    manifest = tmp_path / "staging.yaml"
    manifest.write_text(MANIFEST)
    refused = run("apply", manifest, "--local", db, "--auto-approve", "--allow-delete", "--max-dispose", "2")
    assert refused.exit_code == 1, refused.output
    assert (
        "the plan disposes or deletes 3 versions, more than the limit of 2; allow it with --max-dispose 3"
        in (refused.output)
    )
    assert listed(db)["1.0.0"] == "Published"


def test_a_deleted_version_can_be_published_again_where_a_disposed_one_is_refused(
    db: Path, backend: list[str], tmp_path: Path
) -> None:
    manifest = tmp_path / "staging.yaml"
    manifest.write_text(MANIFEST)
    applied = run("apply", manifest, *backend, "--auto-approve", "--allow-delete")
    assert applied.exit_code == 0, applied.output

    with LocalCodeArtifact(db) as service:
        client = local_client(service)
        republished = publish(client, "1.0.0")
        assert (republished["version"], republished["status"]) == ("1.0.0", "Published")
        with pytest.raises(botocore.exceptions.ClientError) as refused:
            publish(client, "1.1.0")
    assert refused.value.response["Error"]["Code"] == "ConflictException"
    assert listed(db)["1.0.0"] == "Published" and listed(db)["1.1.0"] == "Disposed"


def test_the_question_names_the_deletes_and_is_not_asked_when_they_are_refused(
    db: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(apply_command, "_can_ask", lambda: True)
    manifest = tmp_path / "staging.yaml"
    manifest.write_text(MANIFEST)

    refused = CliRunner().invoke(cli, ["apply", str(manifest), "--local", str(db)], input="yes\n")
    assert refused.exit_code == 1 and "Only 'yes'" not in refused.stderr
    assert "deletes are not allowed" in refused.stderr

    asked = CliRunner().invoke(
        cli, ["apply", str(manifest), "--local", str(db), "--allow-delete"], input="yes\n"
    )
    assert asked.exit_code == 0, asked.output
    assert "It disposes 1 version: their assets are deleted, which cannot be undone." in asked.stderr
    assert (
        "It deletes 2 versions: they are removed from the repository, which cannot be undone." in asked.stderr
    )
    assert "1.0.0" not in listed(db)


def test_a_delete_another_writer_made_first_is_done_and_one_whose_version_moved_is_moved(
    db: Path, tmp_path: Path
) -> None:
    # Between apply's reading the packages again and its DeletePackageVersions calls, another writer
    # deletes 1.0.0 and archives 2.0.0. The delete of 0.9.0 (expected Disposed) goes through; 1.0.0
    # is absent as the manifests declare (done, not a failure); 2.0.0 is refused by expectedStatus
    # and reported moved, and stays.
    manifest = tmp_path / "staging.yaml"
    manifest.write_text(MANIFEST.replace('"1.1.0": Disposed', '"2.0.0": Deleted'))
    plan_file = tmp_path / "delete.plan.json"
    assert run("plan", manifest, "--local", db, "-o", plan_file).exit_code == 0
    plan = read_plan(plan_file)
    with LocalCodeArtifact(db) as service:
        client = local_client(service)
        client.delete_package_versions(**CLI, versions=["1.0.0"])
        client.update_package_versions_status(**CLI, versions=["2.0.0"], targetStatus="Archived")

        report = apply_plan(plan, BotoExecutor(client))

    outcomes = {item.version: (item.outcome, item.code) for item in report.outcomes}
    assert outcomes == {
        "0.9.0": (Outcome.APPLIED, ""),
        "1.0.0": (Outcome.UNCHANGED, "NOT_FOUND"),
        "2.0.0": (Outcome.MOVED, "MISMATCHED_STATUS"),
    }
    assert listed(db) == {
        "1.1.0": "Published",
        "2.0.0": "Archived",
        "2.1.0": "Published",
        "3.0.0": "Published",
    }
