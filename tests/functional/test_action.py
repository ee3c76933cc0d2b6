"""The shell of the GitHub Action's steps, run by bash as a runner runs them: inputs in the
environment, outputs read back from `$GITHUB_OUTPUT`, against the local service over HTTP seeded
with the example data (plan, a refused apply, an apply of that plan with its digest, drift); the sticky comment step
against a stand-in `gh` that answers from a list of comments and records every call.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from reconciler.local import BackgroundServer, LocalCodeArtifact
from reconciler.planfile import plan_digest, read_plan

ROOT = Path(__file__).resolve().parents[2]
# Two of the example manifests, as the `paths` input writes them (separated by white space): a plan
# with copies, updates and disposes that apply carries out in a moment at AWS's default quotas.
PATHS = f"{ROOT / 'manifests/prod/tools.yaml'}\n  {ROOT / 'manifests/prod/python.yaml'}"
STEPS = {step["name"]: step for step in yaml.safe_load((ROOT / "action.yml").read_text())["runs"]["steps"]}
pytestmark = pytest.mark.http


@pytest.fixture
def endpoint(db: Path) -> Iterator[str]:
    with LocalCodeArtifact(db) as service, BackgroundServer(service) as server:
        yield server.endpoint_url


@pytest.fixture
def runner(tmp_path: Path) -> dict[str, str]:
    """A runner's environment: a temporary directory, a `reconciler` on PATH (this checkout's)."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    shim = bin_dir / "reconciler"
    shim.write_text(f'#!/bin/sh\nexec "{sys.executable}" -m reconciler "$@"\n', encoding="utf-8")
    shim.chmod(0o755)
    temp = tmp_path / "runner-temp"
    temp.mkdir()
    return {
        "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}",
        "PYTHONPATH": str(ROOT),
        "HOME": str(tmp_path),
        "RUNNER_TEMP": str(temp),
        "GITHUB_ACTIONS": "true",
        "GITHUB_STEP_SUMMARY": str(tmp_path / "summary.md"),
        "AWS_ACCESS_KEY_ID": "local",
        "AWS_SECRET_ACCESS_KEY": "local",
        "AWS_DEFAULT_REGION": "us-east-1",
    }


def step(name: str, env: dict[str, str], cwd: Path) -> tuple[int, dict[str, str], str]:
    """Run one step's script; its exit code, the outputs it wrote and its combined output."""
    outputs = cwd / f"outputs-{len(list(cwd.glob('outputs-*')))}.txt"
    outputs.touch()
    result = subprocess.run(
        # As a runner runs a `shell: bash` step.
        ["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", STEPS[name]["run"]],
        cwd=cwd,
        env={**env, "GITHUB_OUTPUT": str(outputs)},
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    written = dict(line.split("=", 1) for line in outputs.read_text(encoding="utf-8").splitlines() if line)
    return result.returncode, written, result.stdout + result.stderr


def run_command(command: str, runner: dict[str, str], cwd: Path, **inputs: str) -> dict[str, str]:
    env = {
        **runner,
        "COMMAND": command,
        "MANIFEST_PATHS": PATHS,
        "PLAN_FILE": "plans/pr-7.plan.json",
        "EXPECT_DIGEST": "",
        "REGION": "us-east-1",
        "ENDPOINT_URL": "",
        "ALLOW_DELETE": "false",
        "MAX_DISPOSE": "",
        "MAX_DISPOSE_SHARE": "",
        "GRACE": "",
        "STRICT": "false",
        "COMMENT": "false",
        "GITHUB_ISSUE": "false",
        "GITHUB_TOKEN": "",
        "INSTALL": "false",
        **inputs,
    }
    code, outputs, log = step("Run reconciler", env, cwd)
    assert code == 0, log
    code, counts, log = step(
        "Read the counts",
        {
            **runner,
            "COMMAND": command,
            "REPORT": outputs["report"],
            "PLAN_FILE": outputs.get("plan-file", ""),
        },
        cwd,
    )
    assert code == 0, log
    return {**outputs, **counts}


def test_plan_then_apply_with_the_digest_then_drift_through_the_actions_steps(
    endpoint: str, runner: dict[str, str], tmp_path: Path
) -> None:
    work = tmp_path / "work"
    work.mkdir()

    planned = run_command("plan", runner, work, ENDPOINT_URL=endpoint)
    plan_file = work / "plans" / "pr-7.plan.json"
    made = read_plan(plan_file)
    digest = plan_digest(made)
    assert planned["exit-code"] == "2"  # changes
    assert planned["plan-file"] == "plans/pr-7.plan.json"
    assert planned["digest"] == digest
    assert (
        planned["to-copy"],
        planned["to-update"],
        planned["to-dispose"],
        planned["to-delete"],
        planned["cannot-converge"],
    ) == (
        str(made.summary.to_copy),
        str(made.summary.to_update),
        str(made.summary.to_dispose),
        str(made.summary.to_delete),
        "0",
    )
    assert made.summary.to_delete == 1
    assert digest in Path(planned["report"]).read_text(encoding="utf-8")  # the Markdown view

    refused = run_command(
        "apply", runner, work, ENDPOINT_URL=endpoint, EXPECT_DIGEST="0" * 64, MAX_DISPOSE="1000"
    )
    assert (refused["exit-code"], refused["result"], refused["applied"]) == ("1", "refused", "0")

    # python.yaml declares a version Deleted: without allow-delete the reviewed plan is refused.
    undeleted = run_command("apply", runner, work, ENDPOINT_URL=endpoint, EXPECT_DIGEST=digest)
    assert (undeleted["exit-code"], undeleted["result"], undeleted["applied"]) == ("1", "refused", "0")
    reason = json.loads(Path(undeleted["report"]).read_text(encoding="utf-8"))["reason"]
    assert "deletes are not allowed" in reason["summary"] and "--allow-delete" in reason["detail"]

    applied = run_command(
        "apply", runner, work, ENDPOINT_URL=endpoint, EXPECT_DIGEST=digest, ALLOW_DELETE="true"
    )
    assert (applied["exit-code"], applied["result"], applied["digest"]) == ("0", "applied", digest)
    report = json.loads(Path(applied["report"]).read_text(encoding="utf-8"))
    assert report["plan_digest"] == digest
    assert int(applied["applied"]) == report["counts"]["applied"] > 0

    drift = run_command("drift", runner, work, ENDPOINT_URL=endpoint, GRACE="1h")
    assert (drift["exit-code"], drift["drifted"]) == ("0", "0")

    # Each command appended its Markdown to the step summary, in order.
    summary = Path(runner["GITHUB_STEP_SUMMARY"]).read_text(encoding="utf-8")
    assert (
        summary.index(digest)
        < summary.index("reconciler apply: refused")
        < summary.index("reconciler apply: applied")
        < summary.index("## Reconciler drift: in sync")
    )


@pytest.mark.parametrize(
    ("command", "code", "fails"),
    [("plan", "0", False), ("plan", "2", False), ("plan", "1", True), ("plan", "3", True),
     ("drift", "2", False), ("drift", "130", True), ("apply", "0", False), ("apply", "2", True),
     ("apply", "1", True), ("plan", "", True)],
)  # fmt: skip
def test_the_step_fails_on_every_exit_code_that_is_not_a_result(
    command: str, code: str, fails: bool, runner: dict[str, str], tmp_path: Path
) -> None:
    exit_code, _, _ = step("Fail on an error", {**runner, "COMMAND": command, "CODE": code}, tmp_path)

    assert (exit_code != 0) is fails


FAKE_GH = """\
import json, subprocess, sys
from pathlib import Path
here = Path(sys.argv[0]).parent
with open(here / "calls.jsonl", "a") as log:
    log.write(json.dumps(sys.argv[1:]) + "\\n")
args = sys.argv[1:]
if "--jq" in args:
    expression = args[args.index("--jq") + 1]
    sys.stdout.write(subprocess.run(["jq", "-c", expression], input=(here / "comments.json").read_text(),
                                    capture_output=True, text=True, check=True).stdout)
"""


def test_the_sticky_comment_updates_its_parts_posts_new_ones_and_removes_stale_ones(
    runner: dict[str, str], tmp_path: Path
) -> None:
    if shutil.which("jq") is None:
        pytest.skip("jq is not installed (GitHub's runners have it)")
    bin_dir = Path(runner["PATH"].split(os.pathsep)[0])
    gh = bin_dir / "gh"
    gh.write_text(f"#!{sys.executable}\n{FAKE_GH}", encoding="utf-8")
    gh.chmod(0o755)
    marker = "<!-- reconciler:plan targets=abc123def456 part={}/{} -->"
    comments = [
        {"id": 11, "user": {"login": "github-actions[bot]"}, "body": marker.format(1, 3) + "\nold 1"},
        {"id": 12, "user": {"login": "someone"}, "body": marker.format(2, 2) + "\nnot ours to edit"},
        {"id": 13, "user": {"login": "github-actions[bot]"}, "body": marker.format(3, 3) + "\nold 3"},
        {"id": 14, "user": {"login": "github-actions[bot]"}, "body": "unrelated"},
        {
            "id": 15,
            "user": {"login": "github-actions[bot]"},
            "body": "<!-- reconciler:plan targets=other part=3/3 -->",
        },
    ]
    (bin_dir / "comments.json").write_text(json.dumps(comments), encoding="utf-8")
    parts = tmp_path / "comment"
    parts.mkdir()
    (parts / "comment-1.md").write_text(marker.format(1, 2) + "\nnew 1\n", encoding="utf-8")
    (parts / "comment-2.md").write_text(marker.format(2, 2) + "\nnew 2\n", encoding="utf-8")
    env = {
        **runner,
        "GH_TOKEN": "t",
        "REPOSITORY": "acme/manifests",
        "PR_NUMBER": "7",
        "COMMENT_DIR": str(parts),
        "AUTHOR": "github-actions[bot]",
    }
    Path(runner["RUNNER_TEMP"], "codeartifact-reconciler-out").mkdir()

    code, _, log = step("Post or update the plan comment", env, tmp_path)

    assert code == 0, log
    calls = [json.loads(line) for line in (bin_dir / "calls.jsonl").read_text().splitlines()]
    assert calls[1:] == [
        # Part 1 of the same targets (of three parts then, two now) is updated in place; part 2's
        # comment is someone else's: a new one.
        ["api", "-X", "PATCH", "repos/acme/manifests/issues/comments/11", "-F", f"body=@{parts}/comment-1.md", "--silent"],
        ["api", "-X", "POST", "repos/acme/manifests/issues/7/comments", "-F", f"body=@{parts}/comment-2.md", "--silent"],
        # Part 3 of the same targets is left over from a longer plan; other targets are not touched.
        ["api", "-X", "DELETE", "repos/acme/manifests/issues/comments/13", "--silent"],
    ]  # fmt: skip
    assert calls[0][:3] == ["api", "--paginate", "repos/acme/manifests/issues/7/comments"]
