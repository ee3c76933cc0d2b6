"""The AWS CLI (v1, from this virtualenv) against the local service over HTTP."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from reconciler.local import LocalCodeArtifact, local_client
from tests.local.awscli import aws, aws_json, cli_endpoint
from tests.local.builders import seed

pytestmark = [pytest.mark.awscli, pytest.mark.http]

DOMAIN = "acme"
NAMESPACE = "tools"


REPOSITORIES: list[dict[str, Any]] = [
    {
        "name": "staging",
        "packages": [
            {
                "format": "generic",
                "namespace": NAMESPACE,
                "name": name,
                "versions": ["1.0.0", {"version": "1.1.0", "status": "Unlisted"}, "2.0.0"],
            }
            for name in ("listed", "updated", "mismatched", "disposed", "copied")
        ],
    },
    {"name": "prod"},
]


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalCodeArtifact]:
    db = tmp_path_factory.mktemp("awscli") / "codeartifact.db"
    with LocalCodeArtifact(db) as local:
        seed(local, REPOSITORIES, DOMAIN)
        yield local


@pytest.fixture(scope="module")
def endpoint(service: LocalCodeArtifact) -> Iterator[str]:
    with cli_endpoint(service) as url:
        yield url


@pytest.fixture(scope="module")
def boto(service: LocalCodeArtifact) -> Any:
    """An in-process boto3 client on the same service, to check what the CLI's calls did."""
    return local_client(service)


def package(name: str, repository: str = "staging") -> list[str]:
    return [
        "--domain", DOMAIN, "--repository", repository, "--format", "generic",
        "--namespace", NAMESPACE, "--package", name,
    ]  # fmt: skip


def coordinates(name: str, repository: str = "staging") -> dict[str, str]:
    return {
        "domain": DOMAIN,
        "repository": repository,
        "format": "generic",
        "namespace": NAMESPACE,
        "package": name,
    }


def statuses(client: Any, name: str, repository: str = "staging") -> dict[str, str]:
    listed = client.list_package_versions(**coordinates(name, repository))
    return {v["version"]: v["status"] for v in listed["versions"]}


def test_list_package_versions_prints_the_seeded_versions(endpoint: str, cli_env: dict[str, str]) -> None:
    listed = aws_json(endpoint, cli_env, "list-package-versions", *package("listed"))

    assert listed["format"] == "generic"
    assert listed["namespace"] == NAMESPACE
    assert listed["package"] == "listed"
    assert [(v["version"], v["status"]) for v in listed["versions"]] == [
        ("1.0.0", "Published"),
        ("1.1.0", "Unlisted"),
        ("2.0.0", "Published"),
    ]
    assert all(v["origin"]["originType"] == "INTERNAL" for v in listed["versions"])
    assert listed["defaultDisplayVersion"] == "2.0.0"


def test_update_package_versions_status_prints_the_new_statuses(
    endpoint: str, cli_env: dict[str, str], boto: Any
) -> None:
    before = boto.list_package_versions(**coordinates("updated"))
    revisions = {v["version"]: v["revision"] for v in before["versions"]}

    updated = aws_json(
        endpoint, cli_env, "update-package-versions-status", *package("updated"),
        "--versions", "1.0.0", "2.0.0", "--target-status", "Archived", "--expected-status", "Published",
    )  # fmt: skip

    assert updated["failedVersions"] == {}
    assert updated["successfulVersions"] == {
        "1.0.0": {"revision": revisions["1.0.0"], "status": "Archived"},
        "2.0.0": {"revision": revisions["2.0.0"], "status": "Archived"},
    }
    assert statuses(boto, "updated") == {"1.0.0": "Archived", "1.1.0": "Unlisted", "2.0.0": "Archived"}


def test_update_package_versions_status_with_a_wrong_expected_status_fails_with_mismatched_status(
    endpoint: str, cli_env: dict[str, str], boto: Any
) -> None:
    result = aws_json(
        endpoint, cli_env, "update-package-versions-status", *package("mismatched"),
        "--versions", "1.1.0", "--target-status", "Archived", "--expected-status", "Published",
    )  # fmt: skip

    assert result["successfulVersions"] == {}
    assert result["failedVersions"]["1.1.0"]["errorCode"] == "MISMATCHED_STATUS"
    assert "Unlisted" in result["failedVersions"]["1.1.0"]["errorMessage"]
    assert statuses(boto, "mismatched")["1.1.0"] == "Unlisted"


def test_dispose_package_versions_prints_disposed_and_removes_the_assets(
    endpoint: str, cli_env: dict[str, str], boto: Any
) -> None:
    disposed = aws_json(
        endpoint, cli_env, "dispose-package-versions", *package("disposed"),
        "--versions", "1.0.0", "--expected-status", "Published",
    )  # fmt: skip
    assets = boto.list_package_version_assets(**coordinates("disposed"), packageVersion="1.0.0")

    assert disposed["failedVersions"] == {}
    assert disposed["successfulVersions"]["1.0.0"]["status"] == "Disposed"
    assert assets["assets"] == []
    assert statuses(boto, "disposed")["1.0.0"] == "Disposed"


def test_copy_package_versions_prints_the_copied_versions_and_they_appear_in_the_destination(
    endpoint: str, cli_env: dict[str, str], boto: Any
) -> None:
    copied = aws_json(
        endpoint, cli_env, "copy-package-versions",
        "--domain", DOMAIN, "--source-repository", "staging", "--destination-repository", "prod",
        "--format", "generic", "--namespace", NAMESPACE, "--package", "copied", "--versions", "1.0.0", "1.1.0",
    )  # fmt: skip

    assert copied["failedVersions"] == {}
    assert {v: s["status"] for v, s in copied["successfulVersions"].items()} == {
        "1.0.0": "Published",
        "1.1.0": "Unlisted",
    }
    assert statuses(boto, "copied", repository="prod") == {"1.0.0": "Published", "1.1.0": "Unlisted"}


def test_publish_package_version_uploads_the_asset_file_and_prints_its_hashes(
    endpoint: str, cli_env: dict[str, str], tmp_path: Path
) -> None:
    content = b"#!/bin/sh\necho published through the AWS CLI\n"
    asset = tmp_path / "tool.sh"
    asset.write_bytes(content)

    published = aws_json(
        endpoint, cli_env, "publish-package-version", *package("published"), "--package-version", "3.1.4",
        "--asset-content", str(asset), "--asset-name", "tool.sh",
        "--asset-sha256", hashlib.sha256(content).hexdigest(),
    )  # fmt: skip
    downloaded = tmp_path / "downloaded.sh"
    fetched = aws_json(
        endpoint, cli_env, "get-package-version-asset", *package("published"),
        "--package-version", "3.1.4", "--asset", "tool.sh", str(downloaded),
    )  # fmt: skip

    assert published["version"] == "3.1.4"
    assert published["status"] == "Published"
    assert published["asset"]["name"] == "tool.sh"
    assert published["asset"]["size"] == len(content)
    assert published["asset"]["hashes"]["SHA-256"] == hashlib.sha256(content).hexdigest()
    assert published["asset"]["hashes"]["MD5"] == hashlib.md5(content).hexdigest()
    assert fetched["packageVersionRevision"] == published["versionRevision"]
    assert downloaded.read_bytes() == content


@pytest.mark.parametrize(
    ("args", "code", "operation"),
    [
        (
            ["describe-package-version", *package("listed", "no-such-repo"), "--package-version", "1.0.0"],
            "ResourceNotFoundException",
            "DescribePackageVersion",
        ),
        (
            [
                "update-package-versions-status",
                *package("listed"),
                "--versions",
                "1.0.0",
                "--target-status",
                "Bogus",
            ],
            "ValidationException",
            "UpdatePackageVersionsStatus",
        ),
    ],
    ids=["not-found", "validation"],
)
def test_a_service_error_names_its_code_on_stderr_and_exits_with_the_cli_service_error_code(
    endpoint: str, cli_env: dict[str, str], args: list[str], code: str, operation: str
) -> None:
    result = aws(endpoint, cli_env, *args)

    assert result.returncode in (254, 255)
    assert f"An error occurred ({code}) when calling the {operation} operation" in result.stderr
    assert result.stdout == ""
