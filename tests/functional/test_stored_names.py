"""A manifest names packages as people write them; CodeArtifact lists them as it stores them (PyPI
names PEP 503-normalised, NuGet and Swift names lowercased, NuGet versions normalised). The plan must
find `Django_Rest` as `django-rest`, and a NuGet pin `12.00.3.0` as `12.0.3`, and change them."""

from __future__ import annotations

from pathlib import Path

import pytest

from reconciler.local import LocalCodeArtifact
from reconciler.local.seed import SeedDocument, seed_service
from tests.functional.test_apply import run

SEED = {
    "apiVersion": "reconciler/v1",
    "kind": "LocalSeed",
    "domains": [
        {
            "name": "acme",
            "repositories": [
                {
                    "name": "prod",
                    "packages": [
                        {"format": "pypi", "name": "Django_Rest.Framework", "versions": ["1.0", "2.0"]},
                        {"format": "nuget", "name": "Newtonsoft.Json", "versions": ["12.0.3", "13.0.1"]},
                        {"format": "swift", "namespace": "Apple", "name": "Swift-NIO", "versions": ["2.0.0"]},
                    ],
                }
            ],
        }
    ],
}

MANIFEST = """\
apiVersion: reconciler/v1
kind: PackageLifecycle
target:
  domain: acme
  repository: prod
packages:
  - format: pypi
    name: Django_Rest.Framework
    versions:
      "1.0": Archived
  - format: nuget
    name: Newtonsoft.Json
    versions:
      "12.00.3.0": Unlisted
  - format: swift
    namespace: Apple
    name: Swift-NIO
    versions:
      "2.0.0": Archived
"""


@pytest.fixture
def db(tmp_path: Path) -> Path:
    path = tmp_path / "codeartifact.db"
    with LocalCodeArtifact(path) as service:
        seed_service(service, SeedDocument.model_validate(SEED))
    return path


def test_the_plan_finds_packages_and_pins_by_the_names_and_versions_codeartifact_stores(
    db: Path, tmp_path: Path
) -> None:
    manifest = tmp_path / "prod.yaml"
    manifest.write_text(MANIFEST)
    plan = tmp_path / "names.plan.json"

    planned = run("plan", manifest, "--local", db, "-o", plan, "--output", "json", "--detailed-exitcode")

    assert planned.exit_code == 2, planned.output
    assert "matches no package" not in planned.stderr
    applied = run("apply", plan, "--local", db, "--auto-approve")
    assert applied.exit_code == 0, applied.output
    again = run("plan", manifest, "--local", db, "--no-save", "--detailed-exitcode")
    assert again.exit_code == 0, again.output


def test_two_pins_of_one_stored_nuget_version_are_refused_at_their_line(tmp_path: Path) -> None:
    manifest = tmp_path / "prod.yaml"
    manifest.write_text(
        MANIFEST.replace(
            '      "12.00.3.0": Unlisted\n', '      "12.0.3": Unlisted\n      "12.00.3.0": Archived\n'
        )
    )

    result = run("validate", manifest)

    assert result.exit_code == 1, result.output
    assert 'prod.yaml:15: packages[1].versions["12.00.3.0"]' in result.output, result.output
    assert "name the same version, stored as '12.0.3'" in result.output
