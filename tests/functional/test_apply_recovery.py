"""Apply's report after a write whose answer was lost, with and without another writer acting before
the retry: the report, the journal and the service's own state must agree on what this apply did.

Each scenario loses one chosen answer (`tests.lostreplies.LosesReply`) of an apply run through the
command line against the local service over HTTP."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from reconciler.local import LocalCodeArtifact
from reconciler.local.seed import SeedDocument, seed_service
from tests.functional.test_apply import (
    SEED,
    aws_env,
    client_on,
    outcome_of,
    plan_to,
    report,
    run,
    served,
)
from tests.lostreplies import LosesReply
from tests.refs import read_journal

REBUILT = "rebuilt-1.0.0-revision"
APP = {"domain": "acme", "format": "npm", "package": "app"}

# A rebuilt app 1.0.0 (other contents, so another revision) that another writer can put in prod.
RECOVERY_SEED = copy.deepcopy(SEED)
RECOVERY_SEED["domains"][0]["repositories"].append(  # type: ignore[index]
    {
        "name": "elsewhere",
        "packages": [
            {
                "format": "npm",
                "name": "app",
                "versions": [{"version": "1.0.0", "revision": REBUILT, "summary": "rebuilt"}],
            }
        ],
    }
)

ARCHIVE = """\
apiVersion: reconciler/v1
kind: PackageLifecycle
target: {domain: acme, repository: prod}
packages:
  - format: npm
    name: app
    versions:
      "1.0.0": Archived
"""
# One copy of two versions, then the update that settles 2.1.0 to Unlisted.
PROMOTE = """\
apiVersion: reconciler/v1
kind: PackageLifecycle
target: {domain: acme, repository: prod}
packages:
  - format: npm
    name: app
    versions:
      "2.0.0": {status: Published, copy_from: staging}
      "2.1.0": {status: Unlisted, copy_from: staging}
"""


@pytest.fixture(scope="module")
def seeded_once(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("seed") / "seeded.db"
    with LocalCodeArtifact(path) as service:
        seed_service(service, SeedDocument.model_validate(RECOVERY_SEED))
    return path


# Every scenario runs over HTTP, with dummy credentials.
pytestmark = pytest.mark.usefixtures("aws_env")
__all__ = ["aws_env"]  # the fixture, imported for this module's tests


def manifest(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "manifests" / "prod.yaml"
    path.parent.mkdir()
    path.write_text(text)
    return path


def state(service: LocalCodeArtifact, repository: str = "prod") -> dict[str, tuple[str, str]]:
    """(status, revision) of every app version in `repository`, as the service holds it."""
    listed = client_on(service).list_package_versions(**APP, repository=repository)
    return {item["version"]: (item["status"], item["revision"]) for item in listed["versions"]}


def planned_revisions(plan_file: Path) -> dict[str, str]:
    document = json.loads(plan_file.read_text())
    return {
        change["version"]: change["prior_revision"]
        for action in document["actions"]
        for change in action["versions"]
    }


def apply_losing(
    db: Path, tmp_path: Path, text: str, lose: str, meanwhile: Any = None
) -> tuple[dict[str, Any], list[dict[str, Any]], dict[str, tuple[str, str]], dict[str, str], int]:
    """Plan `text`, apply it losing the first answer of `lose` (with `meanwhile` acting before the
    retry): the report, the journal, prod's app versions afterwards, the plan's revisions, the exit code."""
    plan_file = tmp_path / "prod.plan.json"
    with served(db) as (backend, service):
        plan_to(plan_file, manifest(tmp_path, text), backend)
        writer = client_on(service)
        service.faults = lost = LosesReply(lose, meanwhile=(lambda: meanwhile(writer)) if meanwhile else None)
        result = run("apply", plan_file, "--output", "json", "--concurrency", "1", *backend)
        service.faults = None
        assert lost.lost == 1
        after = state(service)
    journal = read_journal(tmp_path / "prod.plan.journal.jsonl")
    return report(result), journal, after, planned_revisions(plan_file), result.exit_code


def test_a_lost_answer_alone_is_reported_as_planned_and_ambiguous_and_verified(
    db: Path, tmp_path: Path
) -> None:
    document, journal, after, revisions, code = apply_losing(
        db, tmp_path, ARCHIVE, "UpdatePackageVersionsStatus"
    )

    assert code == 0
    [version] = document["versions"]
    assert (version["outcome"], version["code"]) == ("unchanged", "AMBIGUOUS")
    assert "exactly as this apply's write leaves it" in version["message"]
    verify = [r for r in journal if r["event"] == "verify"]
    assert [r["verdicts"] for r in verify] == [{"1.0.0": "as-planned"}]
    assert [(r["as_planned"], r["successful"]) for r in journal if r["event"] == "call"] == [(["1.0.0"], {})]
    assert after["1.0.0"] == ("Archived", revisions["1.0.0"])
    # Every call counted, the read that settled the lost answer included.
    assert document["calls_by_operation"]["UpdatePackageVersionsStatus"] == 2
    sends = sum(1 for r in journal if r["event"] == "send")
    reads = sum(r["attempts"] for r in journal if r["event"] == "read")
    assert document["calls"] == sends + reads


def rebuild_and_archive(writer: Any) -> None:
    """Another writer puts the rebuilt 1.0.0 in prod and archives it: the planned status, at another revision."""
    writer.copy_package_versions(
        **APP,
        sourceRepository="elsewhere",
        destinationRepository="prod",
        versions=["1.0.0"],
        allowOverwrite=True,
    )
    writer.update_package_versions_status(
        **APP, repository="prod", versions=["1.0.0"], targetStatus="Archived"
    )


def test_a_lost_answer_and_another_writer_making_the_planned_status_is_not_reported_applied(
    db: Path, tmp_path: Path
) -> None:
    document, journal, after, revisions, code = apply_losing(
        db, tmp_path, ARCHIVE, "UpdatePackageVersionsStatus", rebuild_and_archive
    )

    assert code == 1
    [version] = document["versions"]
    assert (version["outcome"], version["code"]) == ("moved", "AMBIGUOUS")
    assert "ambiguous" in version["message"]
    assert f"now Archived at revision {REBUILT}" in version["message"]
    assert document["result"] == "incomplete"
    verify = [r for r in journal if r["event"] == "verify"]
    assert [r["verdicts"] for r in verify] == [{"1.0.0": "ambiguous"}]
    call = [r for r in journal if r["event"] == "call"]
    assert [(r.get("recovered"), r.get("ambiguous")) for r in call] == [(None, ["1.0.0"])]
    assert after["1.0.0"] == ("Archived", REBUILT)
    assert revisions["1.0.0"] != REBUILT


def archive_source_210(writer: Any) -> None:
    """Another writer archives 2.1.0 in staging, the copy's source: its retry is refused."""
    writer.update_package_versions_status(
        **APP, repository="staging", versions=["2.1.0"], targetStatus="Archived"
    )


def test_a_lost_copy_answer_then_a_change_to_one_source_version_still_books_the_copies_and_settles_them(
    db: Path, tmp_path: Path
) -> None:
    document, journal, after, revisions, code = apply_losing(
        db, tmp_path, PROMOTE, "CopyPackageVersions", archive_source_210
    )

    assert code == 0, document
    assert outcome_of(document) == {
        ("copy", "acme/prod/npm/app", "2.0.0"): "unchanged",
        ("copy", "acme/prod/npm/app", "2.1.0"): "unchanged",
        ("update-status", "acme/prod/npm/app", "2.1.0"): "applied",
    }
    verify = [r for r in journal if r["event"] == "verify"]
    assert [r["verdicts"] for r in verify] == [{"2.0.0": "as-planned", "2.1.0": "as-planned"}]
    copies = [r for r in journal if r["event"] == "call" and r["operation"] == "CopyPackageVersions"]
    assert [sorted(r["as_planned"]) for r in copies] == [["2.0.0", "2.1.0"]]
    # The service agrees: both copied at the source's revision, and 2.1.0 settled to Unlisted.
    assert after["2.0.0"] == ("Published", revisions["2.0.0"])
    assert after["2.1.0"] == ("Unlisted", revisions["2.1.0"])


def archive_100(writer: Any) -> None:
    """Another writer makes exactly the planned change: 1.0.0 Archived (a status change keeps the revision)."""
    writer.update_package_versions_status(
        **APP, repository="prod", versions=["1.0.0"], targetStatus="Archived"
    )


def test_a_dropped_write_and_another_writer_making_the_same_change_is_never_reported_applied(
    db: Path, tmp_path: Path
) -> None:
    # The first try never reaches the service; meanwhile another writer archives 1.0.0, so the
    # version is exactly as this apply's write would leave it, although this apply changed nothing.
    plan_file = tmp_path / "prod.plan.json"
    with served(db) as (backend, service):
        plan_to(plan_file, manifest(tmp_path, ARCHIVE), backend)
        writer = client_on(service)
        service.faults = lost = LosesReply(
            "UpdatePackageVersionsStatus", carried_out=False, meanwhile=lambda: archive_100(writer)
        )
        result = run("apply", plan_file, "--output", "json", "--concurrency", "1", *backend)
        service.faults = None
        assert lost.lost == 1
    document = report(result)

    assert result.exit_code == 0, document
    [version] = document["versions"]
    assert version["outcome"] != "applied"
    assert (version["outcome"], version["code"]) == ("unchanged", "AMBIGUOUS")
    assert "another writer's identical change" in version["message"]
    journal = read_journal(tmp_path / "prod.plan.journal.jsonl")
    assert all(not r["successful"] for r in journal if r["event"] == "call")
