"""`--log-requests FILE`: every CodeArtifact call of a run, reads and writes, one JSON line each."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest
from click.testing import CliRunner

from reconciler.cli import cli

ARCHIVING = """\
apiVersion: reconciler/v1
kind: PackageLifecycle
target: {domain: acme, repository: prod}
packages:
  - format: npm
    name: acme-cli
    versions: {"0.9.0": Archived, "0.10.0": Archived}
"""


def lines(path: Path) -> list[dict[str, object]]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_plan_and_apply_log_every_call_they_make_and_nothing_secret(db: Path, tmp_path: Path) -> None:
    manifest = tmp_path / "archive.yaml"
    manifest.write_text(ARCHIVING)
    plan_file, log = tmp_path / "p.plan.json", tmp_path / "requests.jsonl"
    runner = CliRunner()

    planned = runner.invoke(
        cli, ["plan", str(manifest), "--local", str(db), "-o", str(plan_file), "--log-requests", str(log)]
    )
    assert planned.exit_code == 0, planned.output
    plan_calls = json.loads(plan_file.read_text())["api_calls"]
    logged = lines(log)
    # The log holds exactly the calls the plan counted, each about what it named.
    assert Counter(str(record["operation"]) for record in logged) == Counter(plan_calls)
    describe = next(record for record in logged if record["operation"] == "DescribeDomain")
    assert describe["about"] == {"domain": "acme"} and describe["attempts"] == 1 and describe["error"] is None

    applied = runner.invoke(
        cli, ["apply", str(plan_file), "--local", str(db), "--output", "json", "--log-requests", str(log)]
    )
    assert applied.exit_code == 0, applied.output
    report = json.loads(applied.stdout)
    after = lines(log)[len(logged) :]  # appended, not replaced
    assert Counter(str(record["operation"]) for record in after) == Counter(report["calls_by_operation"])
    update = next(record for record in after if record["operation"] == "UpdatePackageVersionsStatus")
    assert update["about"] == {"domain": "acme", "repository": "prod", "format": "npm", "package": "acme-cli"}
    assert "versionRevisions" not in json.dumps(after)


def test_a_request_log_that_cannot_be_written_is_an_error_naming_it(db: Path, tmp_path: Path) -> None:
    manifest = tmp_path / "archive.yaml"
    manifest.write_text(ARCHIVING)
    where = tmp_path / "no-such-folder" / "requests.jsonl"

    result = CliRunner().invoke(
        cli, ["drift", str(manifest), "--local", str(db), "--log-requests", str(where)]
    )

    assert result.exit_code == 1
    assert f"cannot write the request log {where}" in result.output


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs /dev/full")
def test_a_request_log_that_fills_up_is_a_warning_and_apply_goes_on_whole(db: Path, tmp_path: Path) -> None:
    """The log is written from inside each call's answer: a failed write must not pass for a failed
    call (or a write carried out look lost), nor the run end as a bug."""
    manifest = tmp_path / "archive.yaml"
    manifest.write_text(ARCHIVING)
    plan_file = tmp_path / "p.plan.json"
    runner = CliRunner()
    planned = runner.invoke(
        cli, ["plan", str(manifest), "--local", str(db), "-o", str(plan_file), "--log-requests", "/dev/full"]
    )
    assert planned.exit_code == 0, planned.output
    assert (
        planned.stderr.count("Warning: cannot write the request log /dev/full: No space left on device") == 1
    )

    applied = runner.invoke(cli, ["apply", str(plan_file), "--local", str(db), "--log-requests", "/dev/full"])

    assert applied.exit_code == 0, applied.output
    assert "Apply complete: 2 applied, 0 unchanged, 0 moved, 0 failed, 0 not-attempted" in applied.stdout
    assert "the rest of the run is not logged" in applied.stderr
