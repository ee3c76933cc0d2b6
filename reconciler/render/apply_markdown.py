"""The apply report as short Markdown, for a job's step summary: how it ended, the counts, and every
version that was not applied (at most a screenful; the JSON report and the journal have them all)."""

from __future__ import annotations

from reconciler.applier import ApplyReport, Outcome
from reconciler.render.markup import code_span, escape_markdown

MARKDOWN_PROBLEM_ROWS = 50
_NOT_APPLIED = (Outcome.FAILED, Outcome.MOVED, Outcome.NOT_ATTEMPTED)


def render_apply_markdown(
    report: ApplyReport,
    *,
    result: str,
    reason: str | None = None,
    digest: str | None = None,
    journal: str | None = None,
) -> str:
    """`result` is applied, incomplete, refused, failed or interrupted; `reason` why it stopped short."""
    icon = "✅" if result == "applied" else "⛔"
    lines = [f"### {icon} reconciler apply: {result}", ""]
    if reason:
        lines += [escape_markdown(reason), ""]
    lines += ["| outcome | versions |", "|---|---:|"]
    lines += [f"| {outcome.value} | {report.count(outcome)} |" for outcome in Outcome]
    lines += ["", f"{report.calls} API calls."]
    if digest:
        lines.append(f"Plan digest (SHA-256): `{digest}`")
    if journal:
        lines.append(f"Journal: {code_span(journal)}")
    problems = [item for item in report.outcomes if item.outcome in _NOT_APPLIED]
    if problems:
        lines += ["", "| version | outcome | detail |", "|---|---|---|"]
        for item in problems[:MARKDOWN_PROBLEM_ROWS]:
            detail = ": ".join(part for part in (item.code, item.message) if part)
            lines.append(
                f"| {code_span(f'{item.package}@{item.version}')} | {item.outcome.value} "
                f"| {escape_markdown(detail)} |"
            )
        if len(problems) > MARKDOWN_PROBLEM_ROWS:
            lines.append(
                f"\n… and {len(problems) - MARKDOWN_PROBLEM_ROWS} more in the JSON report and the journal."
            )
    return "\n".join(lines) + "\n"
