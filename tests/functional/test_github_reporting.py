"""Annotations and the step summary through the command line, with a GitHub Actions job's environment
variables set in the test, against the local service seeded with the example data."""

from __future__ import annotations

import re
from pathlib import Path

from click.testing import CliRunner, Result

from reconciler.cli import cli
from reconciler.planfile import plan_digest, read_plan

REPO = Path(__file__).parents[2]
MANIFESTS = REPO / "manifests"
HOSTILE = "evil%0A::error::pwned,x:1"
# A command line as the runner reads it: after leading whitespace, `::` (stdout and stderr alike).
COMMAND = re.compile(r"^\s*::")

BROKEN = """\
apiVersion: reconciler/v1
kind: PackageLifecycle
target: {domain: acme, region: us-east-1, repository: staging}
packages:
  - format: npm
    name: "bad name\\n::error::pwned"
    rules:
      - status: Archived
"""

UNMATCHED = f"""\
apiVersion: reconciler/v1
kind: PackageLifecycle
target: {{domain: acme, region: us-east-1, repository: staging}}
packages:
  - format: npm
    namespace: acme
    name: web-sdk
    rules:
      - prerelease: true
        status: Unlisted
  - format: npm
    name: "{HOSTILE}"
    rules:
      - status: Archived
"""


def run(args: list[str | Path], env: dict[str, str]) -> Result:
    return CliRunner().invoke(cli, [str(arg) for arg in args], env=env)


def commands(text: str) -> list[str]:
    return [line for line in text.splitlines() if COMMAND.match(line)]


def test_validation_problems_are_annotated_on_their_line_in_a_job_and_only_there(tmp_path: Path) -> None:
    manifest = tmp_path / "broken.yaml"
    manifest.write_text(BROKEN, encoding="utf-8")

    in_job = run(["validate", manifest], {"GITHUB_ACTIONS": "true", "GITHUB_WORKSPACE": str(tmp_path)})
    outside = run(["validate", manifest], {})
    forced = run(["validate", manifest, "--annotations", "github"], {})
    off = run(["validate", manifest, "--annotations", "none"], {"GITHUB_ACTIONS": "true"})

    assert in_job.exit_code == outside.exit_code == forced.exit_code == off.exit_code == 1
    [annotation] = commands(in_job.stderr)
    assert annotation.startswith(
        "::error file=broken.yaml,line=6,title=reconciler validate::packages[0].name: "
    )
    assert "%0A" not in annotation  # the line break is the problem's quoted `\n`, not a real one
    assert commands(forced.stderr) == [annotation.replace("file=broken.yaml", f"file={manifest}")]
    assert commands(outside.stderr) == commands(off.stderr) == []
    # The ordinary message is unchanged by annotations.
    assert outside.stderr in in_job.stderr.replace(annotation + "\n", "")


def test_plan_warnings_with_a_hostile_name_are_annotations_that_inject_nothing(
    db: Path, tmp_path: Path
) -> None:
    manifest = tmp_path / "unmatched.yaml"
    manifest.write_text(UNMATCHED, encoding="utf-8")
    summary = tmp_path / "summary.md"
    summary.write_text("earlier step\n", encoding="utf-8")
    env = {"GITHUB_ACTIONS": "true", "GITHUB_STEP_SUMMARY": str(summary), "GITHUB_WORKSPACE": str(tmp_path)}
    out = tmp_path / "plan.json"

    result = run(["plan", manifest, "--local", db, "-o", out, "--output", "markdown"], env)

    assert result.exit_code == 0, result.output
    unmatched, default_version = commands(result.stderr)
    assert unmatched == (
        "::warning file=unmatched.yaml,line=11,title=reconciler plan::"
        "no package acme/staging/npm/evil%250A::error::pwned,x:1; the entry changes nothing"
    )
    # A warning about a package, not a line: on the run.
    assert default_version.startswith("::warning title=reconciler plan::acme/staging/npm/acme/web-sdk: ")
    assert commands(result.stdout) == []  # stdout stays the view the job redirects
    # The summary: what came before, then the plan's Markdown with the digest apply checks.
    written = summary.read_text(encoding="utf-8")
    assert written.startswith("earlier step\n")
    assert f"`{plan_digest(read_plan(out))}`" in written
    assert written.removeprefix("earlier step\n") == result.stdout


def test_strict_adds_an_error_on_the_run_to_the_warnings_on_their_lines(db: Path, tmp_path: Path) -> None:
    manifest = tmp_path / "unmatched.yaml"
    manifest.write_text(UNMATCHED, encoding="utf-8")

    result = run(["plan", manifest, "--local", db, "--no-save", "--strict"], {"GITHUB_ACTIONS": "true"})

    assert result.exit_code == 1
    unmatched, default_version, refused = commands(result.stderr)
    assert unmatched.startswith(f"::warning file={manifest},line=11,title=reconciler plan::no package ")
    assert default_version.startswith("::warning title=reconciler plan::")
    assert refused.startswith("::error title=reconciler plan::2 warning(s) with --strict%0A")


def test_versions_that_cannot_converge_are_errors_on_the_line_that_declared_them(
    db: Path, tmp_path: Path
) -> None:
    manifest = tmp_path / "prod.yaml"
    manifest.write_text(
        "apiVersion: reconciler/v1\nkind: PackageLifecycle\n"
        "target: {domain: acme, repository: prod}\npackages:\n"
        "  - format: npm\n    namespace: acme\n    name: web-sdk\n    versions:\n"
        '      "1.1.1": Published\n',  # Disposed in prod: Disposed is final
        encoding="utf-8",
    )

    result = run(["plan", manifest, "--local", db, "--no-save"], {"GITHUB_ACTIONS": "true"})

    assert result.exit_code == 1
    [error] = commands(result.stderr)
    assert error == (
        f"::error file={manifest},line=9,title=reconciler plan::"
        "acme/prod/npm/acme/web-sdk@1.1.1: cannot converge: Disposed is final (declared Published)"
    )


def test_a_step_summary_that_cannot_be_written_is_a_warning_and_the_exit_code_stays(
    db: Path, tmp_path: Path
) -> None:
    unwritable = tmp_path / "a-directory"
    unwritable.mkdir()
    args: list[str | Path] = ["plan", MANIFESTS, "--local", db, "--no-save", "--detailed-exitcode"]

    failing = run(args, {"GITHUB_STEP_SUMMARY": str(unwritable)})
    plain = run(args, {})

    assert failing.exit_code == plain.exit_code == 2
    assert f"Warning: could not append to the step summary {unwritable}" in failing.stderr
    assert "Warning" not in plain.stderr
    counts = [[line for line in r.stdout.splitlines() if line.startswith("Plan: ")] for r in (failing, plain)]
    assert counts[0] == counts[1] and counts[0]  # the same plan, shown the same way


def test_drift_and_apply_append_their_markdown_to_the_step_summary(db: Path, tmp_path: Path) -> None:
    summary = tmp_path / "summary.md"
    env = {"GITHUB_STEP_SUMMARY": str(summary)}
    plan_file = tmp_path / "plan.json"

    drifted = run(["drift", MANIFESTS, "--local", db], env)
    after_drift = summary.read_text(encoding="utf-8")
    made = run(["plan", MANIFESTS, "--local", db, "-o", plan_file], env)
    after_plan = summary.read_text(encoding="utf-8")
    applied = run(["apply", plan_file, "--local", db, "--rate-scale", "10", "--allow-delete"], env)
    after_apply = summary.read_text(encoding="utf-8")

    assert (drifted.exit_code, made.exit_code, applied.exit_code) == (2, 0, 0), applied.output
    assert after_drift.startswith("<!-- reconciler:drift targets=")
    assert "\n## Reconciler drift: " in after_drift
    assert after_drift.splitlines()[1].endswith(" versions differ from the manifests")
    assert after_plan.startswith(after_drift) and after_apply.startswith(after_plan)
    apply_part = after_apply.removeprefix(after_plan)
    assert apply_part.startswith("### ✅ reconciler apply: applied\n")
    count = len(read_plan(plan_file).actions)
    assert count > 0
    assert f"Plan digest (SHA-256): `{plan_digest(read_plan(plan_file))}`" in apply_part
    assert "| failed | 0 |" in apply_part


def test_an_apply_refusal_is_annotated_and_summarised(db: Path, tmp_path: Path) -> None:
    plan_file = tmp_path / "plan.json"
    assert run(["plan", MANIFESTS, "--local", db, "-o", plan_file], {}).exit_code == 0
    summary = tmp_path / "summary.md"
    env = {"GITHUB_ACTIONS": "true", "GITHUB_STEP_SUMMARY": str(summary)}

    refused = run(["apply", plan_file, "--local", db, "--expect-digest", "0" * 64], env)

    assert refused.exit_code == 1
    [error] = commands(refused.stderr)
    assert error.startswith("::error title=reconciler apply::refused")
    written = summary.read_text(encoding="utf-8")
    assert written.startswith("### ⛔ reconciler apply: refused\n")
    assert "| applied | 0 |" in written
