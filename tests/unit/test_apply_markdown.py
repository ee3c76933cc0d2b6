"""The apply report's Markdown for the step summary: golden, with a hostile package name."""

from __future__ import annotations

from reconciler.addresses import PackageRef, RepositoryRef
from reconciler.applier import ApplyReport, Outcome, VersionOutcome
from reconciler.codeartifact import Format
from reconciler.plan import ActionKind
from reconciler.render.apply_markdown import MARKDOWN_PROBLEM_ROWS, render_apply_markdown

REPO = RepositoryRef("acme", "prod")
HOSTILE = PackageRef(REPO, Format.GENERIC, "ns", "x|`y`<!--@team")


def outcome(
    version: str, result: Outcome, package: PackageRef = HOSTILE, message: str = ""
) -> VersionOutcome:
    return VersionOutcome(
        package, version, ActionKind.UPDATE_STATUS, "Published", "Archived", result, "", message
    )


def test_an_incomplete_apply_lists_what_was_not_applied_escaped() -> None:
    report = ApplyReport(
        outcomes=[
            outcome("1.0.0", Outcome.APPLIED),
            outcome("2.0.0", Outcome.MOVED, message="now *Unlisted* | <b>"),
        ],
        calls=3,
    )

    text = render_apply_markdown(
        report, result="incomplete", digest="ab" * 32, journal="plans/p.journal.jsonl"
    )

    assert text == (
        "### ⛔ reconciler apply: incomplete\n"
        "\n"
        "| outcome | versions |\n"
        "|---|---:|\n"
        "| applied | 1 |\n"
        "| unchanged | 0 |\n"
        "| moved | 1 |\n"
        "| failed | 0 |\n"
        "| not-attempted | 0 |\n"
        "\n"
        "3 API calls.\n"
        f"Plan digest (SHA-256): `{'ab' * 32}`\n"
        "Journal: `plans/p.journal.jsonl`\n"
        "\n"
        "| version | outcome | detail |\n"
        "|---|---|---|\n"
        "| ``acme/prod/generic/ns/x\\|`y`<!--@team@2.0.0`` | moved | now \\*Unlisted\\* \\| &lt;b&gt; |\n"
    )


def test_a_refusal_says_why_and_a_long_list_is_cut_with_a_count() -> None:
    many = [outcome(f"1.0.{n}", Outcome.NOT_ATTEMPTED) for n in range(MARKDOWN_PROBLEM_ROWS + 7)]

    text = render_apply_markdown(
        ApplyReport(outcomes=many), result="refused", reason="refused: the plan\nmoved"
    )

    assert text.startswith("### ⛔ reconciler apply: refused\n\nrefused: the plan moved\n\n")
    assert text.count("| not-attempted |  |\n") == MARKDOWN_PROBLEM_ROWS
    assert text.endswith("… and 7 more in the JSON report and the journal.\n")
