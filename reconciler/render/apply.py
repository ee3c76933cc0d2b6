"""The apply report: every version with its outcome."""

from __future__ import annotations

from reconciler.applier import ApplyReport, Outcome


def render_apply_report(report: ApplyReport) -> str:
    """Every version with its outcome (problems first), then the counts."""
    order = {
        Outcome.FAILED: 0,
        Outcome.MOVED: 1,
        Outcome.NOT_ATTEMPTED: 2,
        Outcome.APPLIED: 3,
        Outcome.UNCHANGED: 4,
    }
    lines: list[str] = []
    for item in sorted(report.outcomes, key=lambda o: (order[o.outcome], o.package, o.kind.phase, o.version)):
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
