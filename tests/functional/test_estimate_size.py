"""`plan --estimate-size`: the bytes of assets the disposes delete, read with ListPackageVersionAssets
from the local service (in process and over HTTP), counted in the plan's calls, shown in every view."""

from __future__ import annotations

import dataclasses
import hashlib
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from reconciler.local import LocalCodeArtifact
from reconciler.local.seed import SeedDocument, seed_service
from reconciler.planfile import plan_digest, plan_json, read_plan
from tests.functional.test_apply import client_on, run, served

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
                        {
                            "format": "generic",
                            "namespace": "tools",
                            "name": "bulky",
                            # More assets than one page of ListPackageVersionAssets holds (1,000).
                            "versions": [
                                {
                                    "version": "0.9",
                                    "assets": [{"name": f"part-{n:04}.bin", "size": 10} for n in range(1001)],
                                },
                                "1.0",
                            ],
                        },
                    ],
                },
            ],
        }
    ],
}
# Published below, asset by asset: version -> {asset name: size}.
PUBLISHED = {
    "3.0": {"cli.tar.gz": 1_500, "cli.sig": 64},
    "3.1": {"cli.tar.gz": 2_000},
    "4.0": {"cli.tar.gz": 7},
}
MANIFEST = """\
apiVersion: reconciler/v1
kind: PackageLifecycle
target: {domain: acme, repository: prod}
packages:
  - format: generic
    namespace: tools
    name: cli
    versions:
      "3.0": Disposed
      "3.1": Disposed
      "4.0": Published
  - format: generic
    namespace: tools
    name: bulky
    versions:
      "0.9": Disposed
      "1.0": Archived
"""
CLI_BYTES = 1_500 + 64 + 2_000
BULKY_BYTES = 1001 * 10


def publish(client: Any, version: str, assets: dict[str, int]) -> None:
    """Publish each asset of `version` (all but the last leave it Unfinished, as a CI upload does)."""
    names = list(assets)
    for index, name in enumerate(names):
        content = bytes(range(256)) * (assets[name] // 256) + bytes(assets[name] % 256)
        assert len(content) == assets[name]
        client.publish_package_version(
            domain="acme",
            repository="prod",
            format="generic",
            namespace="tools",
            package="cli",
            packageVersion=version,
            assetContent=content,
            assetName=name,
            assetSHA256=hashlib.sha256(content).hexdigest(),
            unfinished=index < len(names) - 1,
        )


@pytest.fixture(scope="module")
def seeded_once(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("seed") / "seeded.db"
    with LocalCodeArtifact(path) as service:
        seed_service(service, SeedDocument.model_validate(SEED))
        client = client_on(service)
        for version, assets in PUBLISHED.items():
            publish(client, version, assets)
    return path


@pytest.fixture
def manifests(tmp_path: Path) -> Path:
    path = tmp_path / "manifests" / "prod.yaml"
    path.parent.mkdir()
    path.write_text(MANIFEST)
    return path


@pytest.fixture(params=["local", "http"])
def backend(request: pytest.FixtureRequest, db: Path) -> Iterator[list[str]]:
    if request.param == "local":
        yield ["--local", str(db)]
        return
    request.getfixturevalue("aws_env")
    with served(db) as (options, _):
        yield options


@pytest.fixture
def aws_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in ("AWS_PROFILE", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_CODEARTIFACT", "AWS_SESSION_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-aws-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-aws-credentials"))


def test_the_assets_of_every_disposed_version_are_summed_per_package_and_counted_as_calls(
    backend: list[str], manifests: Path, tmp_path: Path
) -> None:
    plain, sized = tmp_path / "plain.plan.json", tmp_path / "sized.plan.json"
    assert run("plan", manifests, "-o", plain, *backend).exit_code == 0
    result = run("plan", manifests, "-o", sized, "--estimate-size", "--summary", *backend)

    assert result.exit_code == 0, result.output
    without, with_sizes = read_plan(plain), read_plan(sized)
    assert without.reclaimed_bytes is None
    assert with_sizes.reclaimed_bytes == {
        "acme/prod/generic/tools/bulky": BULKY_BYTES,
        "acme/prod/generic/tools/cli": CLI_BYTES,
    }
    # One listing per disposed version, two pages for the version of 1,001 assets; nothing else.
    extra = dict(with_sizes.api_calls)
    assert extra.pop("ListPackageVersionAssets") == 4
    assert extra == dict(without.api_calls)
    total = CLI_BYTES + BULKY_BYTES
    assert f"The disposes reclaim 13.6 kB of assets ({total:,} bytes)." in result.stdout
    assert "acme/prod/generic/tools/cli: 2 to dispose; reclaims 3.6 kB" in result.stdout
    assert "ListPackageVersionAssets" in result.stdout  # the header's calls


def test_every_view_shows_the_bytes_reclaimed(db: Path, manifests: Path, tmp_path: Path) -> None:
    path = tmp_path / "pr.plan.json"
    assert run("plan", manifests, "-o", path, "--estimate-size", "--local", db).exit_code == 0

    text = run("show", path).stdout
    markdown = run("show", path, "--output", "markdown").stdout
    document = json.loads(run("show", path, "--output", "json").stdout)

    assert "(2 to dispose; reclaims 3.6 kB)" in text
    assert "> - `acme/prod/generic/tools/cli`: 2 to dispose; reclaims 3.6 kB" in markdown
    assert "**Irreversible: 3 to dispose in 2 packages, 13.6 kB of assets.**" in markdown
    assert document["reclaimed_bytes"]["acme/prod/generic/tools/bulky"] == BULKY_BYTES
    assert sum(document["reclaimed_bytes"].values()) == CLI_BYTES + BULKY_BYTES


def test_a_plan_file_without_sizes_reads_and_keeps_its_digest(
    db: Path, manifests: Path, tmp_path: Path
) -> None:
    """Written before the field existed (or without the flag): no `reclaimed_bytes` key, so the
    file `show` reads back is the same bytes and the same digest."""
    path = tmp_path / "pr.plan.json"
    assert run("plan", manifests, "-o", path, "--local", db).exit_code == 0
    assert "reclaimed_bytes" not in json.loads(path.read_text())
    digest = hashlib.sha256(path.read_bytes()).hexdigest()

    shown = run("show", path)

    assert shown.stdout.rstrip().endswith(f"Plan digest (SHA-256): {digest}")
    assert "reclaim" not in shown.stdout


def test_a_sized_plan_is_verified_and_applied_like_any_other(
    db: Path, manifests: Path, tmp_path: Path
) -> None:
    path = tmp_path / "pr.plan.json"
    assert run("plan", manifests, "-o", path, "--estimate-size", "--local", db).exit_code == 0
    digest = hashlib.sha256(path.read_bytes()).hexdigest()

    applied = run(
        "apply",
        path,
        "--expect-digest",
        digest,
        "--max-dispose-share",
        "1",
        "--output",
        "json",
        "--local",
        db,
    )

    assert applied.exit_code == 0, applied.output
    assert json.loads(applied.stdout)["plan_digest"] == digest


def test_the_digest_covers_the_sizes_and_the_file_round_trips_them(
    db: Path, manifests: Path, tmp_path: Path
) -> None:
    path = tmp_path / "pr.plan.json"
    assert run("plan", manifests, "-o", path, "--estimate-size", "--local", db).exit_code == 0
    plan = read_plan(path)
    assert plan_json(plan) == path.read_text()  # read back, written again: the same bytes

    edited = dataclasses.replace(
        plan, reclaimed_bytes={**(plan.reclaimed_bytes or {}), "acme/prod/generic/tools/cli": 1}
    )

    assert plan_digest(edited) != plan_digest(plan)
