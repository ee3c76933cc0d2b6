"""What a plan reads for its copies, through a real client and the local service: the source's
upstream chain (DescribeRepository) and the packages along it for `include_from_upstream`, and
nothing for a version declared Disposed or Deleted, which no copy brings."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.functional.conftest import local_seed, seeded_file
from tests.functional.test_apply import run

PACKAGE = {"format": "npm", "name": "left-pad"}
SEED = local_seed(
    {"name": "npm-proxy", "packages": [{**PACKAGE, "versions": ["1.0.0"]}]},
    {"name": "staging", "upstreams": ["npm-proxy"], "packages": [{**PACKAGE, "versions": ["0.9.0"]}]},
    {"name": "prod", "packages": [{**PACKAGE, "versions": ["0.1.0"]}]},
)


@pytest.fixture(scope="module")
def seeded_once(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return seeded_file(tmp_path_factory, SEED)


def plan(db: Path, tmp_path: Path, pin: str) -> dict[str, Any]:
    manifest = tmp_path / "prod.yaml"
    manifest.write_text(
        "apiVersion: reconciler/v1\nkind: PackageLifecycle\ntarget:\n  domain: acme\n  repository: prod\n"
        f"packages:\n  - format: npm\n    name: left-pad\n    versions:\n      {pin}\n"
    )
    saved = tmp_path / "p.json"
    result = run("plan", manifest, "--local", db, "-o", saved)
    assert result.exit_code in (0, 2), result.output
    document: dict[str, Any] = json.loads(saved.read_text())
    return document


def test_include_from_upstream_reads_the_sources_upstream_chain_and_copies_from_it(
    db: Path, tmp_path: Path
) -> None:
    document = plan(
        db, tmp_path, '"1.0.0": { status: Published, copy_from: staging, include_from_upstream: true }'
    )
    [copy] = document["actions"]
    assert (copy["kind"], [v["version"] for v in copy["versions"]]) == ("copy", ["1.0.0"])
    # The chain: staging's upstreams, then npm-proxy's (depth first); the three packages are listed.
    assert document["api_calls"]["DescribeRepository"] == 2
    assert document["api_calls"]["ListPackageVersions"] == 3


def test_a_version_declared_deleted_or_disposed_reads_no_copy_source(db: Path, tmp_path: Path) -> None:
    for status in ("Deleted", "Disposed"):
        document = plan(
            db, tmp_path, f'"1.0.0": {{ status: {status}, copy_from: staging, include_from_upstream: true }}'
        )
        assert document["actions"] == []
        assert "DescribeRepository" not in document["api_calls"]
        assert document["api_calls"]["ListPackageVersions"] == 1  # the target's package alone
