"""CopyPackageVersions: between repositories of one domain, from upstreams, all or nothing."""

from __future__ import annotations

from typing import Any

import pytest

from reconciler.local import LocalCodeArtifact
from tests.local.builders import (
    DOMAIN,
    coordinates,
    copy_versions,
    generic,
    raises_client_error,
    seed,
    statuses,
)

SOURCE = "staging"
TARGET = "prod"


def _copy(client: Any, source: str = SOURCE, target: str = TARGET, **params: Any) -> dict[str, Any]:
    return copy_versions(client, source, target, **params)


def _revisions(client: Any, repository: str) -> dict[str, str]:
    response = client.list_package_versions(**coordinates(repository=repository))
    return {v["version"]: v["revision"] for v in response["versions"]}


def _content(client: Any, repository: str, version: str, asset: str) -> bytes:
    response = client.get_package_version_asset(
        **coordinates(repository=repository), packageVersion=version, asset=asset
    )
    return response["asset"].read()  # type: ignore[no-any-return]


def _seed_pair(service: LocalCodeArtifact, source: list[Any], target: list[Any] | None = None) -> None:
    repositories: list[dict[str, Any]] = [{"name": SOURCE, "packages": [generic(source)]}]
    repositories.append({"name": TARGET, "packages": [generic(target)] if target is not None else []})
    seed(service, repositories)


def test_copy_creates_the_versions_in_the_destination(service: LocalCodeArtifact, any_client: Any) -> None:
    _seed_pair(
        service,
        ["1.0.0", {"version": "2.0.0", "assets": [{"name": "a.bin", "content": "A"}, {"name": "b.bin"}]}],
    )
    source = _revisions(any_client, SOURCE)

    response = _copy(any_client, versions=["1.0.0", "2.0.0"])

    assert response["successfulVersions"] == {
        "1.0.0": {"revision": source["1.0.0"], "status": "Published"},
        "2.0.0": {"revision": source["2.0.0"], "status": "Published"},
    }
    assert response["failedVersions"] == {}
    assert _revisions(any_client, TARGET) == source
    assert _content(any_client, TARGET, "2.0.0", "a.bin") == b"A"
    packages = any_client.list_packages(domain=DOMAIN, repository=TARGET)["packages"]
    assert [(p["format"], p["namespace"], p["package"]) for p in packages] == [("generic", "tools", "cli")]


def test_copy_keeps_the_origin_and_publish_time(service: LocalCodeArtifact, client: Any) -> None:
    _seed_pair(service, [{"version": "1.0.0", "published": "2026-01-31T12:00:00Z"}])

    _copy(client, versions=["1.0.0"])

    source = client.describe_package_version(**coordinates(repository=SOURCE), packageVersion="1.0.0")
    copied = client.describe_package_version(**coordinates(repository=TARGET), packageVersion="1.0.0")
    assert copied["packageVersion"]["origin"] == source["packageVersion"]["origin"]
    assert copied["packageVersion"]["origin"]["domainEntryPoint"] == {"repositoryName": SOURCE}
    assert copied["packageVersion"]["publishedTime"] == source["packageVersion"]["publishedTime"]


@pytest.mark.parametrize(
    "selection",
    [
        {"versions": ["1.0.0"], "versionRevisions": {"1.0.0": "r"}},
        {},
    ],
    ids=["both", "neither"],
)
def test_copy_needs_exactly_one_of_versions_and_version_revisions(
    service: LocalCodeArtifact, any_client: Any, selection: dict[str, Any]
) -> None:
    _seed_pair(service, ["1.0.0"])
    with raises_client_error("ValidationException"):
        _copy(any_client, **selection)
    assert any_client.list_packages(domain=DOMAIN, repository=TARGET)["packages"] == []


def test_copy_of_a_missing_version_is_not_found_and_copies_nothing(
    service: LocalCodeArtifact, client: Any
) -> None:
    _seed_pair(service, ["1.0.0"])

    response = _copy(client, versions=["1.0.0", "5.6.7"])

    assert response["successfulVersions"] == {}
    assert response["failedVersions"] == {
        "5.6.7": {"errorCode": "NOT_FOUND", "errorMessage": "Could not find version 5.6.7"},
        "1.0.0": {"errorCode": "SKIPPED", "errorMessage": "Version 1.0.0 was skipped"},
    }
    assert client.list_packages(domain=DOMAIN, repository=TARGET)["packages"] == []


def test_copy_by_revision_checks_the_source_revision(service: LocalCodeArtifact, client: Any) -> None:
    _seed_pair(service, ["1.0.0", "2.0.0"])
    source = _revisions(client, SOURCE)

    response = _copy(client, versionRevisions={"1.0.0": source["1.0.0"], "2.0.0": "stale"})

    assert response["successfulVersions"] == {}
    assert response["failedVersions"]["2.0.0"] == {
        "errorCode": "MISMATCHED_REVISION",
        "errorMessage": f"current revision: {source['2.0.0']}, expected revision: stale",
    }
    assert response["failedVersions"]["1.0.0"]["errorCode"] == "SKIPPED"


def test_copy_by_matching_revisions_copies(service: LocalCodeArtifact, client: Any) -> None:
    _seed_pair(service, ["1.0.0", "2.0.0"])
    source = _revisions(client, SOURCE)

    response = _copy(client, versionRevisions={"2.0.0": source["2.0.0"]})

    assert response["successfulVersions"] == {"2.0.0": {"revision": source["2.0.0"], "status": "Published"}}
    assert _revisions(client, TARGET) == {"2.0.0": source["2.0.0"]}


def test_copy_over_a_different_version_is_already_exists(service: LocalCodeArtifact, client: Any) -> None:
    _seed_pair(
        service,
        ["1.0.0", {"version": "2.0.0", "assets": [{"name": "cli.bin", "content": "new"}]}],
        [{"version": "2.0.0", "assets": [{"name": "cli.bin", "content": "old"}]}],
    )

    response = _copy(client, versions=["1.0.0", "2.0.0"])

    assert response["successfulVersions"] == {}
    assert response["failedVersions"] == {
        "2.0.0": {"errorCode": "ALREADY_EXISTS", "errorMessage": "Version 2.0.0 already exists"},
        "1.0.0": {"errorCode": "SKIPPED", "errorMessage": "Version 1.0.0 was skipped"},
    }
    assert _content(client, TARGET, "2.0.0", "cli.bin") == b"old"
    assert "1.0.0" not in _revisions(client, TARGET)


def test_allow_overwrite_replaces_a_different_version(service: LocalCodeArtifact, client: Any) -> None:
    _seed_pair(
        service,
        [{"version": "2.0.0", "assets": [{"name": "cli.bin", "content": "new"}]}],
        [{"version": "2.0.0", "assets": [{"name": "cli.bin", "content": "old"}]}],
    )
    source = _revisions(client, SOURCE)

    response = _copy(client, versions=["2.0.0"], allowOverwrite=True)

    assert response["successfulVersions"] == {"2.0.0": {"revision": source["2.0.0"], "status": "Published"}}
    assert _revisions(client, TARGET) == source
    assert _content(client, TARGET, "2.0.0", "cli.bin") == b"new"


def test_identical_versions_are_omitted_from_both_maps(service: LocalCodeArtifact, any_client: Any) -> None:
    # Seeded in both repositories, 1.0.0 is one version already copied: same revision and assets.
    _seed_pair(service, ["1.0.0", "2.0.0"], ["1.0.0"])

    response = _copy(any_client, versions=["1.0.0", "2.0.0"])

    assert list(response["successfulVersions"]) == ["2.0.0"]
    assert response["failedVersions"] == {}


def test_copying_the_same_versions_twice_reports_nothing_the_second_time(
    service: LocalCodeArtifact, client: Any
) -> None:
    _seed_pair(service, ["1.0.0", "2.0.0"])
    _copy(client, versions=["1.0.0", "2.0.0"])

    again = _copy(client, versions=["1.0.0", "2.0.0"])

    assert again["successfulVersions"] == {}
    assert again["failedVersions"] == {}


def test_identical_assets_and_metadata_count_as_identical_whatever_the_revision(
    service: LocalCodeArtifact, client: Any
) -> None:
    same = {"version": "1.0.0", "assets": [{"name": "cli.bin", "content": "same"}]}
    _seed_pair(service, [{**same, "revision": "source-revision"}], [{**same, "revision": "target-revision"}])

    response = _copy(client, versions=["1.0.0"])

    assert response["successfulVersions"] == {}
    assert response["failedVersions"] == {}
    assert _revisions(client, TARGET) == {"1.0.0": "target-revision"}


def _seed_chain(service: LocalCodeArtifact) -> None:
    # app -> [mirror-a, mirror-b]; mirror-a -> [base]. 2.0.0 is in both base and mirror-b.
    seed(
        service,
        [
            {"name": "base", "packages": [generic([{"version": "2.0.0", "revision": "from-base"}])]},
            {"name": "mirror-a", "upstreams": ["base"], "packages": [generic(["1.0.0"])]},
            {"name": "mirror-b", "packages": [generic([{"version": "2.0.0", "revision": "from-mirror-b"}])]},
            {"name": "app", "upstreams": ["mirror-a", "mirror-b"], "packages": [generic(["0.1.0"])]},
            {"name": TARGET},
        ],
    )


def test_versions_only_upstream_are_not_found_without_include_from_upstream(
    service: LocalCodeArtifact, client: Any
) -> None:
    _seed_chain(service)
    response = _copy(client, source="app", versions=["0.1.0", "1.0.0"])
    assert response["failedVersions"]["1.0.0"]["errorCode"] == "NOT_FOUND"
    assert response["failedVersions"]["0.1.0"]["errorCode"] == "SKIPPED"


def test_include_from_upstream_walks_the_upstreams_in_order(
    service: LocalCodeArtifact, any_client: Any
) -> None:
    _seed_chain(service)

    response = _copy(any_client, source="app", versions=["0.1.0", "1.0.0", "2.0.0"], includeFromUpstream=True)

    assert set(response["successfulVersions"]) == {"0.1.0", "1.0.0", "2.0.0"}
    # mirror-a's own upstream (base) comes before the second upstream of app (mirror-b).
    assert response["successfulVersions"]["2.0.0"]["revision"] == "from-base"
    assert _revisions(any_client, TARGET)["2.0.0"] == "from-base"


def test_include_from_upstream_finds_a_package_that_only_an_upstream_has(
    service: LocalCodeArtifact, client: Any
) -> None:
    seed(
        service,
        [
            {"name": "base", "packages": [generic(["1.0.0"])]},
            {"name": "app", "upstreams": ["base"]},
            {"name": TARGET},
        ],
    )

    response = _copy(client, source="app", versions=["1.0.0"], includeFromUpstream=True)

    assert list(response["successfulVersions"]) == ["1.0.0"]
    with raises_client_error("ResourceNotFoundException") as error:
        _copy(client, source="app", versions=["1.0.0"])
    assert error["resourceType"] == "package"


@pytest.mark.parametrize("status", ["Archived", "Disposed", "Unfinished"])
def test_versions_without_downloadable_assets_cannot_be_copied(
    service: LocalCodeArtifact, client: Any, status: str
) -> None:
    _seed_pair(service, [{"version": "1.0.0", "status": status}, "2.0.0"])

    response = _copy(client, versions=["1.0.0", "2.0.0"])

    assert response["failedVersions"]["1.0.0"]["errorCode"] == "NOT_ALLOWED"
    assert response["failedVersions"]["2.0.0"]["errorCode"] == "SKIPPED"


def test_an_unlisted_version_is_copied_with_its_status(service: LocalCodeArtifact, client: Any) -> None:
    _seed_pair(service, [{"version": "1.0.0", "status": "Unlisted"}])
    response = _copy(client, versions=["1.0.0"])
    assert response["successfulVersions"]["1.0.0"]["status"] == "Unlisted"
    assert statuses(client, repository=TARGET) == {"1.0.0": "Unlisted"}


def test_copy_into_the_source_repository_is_a_validation_error(
    service: LocalCodeArtifact, client: Any
) -> None:
    _seed_pair(service, ["1.0.0"])
    with raises_client_error("ValidationException"):
        _copy(client, target=SOURCE, versions=["1.0.0"])


def test_copy_of_a_missing_package_is_resource_not_found(service: LocalCodeArtifact, client: Any) -> None:
    seed(service, [{"name": SOURCE}, {"name": TARGET}])
    with raises_client_error("ResourceNotFoundException") as error:
        _copy(client, versions=["1.0.0"])
    assert error["resourceType"] == "package"
    assert error["resourceId"] == "cli"


def test_copy_to_a_missing_repository_is_resource_not_found(service: LocalCodeArtifact, client: Any) -> None:
    _seed_pair(service, ["1.0.0"])
    with raises_client_error("ResourceNotFoundException") as error:
        _copy(client, target="ghost", versions=["1.0.0"])
    assert error["resourceType"] == "repository"
    assert error["resourceId"] == "ghost"
