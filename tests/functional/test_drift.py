"""`reconciler drift` through the command line, against the example data in the local service
(in process with --local, and over HTTP with --endpoint-url)."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from reconciler.cli import cli
from reconciler.local import BackgroundServer, LocalCodeArtifact, local_client

WEB_SDK = {"domain": "acme", "format": "npm", "namespace": "acme", "package": "web-sdk"}
DEPLOY_CLI = {"domain": "acme", "format": "generic", "namespace": "tools", "package": "deploy-cli"}
PROD_WEB_SDK_VERSIONS = 39  # in the example data


@pytest.fixture
def writer(db: Path) -> Iterator[Any]:
    """Another writer: a boto3 client on the same database, outside the reconciler."""
    with LocalCodeArtifact(db) as service:
        yield local_client(service)


def manifest(tmp_path: Path, repository: str, *packages: str) -> Path:
    path = tmp_path / "manifests" / f"{repository}.yaml"
    path.parent.mkdir(exist_ok=True)
    path.write_text(
        "apiVersion: reconciler/v1\nkind: PackageLifecycle\n"
        f"target: {{domain: acme, repository: {repository}}}\npackages:\n" + "".join(packages)
    )
    return path


def web_sdk(versions: str) -> str:
    return f"  - format: npm\n    namespace: acme\n    name: web-sdk\n    versions:\n{versions}"


def drift(*args: str | Path) -> Result:
    return CliRunner().invoke(cli, ["drift", *map(str, args)])


IN_SYNC = web_sdk('      "2.3.12": Published\n      "1.1.0": Published\n')


def test_drift_exits_0_and_reports_no_drift_when_live_state_matches_the_manifests(
    tmp_path: Path, db: Path
) -> None:
    result = drift(manifest(tmp_path, "prod", IN_SYNC), "--local", db)

    assert result.exit_code == 0, result.output
    assert "No drift. Live state matches the manifests." in result.stdout
    assert f"Versions: 2 as declared, {PROD_WEB_SDK_VERSIONS - 2} unmanaged." in result.stdout
    assert result.stderr == ""


def test_drift_counts_the_versions_no_manifest_decides_as_unmanaged(tmp_path: Path, db: Path) -> None:
    result = drift(manifest(tmp_path, "prod", IN_SYNC), "--local", db, "--format", "json")

    report = json.loads(result.stdout)
    assert (report["has_drift"], report["as_declared"], report["unmanaged"]) == (
        False,
        2,
        PROD_WEB_SDK_VERSIONS - 2,
    )
    assert report["items"] == []


@pytest.mark.http
def test_drift_over_http_exits_2_and_names_a_version_another_writer_changed(
    tmp_path: Path, db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name, value in {
        "AWS_ACCESS_KEY_ID": "local",
        "AWS_SECRET_ACCESS_KEY": "local",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_CONFIG_FILE": str(tmp_path / "no-config"),
        "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "no-credentials"),
    }.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    path = manifest(tmp_path, "prod", IN_SYNC)
    with LocalCodeArtifact(db) as service, BackgroundServer(service) as server:
        assert drift(path, "--endpoint-url", server.endpoint_url).exit_code == 0
        other = local_client(service)
        other.update_package_versions_status(
            **WEB_SDK, repository="prod", versions=["2.3.12"], targetStatus="Unlisted"
        )

        result = drift(path, "--endpoint-url", server.endpoint_url)

    assert result.exit_code == 2, result.output
    assert f"Target: {server.endpoint_url} (region us-east-1)" in result.stdout
    assert "Drift: 1 version differs from the manifests (1 wrong status)." in result.stdout
    assert "  npm acme/web-sdk  (1 wrong status)\n" in result.stdout
    line = next(line for line in result.stdout.splitlines() if "2.3.12" in line)
    assert line.split("#")[0].split() == ["~", "2.3.12", "live", "Unlisted,", "declared", "Published"]
    assert line.endswith("# pinned at " + str(path) + ":9")


def test_drift_exits_2_for_a_promoted_version_missing_from_its_target(tmp_path: Path, db: Path) -> None:
    path = manifest(tmp_path, "prod", web_sdk('      "2.4.0": {status: Unlisted, copy_from: staging}\n'))

    result = drift(path, "--local", db)

    assert result.exit_code == 2, result.output
    assert "(1 not promoted)" in result.stdout
    line = next(line for line in result.stdout.splitlines() if "2.4.0" in line)
    assert line.split("#")[0].split() == [
        "+",
        "2.4.0",
        "missing",
        "(staging",
        "has",
        "it",
        "Published),",
        "declared",
        "Unlisted",
    ]


def test_drift_reports_a_version_that_can_no_longer_converge(tmp_path: Path, db: Path) -> None:
    path = manifest(tmp_path, "prod", web_sdk('      "1.1.1": Published\n'))  # Disposed in prod

    result = drift(path, "--local", db)

    assert result.exit_code == 2, result.output
    line = next(line for line in result.stdout.splitlines() if "1.1.1" in line)
    assert line.startswith("    ! 1.1.1  live Disposed")
    assert line.endswith(f"# cannot converge: Disposed is final (declared Published), declared at {path}:9")


def _publish_generic(client: Any, version: str) -> None:
    content = b"a build that just finished"
    client.publish_package_version(
        **DEPLOY_CLI,
        repository="staging",
        packageVersion=version,
        assetContent=content,
        assetName="deploy-cli-linux-amd64.tar.gz",
        assetSHA256=hashlib.sha256(content).hexdigest(),
    )


UNLIST_9 = '  - format: generic\n    namespace: tools\n    name: deploy-cli\n    rules:\n      - {match: "9.*", status: Unlisted}\n'


def test_drift_with_grace_leaves_out_a_version_published_within_it(
    tmp_path: Path, db: Path, writer: Any
) -> None:
    path = manifest(tmp_path, "staging", UNLIST_9)
    assert drift(path, "--local", db).exit_code == 0
    _publish_generic(writer, "9.0.0")

    without_grace = drift(path, "--local", db)
    within_grace = drift(path, "--local", db, "--grace", "1h")

    assert without_grace.exit_code == 2, without_grace.output
    assert "~ 9.0.0  live Published, declared Unlisted" in without_grace.stdout
    assert within_grace.exit_code == 0, within_grace.output
    assert "9.0.0" not in within_grace.stdout
    assert "No drift. Live state matches the manifests." in within_grace.stdout
    assert "1 within grace (1h)" in within_grace.stdout
    assert "Left out: 1 drifted version published in the last 1h" in within_grace.stdout


def test_drift_with_grace_still_reports_versions_published_before_it(
    tmp_path: Path, db: Path, writer: Any
) -> None:
    older = UNLIST_9 + '    versions:\n      "1.0.0": Archived\n'
    path = manifest(tmp_path, "staging", older)
    _publish_generic(writer, "9.0.0")

    result = drift(path, "--local", db, "--grace", "2h", "--format", "json")

    assert result.exit_code == 2, result.output
    report = json.loads(result.stdout)
    assert [item["version"] for item in report["items"]] == ["1.0.0"]
    assert (report["within_grace"], report["grace_seconds"]) == (1, 7200.0)


def test_drift_rejects_a_grace_that_is_not_a_duration(tmp_path: Path, db: Path) -> None:
    result = drift(manifest(tmp_path, "prod", IN_SYNC), "--local", db, "--grace", "2 hours")

    assert result.exit_code == 1
    assert "'2 hours' is not a duration" in result.stderr


def test_drift_rejects_a_grace_too_large_as_a_usage_error(tmp_path: Path, db: Path) -> None:
    result = drift(manifest(tmp_path, "prod", IN_SYNC), "--local", db, "--grace", "99999999999d")

    assert result.exit_code == 1, result.output
    assert "Invalid value for '--grace': '99999999999d': duration too large" in result.stderr


def test_drift_exits_1_for_a_duration_too_large_in_a_manifest(tmp_path: Path, db: Path) -> None:
    rule = "    rules:\n      - older_than: 99999999999d\n        status: Archived\n"
    path = manifest(tmp_path, "prod", web_sdk("").replace("    versions:\n", rule))

    result = drift(path, "--local", db)

    assert result.exit_code == 1, result.output
    assert f"{path}:9: packages[0].rules[0].older_than: duration too large" in result.stderr


def test_drift_exits_1_for_a_region_that_is_not_a_region_code(tmp_path: Path, db: Path) -> None:
    path = manifest(tmp_path, "prod", IN_SYNC)

    bad_option = drift(path, "--local", db, "--region", "bad region!")
    path.write_text(
        path.read_text().replace("repository: prod}", 'repository: prod, region: "not a region!!"}')
    )
    bad_target = drift(path, "--local", db)

    assert bad_option.exit_code == 1, bad_option.output
    assert bad_option.stderr.startswith("Error: invalid AWS Region: 'bad region!'\n")
    assert bad_target.exit_code == 1, bad_target.output
    assert f"{path}:3: target.region: expected an AWS Region code" in bad_target.stderr


@pytest.mark.parametrize("kind", ["file", "directory"])
def test_drift_exits_1_for_a_local_path_that_is_not_a_database(tmp_path: Path, kind: str) -> None:
    local = tmp_path / "local"
    if kind == "file":
        local.write_text("not a database\n" * 100)
    else:
        local.mkdir()

    result = drift(manifest(tmp_path, "prod", IN_SYNC), "--local", local)

    assert result.exit_code == 1, result.output
    assert result.stderr.startswith(f"Error: {local} is not a local CodeArtifact database: ")


def test_drift_exits_1_with_the_problem_for_an_invalid_manifest(tmp_path: Path, db: Path) -> None:
    path = manifest(tmp_path, "prod", web_sdk('      "2.3.12": Publishd\n'))

    result = drift(path, "--local", db)

    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr.startswith("Error: 1 problem in the manifests\n")
    assert f'{path}:9: packages[0].versions["2.3.12"]' in result.stderr
    assert "did you mean Published?" in result.stderr


def test_drift_exits_1_for_a_domain_that_does_not_exist(tmp_path: Path, db: Path) -> None:
    path = manifest(tmp_path, "prod", IN_SYNC)
    path.write_text(path.read_text().replace("domain: acme", "domain: nosuch"))

    result = drift(path, "--local", db)

    assert result.exit_code == 1
    assert result.stdout == ""
    assert "ResourceNotFoundException: Domain not found" in result.stderr
    assert "nosuch" in result.stderr


DRIFTED = web_sdk(
    '      "2.3.12": Unlisted\n      "1.1.1": Published\n'
    '      "2.4.0": {status: Published, copy_from: staging}\n'
)


def test_drift_json_lists_every_drifted_version_with_sorted_keys(tmp_path: Path, db: Path) -> None:
    result = drift(manifest(tmp_path, "prod", DRIFTED), "--local", db, "--format", "json")

    assert result.exit_code == 2, result.output
    report = json.loads(result.stdout)
    assert result.stdout == json.dumps(report, sort_keys=True, indent=2) + "\n"
    assert report["has_drift"] is True
    assert report["counts"] == {
        "cannot_converge": 1,
        "wrong_status": 1,
        "not_promoted": 1,
        "as_declared": 0,
        "unmanaged": 37,
        "within_grace": 0,
    }
    assert [
        (item["kind"], item["version"], item["live"], item["declared"], item["source_repository"])
        for item in report["items"]
    ] == [
        ("cannot-converge", "1.1.1", "Disposed", None, None),
        ("status", "2.3.12", "Published", "Unlisted", None),
        ("missing", "2.4.0", None, "Published", "staging"),
    ]
    assert report["items"][0]["package"] == {**WEB_SDK, "domain_owner": None, "repository": "prod"}
    assert (report["as_declared"], report["unmanaged"], report["within_grace"]) == (0, 37, 0)


def test_drift_markdown_is_a_comment_with_counts_and_a_table_per_package(tmp_path: Path, db: Path) -> None:
    result = drift(manifest(tmp_path, "prod", DRIFTED), "--local", db, "--format", "markdown")

    assert result.exit_code == 2, result.output
    text = result.stdout
    assert text.startswith("<!-- reconciler:drift targets=")
    assert text.split("\n", 1)[1].startswith("## Reconciler drift: 3 versions differ from the manifests\n")
    assert (
        "| cannot converge | wrong status | not promoted | as declared | unmanaged |\n"
        "| ---: | ---: | ---: | ---: | ---: |\n"
        "| **1** | 1 | 1 | 0 | 37 |\n"
    ) in text
    assert "<details><summary><code>acme/prod/npm/acme/web-sdk</code>: 3 drifted versions</summary>" in text
    assert "| wrong status | `2.3.12` | Published | Unlisted | pinned at " in text
    assert "| not promoted | `2.4.0` | missing (staging has it Published) | Published |" in text
    assert text.count("<details>") == text.count("</details>") == 1


def test_drift_markdown_of_a_repository_in_sync_says_so(tmp_path: Path, db: Path) -> None:
    result = drift(manifest(tmp_path, "prod", IN_SYNC), "--local", db, "--format", "markdown")

    assert result.exit_code == 0
    assert result.stdout.startswith("<!-- reconciler:drift targets=")
    assert result.stdout.split("\n", 1)[1].startswith("## Reconciler drift: in sync\n")
    assert "No drift. Live state matches the manifests." in result.stdout
    assert "<details>" not in result.stdout
