"""The apply report: every version with its outcome, as text and JSON; and what moved since a plan."""

from __future__ import annotations

from deepdiff import DeepDiff

from reconciler.applier import ApplyReport, Outcome
from reconciler.staleness import Staleness, short_view

_ORDER = {
    Outcome.FAILED: 0,
    Outcome.MOVED: 1,
    Outcome.NOT_ATTEMPTED: 2,
    Outcome.APPLIED: 3,
    Outcome.UNCHANGED: 4,
}


def render_apply_report(report: ApplyReport) -> str:
    """Every version with its outcome (problems first), then the counts."""
    lines: list[str] = []
    ordered = sorted(
        report.outcomes, key=lambda o: (_ORDER[o.outcome], str(o.package), o.kind.phase, o.version)
    )
    for item in ordered:
        detail = (
            f"  {': '.join(part for part in (item.code, item.message) if part)}"
            if item.code or item.message
            else ""
        )
        lines.append(
            f"{item.outcome.value:<13} {item.kind.symbol} {item.package}@{item.version}  "
            f"{item.prior} -> {item.after}{detail}"
        )
    counts = ", ".join(f"{report.count(outcome)} {outcome.value}" for outcome in Outcome)
    verdict = "Apply complete" if report.succeeded else "Apply incomplete"
    lines.append("")
    lines.append(f"{verdict}: {counts}; {report.calls} API calls.")
    return "\n".join(lines) + "\n"


def apply_report_json(report: ApplyReport) -> dict[str, object]:
    return {
        "succeeded": report.succeeded,
        "counts": {outcome.value: report.count(outcome) for outcome in Outcome},
        "calls": report.calls,
        "throttled": report.throttled,
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


def describe_moved(staleness: Staleness) -> str:
    """One line per moved version, then a structured diff of plan against live state."""
    label = {m.key: f"{m.package}@{m.version} ({m.kind.value}, in {m.where})" for m in staleness.moved}
    planned = {label[m.key]: m.planned for m in staleness.moved}
    live = {label[m.key]: m.live for m in staleness.moved}
    diff = DeepDiff(planned, live, verbose_level=2)
    lines = [
        f"{m.package}@{m.version}: plan saw {short_view(m.planned)}, now {short_view(m.live)} in {m.where}"
        for m in staleness.moved
    ]
    return "\n".join(lines) + "\n" + "Structured diff (plan -> live):\n" + str(diff.to_json(indent=2))
