"""`target.repositories`: one document applies to each listed repository, end to end through the
command line, in process and over HTTP: one plan changes both, apply, a plan with nothing left, drift
in sync; drift found in one repository names that repository."""

from __future__ import annotations

from pathlib import Path

import pytest

from reconciler.local import LocalCodeArtifact, local_client
from tests.functional.conftest import local_seed, seeded_file
from tests.functional.test_apply import aws_env, backend, run, versions

__all__ = ["aws_env", "backend"]  # fixtures used by the tests below

PACKAGE = {"format": "pypi", "name": "acme-schemas", "versions": ["1.0.0", "1.1.0b1", "1.1.0"]}
SEED = local_seed(
    {"name": "staging", "packages": [PACKAGE]},
    {"name": "prod", "packages": [PACKAGE]},
)

MANIFEST = """\
apiVersion: reconciler/v1
kind: PackageLifecycle
target:
  domain: acme
  repositories: [staging, prod]
packages:
  - format: pypi
    name: acme-schemas
    rules:
      - prerelease: true
        status: Unlisted
"""


@pytest.fixture(scope="module")
def seeded_once(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return seeded_file(tmp_path_factory, SEED)


def test_one_document_reconciles_every_repository_it_lists(
    db: Path, backend: list[str], tmp_path: Path
) -> None:
    manifest = tmp_path / "schemas.yaml"
    manifest.write_text(MANIFEST)
    plan = tmp_path / "repositories.plan.json"

    planned = run("plan", manifest, *backend, "-o", plan, "--detailed-exitcode")
    assert planned.exit_code == 2, planned.output
    assert "Repository acme/staging:" in planned.stdout
    assert "Repository acme/prod:" in planned.stdout

    applied = run("apply", plan, *backend, "--auto-approve")
    assert applied.exit_code == 0, applied.output
    assert {key: status for key, status in versions(db).items() if key[2] == "1.1.0b1"} == {
        ("staging", "acme-schemas", "1.1.0b1"): "Unlisted",
        ("prod", "acme-schemas", "1.1.0b1"): "Unlisted",
    }
    assert run("plan", manifest, *backend, "--no-save", "--detailed-exitcode").exit_code == 0
    assert run("drift", manifest, *backend).exit_code == 0

    with LocalCodeArtifact(db) as service:
        local_client(service).update_package_versions_status(
            domain="acme",
            repository="prod",
            format="pypi",
            package="acme-schemas",
            versions=["1.1.0b1"],
            targetStatus="Published",
        )
    drifted = run("drift", manifest, *backend)
    assert drifted.exit_code == 2, drifted.output
    assert "Repository acme/prod:" in drifted.stdout
    assert "Repository acme/staging:" not in drifted.stdout
