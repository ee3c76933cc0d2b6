"""Workflow commands, GitHub's environment and the step summary, as values (golden strings)."""

from __future__ import annotations

from pathlib import Path

import pytest

from reconciler.github.commands import Annotation, annotate, escape_data, escape_property, locate
from reconciler.github.env import github_env
from reconciler.github.summary import append_step_summary


def test_data_and_properties_are_escaped_as_githubs_toolkit_escapes_them() -> None:
    assert escape_data("50% done\r\nnext") == "50%25 done%0D%0Anext"
    assert escape_data("a: b, c") == "a: b, c"
    assert escape_property("a: b, c%\n") == "a%3A b%2C c%25%0A"


def test_an_annotation_on_a_line_is_one_command_with_every_property() -> None:
    annotation = Annotation("error", "packages[0].name: bad", "reconciler validate", "manifests/a.yaml", 9)

    assert annotation.command() == (
        "::error file=manifests/a.yaml,line=9,title=reconciler validate::packages[0].name: bad"
    )


@pytest.mark.parametrize(
    "hostile",
    [
        "evil\n::error::pwned",
        "evil\r\n::warning file=x::pwned",
        "evil%0A::error::pwned",
        "evil%0D%0A::error::pwned",
        "::stop-commands::token",
    ],
)
def test_hostile_text_never_starts_a_command_of_its_own(hostile: str) -> None:
    texts = [
        f"manifests/a.yaml:3: no package {hostile}; the entry changes nothing",
        f"acme/staging npm {hostile}: no version will be left Published",
    ]
    lines = annotate(texts, "warning", f"title {hostile}", workspace="")
    output = "\n".join(lines)

    # One line per annotation, each ours: no other line, nothing that a runner would read as a command.
    assert output.splitlines() == lines
    assert all(line.startswith("::warning file=") or line.startswith("::warning title=") for line in lines)
    # What the runner decodes is the text given, byte for byte: `%` survives as `%`, not as a newline.
    message = lines[0].split("::", 2)[2]
    decoded = message.replace("%0A", "\n").replace("%0D", "\r").replace("%25", "%")
    assert decoded == f"no package {hostile}; the entry changes nothing"


def test_a_hostile_file_name_cannot_end_its_property_early() -> None:
    command = Annotation("error", "m", "t", "dir,line=1:x/a.yaml", 2).command()

    assert command == "::error file=dir%2Cline=1%3Ax/a.yaml,line=2,title=t::m"


def test_problems_are_placed_on_their_file_and_line_relative_to_the_workspace() -> None:
    at_line = locate("/w/repo/manifests/a.yaml:12: rules[0]: bad", "error", "t", workspace="/w/repo")
    whole_file = locate("manifests/gone.yaml: no such file or directory", "error", "t")
    nowhere = locate("acme/prod npm web-sdk: no version will be left Published", "warning", "t")
    outside = locate("/elsewhere/a.yml:1: x", "error", "t", workspace="/w/repo")

    assert (at_line.file, at_line.line, at_line.message) == ("manifests/a.yaml", 12, "rules[0]: bad")
    assert (whole_file.file, whole_file.line, whole_file.message) == (
        "manifests/gone.yaml",
        None,
        "no such file or directory",
    )
    assert (nowhere.file, nowhere.line) == (None, None)
    assert nowhere.command() == "::warning title=t::acme/prod npm web-sdk: no version will be left Published"
    assert outside.file == "/elsewhere/a.yml"


def test_the_environment_of_a_job_and_of_no_job() -> None:
    job = github_env(
        {
            "GITHUB_ACTIONS": "true",
            "GITHUB_SHA": "abc1234",
            "GITHUB_SERVER_URL": "https://ghe.example.com",
            "GITHUB_API_URL": "https://ghe.example.com/api/v3",
            "GITHUB_REPOSITORY": "acme/manifests",
            "GITHUB_RUN_ID": "42",
            "GITHUB_TOKEN": "t0ken",
            "GITHUB_WORKSPACE": "/w/repo",
            "GITHUB_STEP_SUMMARY": "/tmp/summary.md",
        }
    )
    nothing = github_env({})

    assert job.actions and job.sha == "abc1234" and job.api_url == "https://ghe.example.com/api/v3"
    assert job.run_url == "https://ghe.example.com/acme/manifests/actions/runs/42"
    assert job.step_summary == Path("/tmp/summary.md") and job.token == "t0ken"
    assert not nothing.actions
    assert (nothing.server_url, nothing.api_url) == ("", "https://api.github.com")
    assert nothing.run_url is None and nothing.step_summary is None
    assert not github_env({"GITHUB_ACTIONS": "1"}).actions  # only "true", as GitHub sets it


def test_the_step_summary_is_appended_to_and_a_failure_is_a_warning(tmp_path: Path) -> None:
    summary = tmp_path / "summary.md"
    summary.write_text("# earlier step\n", encoding="utf-8")

    assert append_step_summary(summary, "## plan") is None
    assert append_step_summary(summary, "more\n") is None
    assert summary.read_text(encoding="utf-8") == "# earlier step\n## plan\nmore\n"

    problem = append_step_summary(tmp_path, "x")  # a directory: cannot be opened for appending
    assert problem is not None and problem.startswith(f"could not append to the step summary {tmp_path}")
