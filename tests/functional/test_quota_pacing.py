"""`reconciler plan` over HTTP against a service that throttles at its quotas, set low here so that
a tiny plan meets them: the reads adapt (reconciler.adaptive), botocore retries the few throttles
there are, none reaches the user, and the plan is the one made without quotas."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from reconciler.cli import cli
from reconciler.local import BackgroundServer, Faults, LocalCodeArtifact
from tests.functional.pacing import DAY, PACKAGES, local_aws_environment, seed_store

MANIFEST = """\
apiVersion: reconciler/v1
kind: PackageLifecycle
target: {domain: quota, repository: store}
packages:
  - format: npm
    name: "*"
    rules:
      - keep_latest: 3
        status: Published
      - older_than: 30d
        status: Archived
    otherwise: Unlisted
"""


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return seed_store(tmp_path / "quota.db", 10 * DAY)


@pytest.fixture(autouse=True)
def _aws(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    local_aws_environment(tmp_path, monkeypatch)


def plan_over_http(db: Path, manifest: Path, log: Path, faults: Faults | None) -> dict[str, object]:
    with LocalCodeArtifact(db, faults=faults) as service, BackgroundServer(service) as server:
        result = CliRunner().invoke(
            cli,
            [
                "plan",
                str(manifest),
                "-o",
                "-",
                "--endpoint-url",
                server.endpoint_url,
                "--log-requests",
                str(log),
            ],
        )
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    # Not the plan's content: when it was made, the server's port, and the calls (every retried
    # attempt is a call AWS counted).
    for key in ("created_at", "evaluated_at", "api_calls"):
        document.pop(key)
    document["target"].pop("endpoint")
    return document


def test_a_plan_at_low_quotas_meets_no_throttle_error_and_is_the_plan_made_without_quotas(
    tmp_path: Path, db: Path
) -> None:
    manifest = tmp_path / "lifecycle.yaml"
    manifest.write_text(MANIFEST, encoding="utf-8")
    # Far below AWS's defaults (200/s and 800/s), which the client paces at: the service throttles
    # the first burst, and the client must slow down to these rates, not give up.
    low = Faults(quotas=True, rates=(("ListPackageVersions", 20.0), ("account_reads", 100.0)))

    free = plan_over_http(db, manifest, tmp_path / "free.jsonl", None)
    limited = plan_over_http(db, manifest, tmp_path / "limited.jsonl", low)

    assert limited == free
    calls = [json.loads(line) for line in (tmp_path / "limited.jsonl").read_text().splitlines()]
    assert [call for call in calls if call["error"] is not None] == []
    assert sum(1 for call in calls if call["operation"] == "ListPackageVersions") == PACKAGES
    # The service did throttle (the quotas were met) and botocore's retries absorbed every throttle;
    # the client slowed down to the quotas rather than leaning on the retries: paced, about one call
    # in twelve is retried here; unpaced, with 8 workers, about one in five.
    retried = sum(call["attempts"] - 1 for call in calls)
    assert 0 < retried <= len(calls) // 6
