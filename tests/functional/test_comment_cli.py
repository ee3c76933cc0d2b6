"""`plan --output markdown` and `plan --comment-dir DIR` in a GitHub Actions environment: the comment
links each change to its manifest line at the commit, and the files hold the parts stdout prints."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from reconciler.planfile import read_plan
from reconciler.render import targets_id
from tests.functional.test_apply import run
from tests.functional.test_estimate_size import manifests, seeded_once  # noqa: F401 (fixtures)

SHA = "89abcdef0123456789abcdef0123456789abcdef"


@pytest.fixture
def github(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name, value in {
        "GITHUB_SERVER_URL": "https://github.example.com",
        "GITHUB_REPOSITORY": "acme/infra",
        "GITHUB_SHA": SHA,
        "GITHUB_RUN_ID": "77",
        "GITHUB_WORKSPACE": str(tmp_path),
    }.items():
        monkeypatch.setenv(name, value)


def test_the_comment_links_every_change_to_its_manifest_line_at_the_commit(
    github: None,
    db: Path,
    manifests: Path,  # noqa: F811 (the fixture imported above)
    tmp_path: Path,
) -> None:
    plan_path = tmp_path / "plans" / "pr-3.plan.json"
    comments = tmp_path / "comment"

    result = run(
        "plan", manifests, "-o", plan_path, "--output", "markdown", "--comment-dir", comments, "--local", db
    )

    assert result.exit_code == 0, result.output
    markdown = result.stdout
    assert sorted(path.name for path in comments.iterdir()) == ["comment-1.md"]
    assert (comments / "comment-1.md").read_text() == markdown
    plan = read_plan(plan_path)
    assert markdown.startswith(f"<!-- reconciler:plan targets={targets_id(plan.targets)} part=1/1 -->\n")
    assert "[workflow run 77](https://github.example.com/acme/infra/actions/runs/77)" in markdown
    assert f"`reconciler apply {plan_path} --expect-digest " in markdown
    lines = manifests.read_text().splitlines()
    links = re.findall(
        rf"\| `([^`]+)` \|[^\n]*\(https://github\.example\.com/acme/infra/blob/{SHA}/([^#)]+)#L(\d+)\)",
        markdown,
    )
    assert {version for version, _, _ in links} == {"3.0", "3.1", "0.9", "1.0"}
    for version, path, line in links:
        assert path == "manifests/prod.yaml"
        assert lines[int(line) - 1].strip().startswith(f'"{version}":')  # the very line that decides it


def test_show_renders_the_same_comment_from_the_saved_plan(
    github: None,
    db: Path,
    manifests: Path,  # noqa: F811 (the fixture imported above)
    tmp_path: Path,
) -> None:
    plan_path = tmp_path / "pr.plan.json"
    made = run("plan", manifests, "-o", plan_path, "--output", "markdown", "--local", db)

    shown = run("show", plan_path, "--output", "markdown")

    assert shown.exit_code == 0, shown.output
    assert shown.stdout == made.stdout


def test_without_the_environment_the_comment_has_no_links(
    db: Path,
    manifests: Path,  # noqa: F811 (the fixture imported above)
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for name in ("GITHUB_SERVER_URL", "GITHUB_REPOSITORY", "GITHUB_SHA", "GITHUB_RUN_ID"):
        monkeypatch.delenv(name, raising=False)
    result = run("plan", manifests, "--no-save", "--output", "markdown", "--local", db)

    assert result.exit_code == 0, result.output
    assert "](http" not in result.stdout
    assert f"at {manifests}:9" in result.stdout.replace("\\", "")


def test_a_comment_that_cannot_be_written_says_the_plan_was_saved_all_the_same(
    db: Path,
    manifests: Path,  # noqa: F811 (the fixture imported above)
    tmp_path: Path,
) -> None:
    plan_path = tmp_path / "pr.plan.json"
    (tmp_path / "comments").write_text("a file where the folder should be")

    below_a_file = tmp_path / "comments" / "pr"

    result = run("plan", manifests, "-o", plan_path, "--comment-dir", below_a_file, "--local", db)

    assert result.exit_code == 1
    assert f"cannot write the comment into {below_a_file}" in result.stderr
    assert f"The plan was saved to {plan_path} all the same." in result.stderr
    assert read_plan(plan_path).actions  # it was: the message says so rather than leave it unsaid


@pytest.mark.skipif(not Path("/dev/null").exists(), reason="needs /dev/null")
def test_a_comment_dir_that_is_a_device_is_said_not_to_be_a_directory(
    db: Path,
    manifests: Path,  # noqa: F811 (the fixture imported above)
    tmp_path: Path,
) -> None:
    plan_path = tmp_path / "pr.plan.json"

    # A regular file there is refused as an option's value; a device passes that check.
    result = run("plan", manifests, "-o", plan_path, "--comment-dir", "/dev/null", "--local", db)

    assert result.exit_code == 1
    assert "cannot write the comment into /dev/null: /dev/null is not a directory" in result.stderr
    assert "File exists" not in result.stderr
    assert f"The plan was saved to {plan_path} all the same." in result.stderr
