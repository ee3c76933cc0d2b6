"""`origin` on a rule selects versions by how they came into the repository: cached upstream versions
(EXTERNAL) are cleaned separately from the team's own builds (INTERNAL), end to end through the
command line, in process and over HTTP: plan, apply, a plan with nothing left, drift in sync."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.functional.conftest import local_seed, seeded_file
from tests.functional.test_apply import aws_env, backend, run, versions

__all__ = ["aws_env", "backend"]  # fixtures used by the tests below

SEED = local_seed(
    {"name": "staging", "packages": []},
    {
        "name": "prod",
        "external_connections": [{"name": "public:npmjs", "format": "npm"}],
        "packages": [
            {
                "format": "npm",
                "name": "left-pad",
                "versions": [
                    {"version": "1.0.0", "origin": "EXTERNAL", "published": "-400d"},
                    {"version": "1.1.0", "origin": "INTERNAL", "published": "-400d"},
                    {"version": "1.2.0", "origin": "EXTERNAL", "published": "-10d"},
                    {"version": "1.3.0", "origin": "INTERNAL", "published": "-10d"},
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
  repository: prod
packages:
  - format: npm
    name: left-pad
    rules:
      - origin: EXTERNAL
        older_than: 300d
        status: Unlisted
      - origin: [INTERNAL, UNKNOWN]
        older_than: 300d
        status: Archived
"""


@pytest.fixture(scope="module")
def seeded_once(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return seeded_file(tmp_path_factory, SEED)


def test_rules_select_cached_and_own_versions_apart_by_origin(
    db: Path, backend: list[str], tmp_path: Path
) -> None:
    manifest = tmp_path / "prod.yaml"
    manifest.write_text(MANIFEST)
    plan = tmp_path / "origin.plan.json"

    planned = run("plan", manifest, *backend, "-o", plan, "--detailed-exitcode")
    assert planned.exit_code == 2, planned.output
    assert "rule 1 (origin EXTERNAL, older than 300d)" in planned.stdout
    assert "rule 2 (origin INTERNAL|UNKNOWN, older than 300d)" in planned.stdout

    applied = run("apply", plan, *backend, "--auto-approve")
    assert applied.exit_code == 0, applied.output
    found = {
        version: status for (repository, _, version), status in versions(db).items() if repository == "prod"
    }
    assert found == {"1.0.0": "Unlisted", "1.1.0": "Archived", "1.2.0": "Published", "1.3.0": "Published"}

    assert run("plan", manifest, *backend, "--no-save", "--detailed-exitcode").exit_code == 0
    assert run("drift", manifest, *backend).exit_code == 0
