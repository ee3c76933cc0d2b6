"""`accept` in the manifests: a version an on-call engineer unlisted or archived by hand stays as it is.
The next apply does not re-publish it and drift does not report it; plan and drift count it as
accepted and list it on request; without `accept`, the next plan reverts it. End to end through the
command line, in process and over HTTP."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from reconciler.local import LocalCodeArtifact, local_client
from tests.functional.conftest import local_seed, seeded_file
from tests.functional.test_apply import aws_env, backend, run, versions

__all__ = ["aws_env", "backend"]  # fixtures used by the tests below

SEED = local_seed(
    {"name": "staging", "packages": []},
    {
        "name": "prod",
        "packages": [{"format": "npm", "name": "web", "versions": ["1.0.0", "1.1.0", "1.2.0"]}],
    },
)

MANIFEST = """\
apiVersion: reconciler/v1
kind: PackageLifecycle
target:
  domain: acme
  repository: prod
packages:
  - format: npm
    name: web
    versions:
      "1.2.0": Published
    rules:
      - match: "1.*"
        status: Published
        accept: [Unlisted, Archived]
"""


@pytest.fixture(scope="module")
def seeded_once(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return seeded_file(tmp_path_factory, SEED)


def by_hand(db: Path, version: str, status: str) -> None:
    with LocalCodeArtifact(db) as service:
        local_client(service).update_package_versions_status(
            domain="acme",
            repository="prod",
            format="npm",
            package="web",
            versions=[version],
            targetStatus=status,
        )


def test_a_version_taken_out_of_use_by_hand_is_accepted_until_accept_is_removed(
    db: Path, backend: list[str], tmp_path: Path
) -> None:
    manifest = tmp_path / "prod.yaml"
    manifest.write_text(MANIFEST)
    by_hand(db, "1.1.0", "Unlisted")  # accepted by the rule
    by_hand(db, "1.2.0", "Archived")  # a pin, which the rule's accept does not cover

    planned = run("plan", manifest, *backend, "-o", tmp_path / "a.plan.json", "--show-accepted")
    assert planned.exit_code == 0, planned.output
    assert "1 to update" in planned.stdout and "(1 as declared, 1 accepted, 0 unmanaged)" in planned.stdout
    assert "= npm web@1.1.0 (acme/prod)" in planned.stdout or "web@1.1.0" in planned.stdout
    assert "live Unlisted, declared Published" in planned.stdout
    saved = json.loads((tmp_path / "a.plan.json").read_text())
    assert saved["summary"]["accepted"] == 1
    assert [(a["version"], a["live"], a["declared"]) for a in saved["accepted"]] == [
        ("1.1.0", "Unlisted", "Published")
    ]

    applied = run("apply", tmp_path / "a.plan.json", *backend, "--auto-approve")
    assert applied.exit_code == 0, applied.output
    assert versions(db)[("prod", "web", "1.1.0")] == "Unlisted"  # not re-published
    assert versions(db)[("prod", "web", "1.2.0")] == "Published"  # the pin is not accepted

    drifted = run("drift", manifest, *backend, "--output", "json")
    assert drifted.exit_code == 0, drifted.output
    report = json.loads(drifted.stdout)
    assert report["counts"]["accepted"] == 1 and report["items"] == []
    assert run("plan", manifest, *backend, "--no-save", "--detailed-exitcode").exit_code == 0

    manifest.write_text(MANIFEST.replace("        accept: [Unlisted, Archived]\n", ""))
    reverted = run("plan", manifest, *backend, "--no-save", "--detailed-exitcode")
    assert reverted.exit_code == 2, reverted.output
    assert "1.1.0  Unlisted -> Published" in reverted.stdout


def test_accept_on_an_entry_covers_its_pins(db: Path, tmp_path: Path) -> None:
    manifest = tmp_path / "prod.yaml"
    manifest.write_text(MANIFEST.replace("    name: web\n", "    name: web\n    accept: Archived\n"))
    by_hand(db, "1.2.0", "Archived")

    planned = run("plan", manifest, "--local", db, "--no-save", "--detailed-exitcode", "--output", "json")

    assert planned.exit_code == 0, planned.output
    document = json.loads(planned.stdout)
    assert document["actions"] == [] and document["summary"]["accepted"] == 1
