"""`protect_in_use` end to end through the command line, in process and over HTTP: a rule that would
dispose a version a service's lockfile installs makes `plan` exit 1, naming the lockfile's line; once
the lockfile moves on, the same rule is planned, applied, and the next plan is empty."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from reconciler.local import LocalCodeArtifact
from tests.functional.conftest import local_seed, seeded_file
from tests.functional.test_apply import aws_env, backend, client_on, run

__all__ = ["aws_env", "backend"]  # fixtures used by the tests below

DATA = Path(__file__).resolve().parents[1] / "data" / "lockfiles"
SEED = local_seed(
    {"name": "staging", "packages": []},
    {
        "name": "prod",
        "packages": [
            {
                "format": "npm",
                "namespace": "acme",
                "name": "ui-kit",
                "versions": ["3.1.3", "3.1.4", "3.2.0", "3.3.0", "3.4.0"],
            },
            {"format": "pypi", "name": "django-rest", "versions": ["3.13.0", "3.14.0", "3.15.0"]},
        ],
    },
)

MANIFEST = """\
apiVersion: reconciler/v1
kind: PackageLifecycle
target:
  domain: acme
  repository: prod
protect_in_use: ../deploy/**/poetry.lock
packages:
  - format: npm
    namespace: acme
    name: ui-kit
    protect_in_use: ../deploy/*/package-lock.json
    rules:
      - keep_latest: 3
        status: Published
    otherwise: Disposed
  - format: pypi
    name: Django_Rest
    rules:
      - keep_latest: 1
        status: Published
    otherwise: Archived
"""


@pytest.fixture(scope="module")
def seeded_once(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return seeded_file(tmp_path_factory, SEED)


def statuses(db: Path) -> dict[tuple[str, str], str]:
    """Every version of prod, with its status, read with a real boto3 client."""
    found = {}
    with LocalCodeArtifact(db) as service:
        client = client_on(service)
        for package in client.list_packages(domain="acme", repository="prod")["packages"]:
            scope = {"namespace": package["namespace"]} if "namespace" in package else {}
            listed = client.list_package_versions(
                domain="acme",
                repository="prod",
                format=package["format"],
                package=package["package"],
                **scope,
            )
            for item in listed["versions"]:
                found[(package["package"], item["version"])] = item["status"]
    return found


def _layout(root: Path) -> tuple[Path, Path]:
    """The manifest, and the storefront's package-lock.json (v2: @acme/ui-kit 3.1.4 at line 31), the
    billing service's poetry.lock (Django_Rest 3.14.0 at line 14)."""
    manifest = root / "manifests" / "prod.yaml"
    manifest.parent.mkdir()
    manifest.write_text(MANIFEST)
    lock = root / "deploy" / "storefront" / "package-lock.json"
    lock.parent.mkdir(parents=True)
    lock.write_text((DATA / "npm/v2/package-lock.json").read_text())
    poetry = root / "deploy" / "billing" / "python" / "poetry.lock"
    poetry.parent.mkdir(parents=True)
    poetry.write_text((DATA / "python/poetry/poetry.lock").read_text())
    return manifest, lock


def test_a_version_a_lockfile_names_is_not_disposed_until_the_lockfile_moves_on(
    db: Path, backend: list[str], tmp_path: Path
) -> None:
    manifest, lock = _layout(tmp_path)
    plan = tmp_path / "in-use.plan.json"

    refused = run("plan", manifest, *backend, "-o", plan)
    assert refused.exit_code == 1, refused.output
    assert (
        f"refused: Disposed of a version in use: named by {tmp_path}/deploy/storefront/package-lock.json:31"
        in refused.output
    )
    # The PyPI name is compared normalised: the lockfile's Django_Rest is the repository's django-rest.
    assert (
        f"refused: Archived of a version in use: named by {tmp_path}/deploy/billing/python/poetry.lock:14"
        in refused.output
    )
    assert "3.1.3" not in refused.output.split("refused")[1]  # named by no lockfile: planned as usual

    # The storefront upgrades to 3.2.0 and the billing service drops the package.
    data = json.loads(lock.read_text())
    data["packages"]["node_modules/@acme/ui-kit"]["version"] = "3.2.0"
    lock.write_text(json.dumps(data, indent=2))
    (tmp_path / "deploy" / "billing" / "python" / "poetry.lock").write_text("")

    planned = run("plan", manifest, *backend, "-o", plan, "--detailed-exitcode")
    assert planned.exit_code == 2, planned.output
    applied = run("apply", plan, *backend, "--auto-approve")
    assert applied.exit_code == 0, applied.output
    found = statuses(db)
    assert found == {
        ("ui-kit", "3.1.3"): "Disposed",
        ("ui-kit", "3.1.4"): "Disposed",
        ("ui-kit", "3.2.0"): "Published",
        ("ui-kit", "3.3.0"): "Published",
        ("ui-kit", "3.4.0"): "Published",
        ("django-rest", "3.13.0"): "Archived",
        ("django-rest", "3.14.0"): "Archived",
        ("django-rest", "3.15.0"): "Published",
    }
    assert run("plan", manifest, *backend, "--no-save", "--detailed-exitcode").exit_code == 0
    assert run("drift", manifest, *backend).exit_code == 0


def test_a_corrupt_lockfile_fails_the_plan_at_its_line_and_a_glob_matching_nothing_warns(
    db: Path, backend: list[str], tmp_path: Path
) -> None:
    manifest, lock = _layout(tmp_path)
    lock.write_text('{\n  "lockfileVersion": 3,\n  "packages": {\n    "": {}\n  \n')
    broken = run("plan", manifest, *backend, "--no-save")
    assert broken.exit_code == 1, broken.output
    assert (
        f"{manifest}:11: packages[0].protect_in_use[0]: {tmp_path}/deploy/storefront/package-lock.json:6: "
        "cannot read as package-lock: invalid JSON"
    ) in broken.output
    assert "Traceback" not in broken.output

    lock.unlink()
    (tmp_path / "deploy" / "billing" / "python" / "poetry.lock").unlink()
    warned = run("plan", manifest, *backend, "--no-save")
    assert warned.exit_code == 0, warned.output
    assert f"{manifest}:6: protect_in_use[0]: '../deploy/**/poetry.lock' matches no file" in warned.output
    assert (
        f"{manifest}:11: packages[0].protect_in_use[0]: '../deploy/*/package-lock.json' matches no file"
        in warned.output
    )
    drifted = run("drift", manifest, *backend)
    assert f"{manifest}:6: protect_in_use[0]: '../deploy/**/poetry.lock' matches no file" in drifted.output
