"""The apply report: every version with its outcome, as text and JSON; and what moved since a plan."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from reconciler.applier import ApplyReport, Outcome, VersionOutcome
from reconciler.render.markup import Line, join_spans
from reconciler.staleness import Moved, Staleness, short_view
from reconciler.versioning import version_sort_key

_ORDER = {
    Outcome.FAILED: 0,
    Outcome.MOVED: 1,
    Outcome.NOT_ATTEMPTED: 2,
    Outcome.APPLIED: 3,
    Outcome.UNCHANGED: 4,
}


# Styles as the plan's text view uses them: red for what went wrong, yellow for what was left alone.
_STYLES = {
    Outcome.FAILED: "bold red",
    Outcome.MOVED: "yellow",
    Outcome.NOT_ATTEMPTED: "yellow",
    Outcome.APPLIED: "green",
    Outcome.UNCHANGED: "",
}


def _order(item: VersionOutcome) -> tuple[object, ...]:
    """Problems first, then packages in address order, phases in apply order, versions in their
    format's order (`0.9.0` before `0.10.1`), as every view lists them."""
    return (
        _ORDER[item.outcome],
        item.package.sort_key(),
        item.kind.phase,
        version_sort_key(item.package.format, item.version),
    )


def render_apply_report(report: ApplyReport, color: bool = False, interrupted: bool = False) -> str:
    """Every version with its outcome (problems first), then the counts; `color` adds escape codes."""
    lines: list[Line] = []
    for item in sorted(report.outcomes, key=_order):
        detail = (
            f"  {': '.join(part for part in (item.code, item.message) if part)}"
            if item.code or item.message
            else ""
        )
        lines.append(
            [
                (f"{item.outcome.value:<13}", _STYLES[item.outcome]),
                (f" {item.kind.symbol} {item.package}@{item.version}  {item.prior} -> {item.after}", ""),
                (detail, "dim"),
            ]
        )
    counts = ", ".join(f"{report.count(outcome)} {outcome.value}" for outcome in Outcome)
    verdict = (
        ("Apply interrupted", "bold red")
        if interrupted
        else ("Apply complete", "bold green")
        if report.succeeded
        else ("Apply incomplete", "bold red")
    )
    lines += [[], [verdict, (f": {counts}; {report.calls} API calls.", "")]]
    return "".join(join_spans(line, color) + "\n" for line in lines)


def apply_report_json(
    report: ApplyReport,
    *,
    result: str | None = None,
    reason: tuple[str, str] | None = None,
    limits_exceeded: Sequence[str] = (),
    staleness: Staleness | None = None,
    calls: Mapping[str, int] | None = None,
    journal: str | None = None,
    plan_digest: str | None = None,
) -> dict[str, object]:
    """The report of any outcome: `result` is applied, incomplete, refused, failed or interrupted;
    `reason` the summary and detail of a refusal or an error; `calls` every call per operation."""
    result = result or ("applied" if report.succeeded else "incomplete")
    return {
        "result": result,
        "succeeded": result == "applied",
        "reason": {"summary": reason[0], "detail": reason[1]} if reason else None,
        "limits_exceeded": list(limits_exceeded),
        "moved": [_moved_json(m) for m in staleness.moved] if staleness is not None else [],
        "counts": {outcome.value: report.count(outcome) for outcome in Outcome},
        "calls": report.calls,
        "calls_by_operation": dict(sorted((calls or {}).items())),
        "throttled": report.throttled,
        "journal": journal,
        "plan_digest": plan_digest,
        "versions": [
            {
                "package": str(item.package),
                "version": item.version,
                "action": item.kind.value,
                "from": item.prior,
                "to": item.after,
                "outcome": item.outcome.value,
                "code": item.code,
                "message": item.message,
            }
            for item in report.outcomes
        ],
    }


def _moved_json(moved: Moved) -> dict[str, object]:
    return {
        "package": str(moved.package),
        "version": moved.version,
        "action": moved.kind.value,
        "where": moved.where,
        "planned": moved.planned,
        "live": moved.live,
    }


def describe_moved(staleness: Staleness) -> str:
    """One line per moved version (in package then version order), then a structured diff of plan
    against live state."""
    moved = sorted(staleness.moved, key=_moved_order)
    label = {m.key: f"{m.package}@{m.version} ({m.kind.value}, in {m.where})" for m in moved}
    planned = {label[m.key]: m.planned for m in moved}
    live = {label[m.key]: m.live for m in moved}
    # Imported here: deepdiff (and the asyncio it loads) is about a tenth of a second of every
    # command's start-up, and only a stale apply shows this.
    from deepdiff import DeepDiff

    diff = DeepDiff(planned, live, verbose_level=2)
    lines = [
        f"{m.package}@{m.version}: plan saw {short_view(m.planned)}, now {short_view(m.live)} in {m.where}"
        for m in moved
    ]
    return "\n".join(lines) + "\n" + "Structured diff (plan -> live):\n" + str(diff.to_json(indent=2))


def _moved_order(moved: Moved) -> tuple[object, ...]:
    return (moved.package.sort_key(), moved.kind.phase, version_sort_key(moved.package.format, moved.version))
