"""What every view shares: one version order, one vocabulary for counts, one order of changes, and
colour only when asked for."""

from __future__ import annotations

import json
import re

from reconciler.applier import ApplyReport, Outcome, VersionOutcome
from reconciler.plan import ActionKind
from reconciler.planfile import plan_from_document
from reconciler.render import render_drift, render_plan_json, render_plan_markdown, render_plan_text
from reconciler.render.apply import describe_moved, render_apply_report
from reconciler.staleness import Moved, Staleness
from tests.unit.test_drift import _sample
from tests.unit.test_render import WEB_SDK, realistic_plan

ANSI = re.compile(r"\x1b\[[0-9;]*m")


def outcome(version: str, result: Outcome = Outcome.APPLIED) -> VersionOutcome:
    return VersionOutcome(WEB_SDK, version, ActionKind.UPDATE_STATUS, "Published", "Unlisted", result)


def test_the_apply_report_lists_versions_in_their_formats_order_not_as_strings() -> None:
    report = ApplyReport([outcome("0.10.1"), outcome("0.9.0"), outcome("0.10.0"), outcome("1.0.0-rc.1")])

    listed = re.findall(r"web-sdk@(\S+)", render_apply_report(report))

    assert listed == ["0.9.0", "0.10.0", "0.10.1", "1.0.0-rc.1"]


def test_the_apply_report_still_lists_problems_first() -> None:
    report = ApplyReport([outcome("0.9.0"), outcome("0.10.1", Outcome.FAILED)])

    assert re.findall(r"web-sdk@(\S+)", render_apply_report(report)) == ["0.10.1", "0.9.0"]


def test_versions_that_moved_are_listed_in_their_formats_order() -> None:
    def moved(version: str) -> Moved:
        planned = {"status": "Published", "revision": "r1"}
        return Moved(WEB_SDK, version, ActionKind.UPDATE_STATUS, planned, None, "prod")

    text = describe_moved(Staleness(moved=[moved("0.10.1"), moved("0.9.0")]))

    assert text.index("web-sdk@0.9.0: plan saw") < text.index("web-sdk@0.10.1: plan saw")


def test_the_apply_report_is_coloured_only_when_asked() -> None:
    report = ApplyReport([outcome("0.9.0"), outcome("0.10.1", Outcome.FAILED)])

    plain = render_apply_report(report)
    coloured = render_apply_report(report, color=True)

    assert "\x1b[" not in plain
    assert "\x1b[1;31mfailed" in coloured and "\x1b[1;31mApply incomplete" in coloured
    assert ANSI.sub("", coloured) == plain


def test_the_drift_text_is_coloured_only_when_asked() -> None:
    plain = render_drift(_sample(), "text")
    coloured = render_drift(_sample(), "text", color=True)

    assert "\x1b[" not in plain
    assert "\x1b[1;31m    ! 1.1.1" in coloured
    assert ANSI.sub("", coloured) == plain


def _rows(markdown: str) -> list[tuple[str, str]]:
    found = re.findall(r"^\| \**(copy|update|dispose)\** \| `([^`]+)` \|", markdown, flags=re.MULTILINE)
    return [(kind, version) for kind, version in found]


def _text_rows(text: str) -> list[tuple[str, str]]:
    kinds = {"+": "copy", "~": "update", "-": "dispose"}
    found = re.findall(r"^    ([+~-]) (\S+)", text, flags=re.MULTILINE)
    return [(kinds[symbol], version) for symbol, version in found]


def test_the_markdown_plan_lists_changes_in_the_text_views_order() -> None:
    plan = realistic_plan()

    markdown_rows = _rows(render_plan_markdown(plan))

    assert markdown_rows == _text_rows(render_plan_text(plan))
    assert [kind for kind, _ in markdown_rows[:3]] == ["copy", "copy", "update"]


def test_plan_counts_use_the_words_drift_uses() -> None:
    plan = realistic_plan()
    text = render_plan_text(plan)
    markdown = render_plan_markdown(plan)

    for words in ("as declared", "unmanaged", "cannot converge"):
        assert words in text and f"| {words} |" in markdown.replace("| to ", "| ")
    assert "unchanged" not in text and "unchanged" not in markdown


def test_drifts_json_counts_are_keyed_by_the_labels_its_other_views_show() -> None:
    report = _sample()
    counts = json.loads(render_drift(report, "json"))["counts"]
    text = render_drift(report, "text")
    markdown = render_drift(report, "markdown")

    for key, value in counts.items():
        words = key.replace("_", " ")
        assert f"{value} {words}" in text, key
        assert f"{words}" in markdown.split("\n| ---")[0], key


def test_the_plan_files_counts_use_the_views_words_and_older_files_still_read() -> None:
    plan = realistic_plan()
    document = json.loads(render_plan_json(plan))

    assert document["summary"] == {
        "to_copy": 3,
        "to_update": 5,
        "to_dispose": 5,
        "as_declared": 2,
        "unmanaged": 40,
        "cannot_converge": 1,
    }
    summary = document["summary"]
    summary["unchanged"], summary["errors"] = summary.pop("as_declared"), summary.pop("cannot_converge")
    assert plan_from_document(document) == plan
