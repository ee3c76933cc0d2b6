"""UpdatePackageVersionsStatus: transitions, guards and all-or-nothing batches."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import boto3
import pytest

from reconciler.local import LocalCodeArtifact, attach
from reconciler.local.context import Options
from reconciler.local.inprocess import IN_PROCESS_ENDPOINT
from tests.local.builders import coordinates, generic, raises_client_error, seed_packages, statuses


@pytest.fixture
def seeded(service: LocalCodeArtifact) -> LocalCodeArtifact:
    seed_packages(
        service,
        [
            generic(
                [
                    "1.0.0",
                    "2.0.0",
                    {"version": "3.0.0", "status": "Unlisted"},
                    {"version": "4.0.0", "status": "Disposed"},
                    {"version": "5.0.0", "status": "Unfinished"},
                ]
            )
        ],
    )
    return service


def _update(client: Any, versions: list[str], target: str, **extra: Any) -> dict[str, Any]:
    return client.update_package_versions_status(  # type: ignore[no-any-return]
        **coordinates(), versions=versions, targetStatus=target, **extra
    )


def _revisions(client: Any) -> dict[str, str]:
    return {v["version"]: v["revision"] for v in client.list_package_versions(**coordinates())["versions"]}


@pytest.mark.parametrize(
    ("path"),
    [
        ["Unlisted", "Archived", "Published"],
        ["Archived", "Unlisted", "Published"],
        ["Unlisted", "Published", "Archived"],
    ],
)
def test_published_unlisted_and_archived_move_freely_between_each_other(
    seeded: LocalCodeArtifact, client: Any, path: list[str]
) -> None:
    revision = _revisions(client)["1.0.0"]
    for target in path:
        response = _update(client, ["1.0.0"], target)
        assert response["successfulVersions"] == {"1.0.0": {"revision": revision, "status": target}}
        assert response["failedVersions"] == {}
        assert statuses(client)["1.0.0"] == target


def test_several_versions_change_together(seeded: LocalCodeArtifact, any_client: Any) -> None:
    response = _update(any_client, ["1.0.0", "2.0.0", "3.0.0"], "Archived")

    assert set(response["successfulVersions"]) == {"1.0.0", "2.0.0", "3.0.0"}
    assert all(v["status"] == "Archived" for v in response["successfulVersions"].values())
    assert response["failedVersions"] == {}
    assert statuses(any_client, status="Archived") == dict.fromkeys(("1.0.0", "2.0.0", "3.0.0"), "Archived")


def test_a_status_change_keeps_the_revision(seeded: LocalCodeArtifact, client: Any) -> None:
    before = _revisions(client)
    response = _update(client, ["1.0.0", "2.0.0"], "Unlisted")
    after = _revisions(client)

    assert after == before
    assert response["successfulVersions"]["2.0.0"]["revision"] == before["2.0.0"]


def test_expected_status_mismatch_fails_that_version_and_skips_the_others(
    seeded: LocalCodeArtifact, any_client: Any
) -> None:
    response = _update(any_client, ["1.0.0", "3.0.0"], "Archived", expectedStatus="Published")

    assert response["successfulVersions"] == {}
    assert response["failedVersions"] == {
        "3.0.0": {
            "errorCode": "MISMATCHED_STATUS",
            "errorMessage": "current status: Unlisted, expected status: Published",
        },
        "1.0.0": {"errorCode": "SKIPPED", "errorMessage": "version 1.0.0 is skipped"},
    }
    assert statuses(any_client)["1.0.0"] == "Published"


def test_every_mismatching_version_gets_its_own_code(seeded: LocalCodeArtifact, client: Any) -> None:
    response = _update(client, ["1.0.0", "2.0.0"], "Archived", expectedStatus="Unlisted")

    assert {v: f["errorCode"] for v, f in response["failedVersions"].items()} == {
        "1.0.0": "MISMATCHED_STATUS",
        "2.0.0": "MISMATCHED_STATUS",
    }


def test_expected_status_that_matches_lets_the_change_through(seeded: LocalCodeArtifact, client: Any) -> None:
    response = _update(client, ["3.0.0"], "Published", expectedStatus="Unlisted")
    assert response["successfulVersions"]["3.0.0"]["status"] == "Published"


def test_revision_mismatch_fails_that_version_and_changes_nothing(
    seeded: LocalCodeArtifact, client: Any
) -> None:
    revisions = _revisions(client)

    response = _update(
        client,
        ["1.0.0", "2.0.0"],
        "Archived",
        versionRevisions={"1.0.0": revisions["1.0.0"], "2.0.0": "stale-revision"},
    )

    assert response["successfulVersions"] == {}
    assert response["failedVersions"] == {
        "2.0.0": {
            "errorCode": "MISMATCHED_REVISION",
            "errorMessage": f"current revision: {revisions['2.0.0']}, expected revision: stale-revision",
        },
        "1.0.0": {"errorCode": "SKIPPED", "errorMessage": "version 1.0.0 is skipped"},
    }
    assert statuses(client)["1.0.0"] == "Published"


def test_matching_revisions_let_the_change_through(seeded: LocalCodeArtifact, client: Any) -> None:
    revisions = _revisions(client)
    response = _update(client, ["1.0.0"], "Unlisted", versionRevisions={"1.0.0": revisions["1.0.0"]})
    assert response["successfulVersions"] == {"1.0.0": {"revision": revisions["1.0.0"], "status": "Unlisted"}}


def test_missing_version_is_not_found_and_the_batch_is_skipped(
    seeded: LocalCodeArtifact, client: Any
) -> None:
    response = _update(client, ["1.0.0", "9.9.9"], "Archived")

    assert response["failedVersions"]["9.9.9"] == {
        "errorCode": "NOT_FOUND",
        "errorMessage": "Could not find version 9.9.9",
    }
    assert response["failedVersions"]["1.0.0"]["errorCode"] == "SKIPPED"
    assert statuses(client)["1.0.0"] == "Published"


@pytest.mark.parametrize("target", ["Published", "Unlisted", "Archived"])
def test_disposed_is_final(seeded: LocalCodeArtifact, client: Any, target: str) -> None:
    response = _update(client, ["4.0.0", "1.0.0"], target)

    assert response["successfulVersions"] == {}
    assert response["failedVersions"]["4.0.0"]["errorCode"] == "NOT_ALLOWED"
    assert response["failedVersions"]["1.0.0"]["errorCode"] == "SKIPPED"
    assert statuses(client)["4.0.0"] == "Disposed"


@pytest.mark.parametrize("target", ["Unfinished", "Disposed", "Deleted"])
def test_targets_other_than_published_unlisted_archived_are_not_allowed(
    seeded: LocalCodeArtifact, client: Any, target: str
) -> None:
    response = _update(client, ["1.0.0", "2.0.0"], target)

    assert response["successfulVersions"] == {}
    assert {f["errorCode"] for f in response["failedVersions"].values()} == {"NOT_ALLOWED"}
    assert statuses(client)["1.0.0"] == "Published"


def test_disallowed_targets_can_be_rejected_as_a_validation_error(
    tmp_path: Path, boto_session: boto3.session.Session
) -> None:
    options = Options(reject_target_status_with_validation=True)
    with LocalCodeArtifact(tmp_path / "strict.db", options=options) as service:
        seed_packages(service, [generic(["1.0.0"])])
        client = attach(boto_session.client("codeartifact", endpoint_url=IN_PROCESS_ENDPOINT), service)
        with raises_client_error("ValidationException"):
            _update(client, ["1.0.0"], "Unfinished")
        assert statuses(client) == {"1.0.0": "Published"}


def test_unfinished_can_move_to_published_unlisted_or_archived(
    seeded: LocalCodeArtifact, client: Any
) -> None:
    response = _update(client, ["5.0.0"], "Archived", expectedStatus="Unfinished")
    assert response["successfulVersions"]["5.0.0"]["status"] == "Archived"


def test_a_version_named_twice_is_changed_once(seeded: LocalCodeArtifact, client: Any) -> None:
    response = _update(client, ["1.0.0", "1.0.0"], "Unlisted")
    assert list(response["successfulVersions"]) == ["1.0.0"]


def test_version_revisions_for_versions_not_in_versions_is_a_validation_error(
    seeded: LocalCodeArtifact, client: Any
) -> None:
    with raises_client_error("ValidationException"):
        _update(client, ["1.0.0"], "Unlisted", versionRevisions={"2.0.0": "whatever"})


def test_an_empty_version_list_is_a_validation_error(seeded: LocalCodeArtifact, client: Any) -> None:
    with raises_client_error("ValidationException"):
        _update(client, [], "Unlisted")


def test_updating_a_missing_package_is_resource_not_found(seeded: LocalCodeArtifact, any_client: Any) -> None:
    with raises_client_error("ResourceNotFoundException") as error:
        any_client.update_package_versions_status(
            **coordinates(package="ghost"), versions=["1.0.0"], targetStatus="Archived"
        )
    assert error["resourceType"] == "package"
    assert error["resourceId"] == "ghost"


def test_a_stored_revision_holding_a_space_is_answered_as_stored(
    seeded: LocalCodeArtifact, client: Any
) -> None:
    # A batch is read as one row of space-separated values; a stored value holding a space (no
    # request can send one) must not shift the others.
    with seeded.store.write() as conn:
        conn.execute("UPDATE package_version SET revision = 'two words' WHERE version = '1.0.0'")
    before = _revisions(client)

    response = _update(client, ["1.0.0", "2.0.0"], "Archived", expectedStatus="Published")

    assert response["successfulVersions"] == {
        "1.0.0": {"revision": "two words", "status": "Archived"},
        "2.0.0": {"revision": before["2.0.0"], "status": "Archived"},
    }
    assert response["failedVersions"] == {}
    assert statuses(client, status="Archived") == {"1.0.0": "Archived", "2.0.0": "Archived"}
