"""No silent no-ops: an entry that matches nothing is warned about in plan and in drift (and --strict
makes it an error); the plan says in every view when apply's default limits will refuse it; and the
"Apply exactly this plan with: ..." hint, pasted as it is, applies the plan."""

from __future__ import annotations

import json
import shlex
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from reconciler.cli import cli
from reconciler.local import BackgroundServer, LocalCodeArtifact

TYPO = """\
apiVersion: reconciler/v1
kind: PackageLifecycle
target: {domain: acme, repository: prod}
packages:
  - format: npm
    name: acme-clj          # a typo of acme-cli
    otherwise: Archived
  - format: npm
    name: "zzz-*"
    otherwise: Archived
"""
UNMATCHED = [
    "glob 'zzz-*' matches no npm package in acme/prod",
    "no package acme/prod/npm/acme-clj; the entry changes nothing",
]
# Disposes 6 of acme-data's 8 versions: beyond the default share of 50%.
DISPOSING = """\
apiVersion: reconciler/v1
kind: PackageLifecycle
target: {domain: acme, repository: prod}
packages:
  - format: pypi
    name: acme-data
    otherwise: Disposed
    versions: {"1.4": Published, "1.5": Published}
"""
REFUSED = "apply will refuse this plan unless allowed: acme/prod/pypi/acme-data: the plan disposes 6 of its 8"
# Archives acme-cli's 0.x versions: within the limits, and nothing to warn about.
ARCHIVING = """\
apiVersion: reconciler/v1
kind: PackageLifecycle
target: {domain: acme, repository: prod}
packages:
  - format: npm
    name: acme-cli
    versions: {"0.9.0": Archived, "0.10.0": Archived, "0.10.1": Archived, "0.11.0": Archived}
"""


def run(*args: str | Path) -> Result:
    return CliRunner().invoke(cli, [str(arg) for arg in args])


def manifest(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "manifest.yaml"
    path.write_text(text)
    return path


# --- entries that match nothing


@pytest.mark.parametrize("format_", ["text", "markdown", "json"])
def test_drift_warns_about_entries_that_match_nothing(db: Path, tmp_path: Path, format_: str) -> None:
    result = run("drift", manifest(tmp_path, TYPO), "--format", format_, "--local", db)

    assert result.exit_code == 0, result.output  # no drift: but not a silent one
    if format_ == "json":
        warnings = json.loads(result.stdout)["warnings"]
        assert [warning.split(": ", 1)[1] for warning in warnings] == UNMATCHED
    for warning in UNMATCHED:
        shown = warning.replace("*", "\\*") if format_ == "markdown" else warning
        assert shown in result.stdout


@pytest.mark.parametrize("command", ["plan", "drift"])
def test_strict_makes_warnings_an_error_after_the_report(db: Path, tmp_path: Path, command: str) -> None:
    out = ["-o", tmp_path / "p.json"] if command == "plan" else []

    result = run(command, manifest(tmp_path, TYPO), "--strict", *out, "--local", db)

    assert result.exit_code == 1
    assert UNMATCHED[0] in result.stdout  # the report is out first
    assert "Error: 2 warning(s) with --strict" in result.stderr


@pytest.mark.parametrize("command", ["plan", "drift"])
def test_strict_passes_without_warnings(db: Path, tmp_path: Path, command: str) -> None:
    out = ["-o", tmp_path / "p.json"] if command == "plan" else []

    result = run(command, manifest(tmp_path, ARCHIVING), "--strict", *out, "--local", db)

    assert result.exit_code in (0, 2), result.output
    assert "--strict" not in result.stderr


# --- the blast-radius verdict in every view


@pytest.mark.parametrize(
    "view",
    [["--format", "text"], ["--format", "text", "--summary"], ["--format", "markdown"], ["--format", "json"]],
    ids=["text", "summary", "markdown", "json"],
)
def test_plan_shows_that_apply_will_refuse_it_in_every_view(
    db: Path, tmp_path: Path, view: list[str]
) -> None:
    plan_file = tmp_path / "p.json"
    result = run("plan", manifest(tmp_path, DISPOSING), "-o", plan_file, *view, "--local", db)

    assert result.exit_code == 0, result.output
    assert REFUSED in result.stdout
    assert "Apply will refuse it with the default blast-radius limits" in result.stderr
    assert "Apply exactly this plan with" not in result.stderr
    assert REFUSED in run("show", plan_file, *view).stdout
    assert run("apply", plan_file, "--local", db).exit_code == 1  # as the plan said


# --- the pasted hint


def hint(result: Result) -> list[str]:
    """The command the plan's last line says to run, as a shell would split it (without `reconciler`)."""
    line = next(line for line in result.stderr.splitlines() if "Apply exactly this plan with: " in line)
    words = shlex.split(line.split("Apply exactly this plan with: ", 1)[1])
    assert words[:2] == ["reconciler", "apply"]
    return words[1:]


def test_the_pasted_apply_hint_applies_a_plan_made_with_local(
    db: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    made = run("plan", manifest(tmp_path, ARCHIVING), "-o", "plans/my plan.json", "--local", db)
    assert made.exit_code == 0, made.output

    applied = run(*hint(made))

    assert applied.exit_code == 0, applied.output
    assert "Apply complete: 4 applied" in applied.stdout
    again = run(
        "plan", manifest(tmp_path, ARCHIVING), "-o", "again.json", "--local", db, "--detailed-exitcode"
    )
    assert again.exit_code == 0, again.output


def test_the_pasted_apply_hint_of_a_plan_that_deletes_allows_its_deletes(
    db: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    deleting = ARCHIVING.replace("Archived", "Deleted", 2)
    made = run("plan", manifest(tmp_path, deleting), "-o", "p.json", "--local", db)
    assert made.exit_code == 0, made.output
    assert hint(made)[-1] == "--allow-delete"

    applied = run(*hint(made))

    assert applied.exit_code == 0, applied.output
    assert "Apply complete: 4 applied" in applied.stdout


@pytest.fixture
def http_endpoint(db: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[str]:
    for name in (
        "AWS_PROFILE",
        "AWS_ENDPOINT_URL",
        "AWS_ENDPOINT_URL_CODEARTIFACT",
        "AWS_REGION",
        "AWS_DEFAULT_REGION",
    ):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-aws-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-aws-credentials"))
    with LocalCodeArtifact(db) as service, BackgroundServer(service) as server:
        yield server.endpoint_url


def test_the_pasted_apply_hint_applies_a_plan_made_over_http(http_endpoint: str, tmp_path: Path) -> None:
    made = run(
        "plan", manifest(tmp_path, ARCHIVING), "-o", tmp_path / "p.json",
        "--endpoint-url", http_endpoint, "--region", "us-east-1",  # the Region of the example's acme
    )  # fmt: skip
    assert made.exit_code == 0, made.output

    applied = run(*hint(made))  # no endpoint, no Region: both come from the plan

    assert applied.exit_code == 0, applied.output
    assert "Apply complete: 4 applied" in applied.stdout


def test_apply_refuses_a_given_target_that_contradicts_the_plans(
    db: Path, seeded_once: Path, tmp_path: Path
) -> None:
    plan_file = tmp_path / "p.json"
    assert run("plan", manifest(tmp_path, ARCHIVING), "-o", plan_file, "--local", db).exit_code == 0
    other = tmp_path / "other.db"
    other.write_bytes(seeded_once.read_bytes())

    result = run("apply", plan_file, "--local", other)

    assert result.exit_code == 1
    assert "Error: refused: the plan was made for another target; nothing was changed" in result.stderr
    assert f"endpoint: plan local:{db}, now local:{other}" in result.stderr


def test_an_endpoint_in_the_environment_that_contradicts_the_plan_is_refused(
    db: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    plan_file = tmp_path / "p.json"
    assert run("plan", manifest(tmp_path, ARCHIVING), "-o", plan_file, "--local", db).exit_code == 0
    monkeypatch.setenv("AWS_ENDPOINT_URL_CODEARTIFACT", "http://127.0.0.1:9")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")

    result = run("apply", plan_file)

    assert result.exit_code == 1
    assert f"endpoint: plan local:{db}, now http://127.0.0.1:9" in result.stderr


@pytest.mark.parametrize("output", ["json", "markdown"])
def test_summary_with_a_view_it_does_not_shorten_says_so(output: str, db: Path, tmp_path: Path) -> None:
    (tmp_path / "m.yaml").write_text(DISPOSING)
    plan_file = tmp_path / "p.json"
    warning = f"Warning: --summary shortens the text view only; --output {output} shows every change\n"
    runner = CliRunner()

    planned = runner.invoke(
        cli,
        [
            "plan",
            str(tmp_path / "m.yaml"),
            "--local",
            str(db),
            "-o",
            str(plan_file),
            "--output",
            output,
            "--summary",
        ],
    )
    shown = runner.invoke(cli, ["show", str(plan_file), "--output", output, "--summary"])
    text = runner.invoke(cli, ["show", str(plan_file), "--summary"])

    assert planned.exit_code == shown.exit_code == text.exit_code == 0, planned.output + shown.output
    assert planned.stderr.startswith(warning)
    assert shown.stderr == warning
    assert shown.stdout == runner.invoke(cli, ["show", str(plan_file), "--output", output]).stdout
    assert "Warning" not in text.stderr
