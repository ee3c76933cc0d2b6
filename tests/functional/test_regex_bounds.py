"""A manifest regex cannot stall `plan` or `drift`: a pattern that backtracks without bound stops the
run with exit 1 and a problem naming the rule's line, the pattern and the version."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner, Result

from reconciler.cli import cli
from reconciler.local import LocalCodeArtifact, local_client

SLOW_VERSION = "a" * 40  # (a|aa)+b would try every way of splitting it: Fibonacci(40) of them
DEPLOY_CLI = {"domain": "acme", "format": "generic", "namespace": "tools", "package": "deploy-cli"}


def _manifest(tmp_path: Path, pattern: str) -> Path:
    path = tmp_path / "manifests" / "staging.yaml"
    path.parent.mkdir()
    path.write_text(
        "apiVersion: reconciler/v1\nkind: PackageLifecycle\n"
        "target: {domain: acme, repository: staging}\npackages:\n"
        "  - format: generic\n    namespace: tools\n    name: deploy-cli\n    rules:\n"
        f"      - {{regex: '{pattern}', status: Unlisted}}\n"
    )
    return path


def _publish(db: Path, version: str) -> None:
    content = b"a build"
    with LocalCodeArtifact(db) as service:
        local_client(service).publish_package_version(
            **DEPLOY_CLI,
            repository="staging",
            packageVersion=version,
            assetContent=content,
            assetName="deploy-cli.tar.gz",
            assetSHA256=hashlib.sha256(content).hexdigest(),
        )


def _run(*args: str | Path) -> Result:
    return CliRunner().invoke(cli, list(map(str, args)))


def test_plan_and_drift_stop_with_exit_1_on_a_regex_that_runs_out_of_time(tmp_path: Path, db: Path) -> None:
    _publish(db, SLOW_VERSION)
    path = _manifest(tmp_path, "(a|aa)+b")

    validated = _run("validate", path)
    planned = _run("plan", path, "--local", db, "--no-save")
    drifted = _run("drift", path, "--local", db)

    assert validated.exit_code == 0, validated.output  # nothing in the pattern alone says it is slow
    expected = f"{path}:9: rules[0].regex: the regular expression '(a|aa)+b' did not finish within 0.1 s on version '{SLOW_VERSION}'"
    for result in (planned, drifted):
        assert result.exit_code == 1, result.output
        assert expected in result.stderr
        assert "Traceback" not in result.output


def test_plan_on_a_pattern_that_hangs_pythons_re_plans_at_once(tmp_path: Path, db: Path) -> None:
    _publish(db, "1.2.3-abcdefghi")  # 15 characters: Python's re backtracks on it for ever
    _publish(db, "1.2.3-abcdefghix")
    path = _manifest(tmp_path, "((.*)*)*x")

    # In a process of its own, with a generous guard: a regression must fail the test, not hang it.
    result = subprocess.run(
        [sys.executable, "-m", "reconciler", "plan", str(path), "--local", str(db), "--no-save"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": str(Path(__file__).parents[2])},
    )

    assert result.returncode == 0, result.stderr
    assert "~ 1.2.3-abcdefghix  Published -> Unlisted  # rule 1 (regex ((.*)*)*x)" in result.stdout
    assert "1.2.3-abcdefghi " not in result.stdout


def test_validate_refuses_a_regex_that_would_take_long_to_compile(tmp_path: Path) -> None:
    path = _manifest(tmp_path, "(?:a{1000}){100}")

    result = _run("validate", path)

    assert result.exit_code == 1, result.output
    assert f"{path}:9: packages[0].rules[0].regex: the regular expression repeats too much" in result.stderr
