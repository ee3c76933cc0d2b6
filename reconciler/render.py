"""Views of a plan: Terraform-like text, a pull-request comment in Markdown, and canonical JSON.

Every view is a pure function of the plan that returns a string, and the same plan always renders to
the same bytes. Counts are listed most destructive first, so a reviewer reads the disposes before
anything else.
"""

from __future__ import annotations

import html
import json
import re
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Literal, assert_never

from rich.color import ColorSystem
from rich.style import Style

from reconciler.applier import ApplyReport, Outcome
from reconciler.drift import DriftItem, DriftKind, DriftReport, format_duration
from reconciler.plan import Action, ActionKind, PackageAddress, Plan, VersionChange, VersionProblem

__all__ = [
    "GITHUB_COMMENT_LIMIT",
    "MARKDOWN_BUDGET",
    "MARKDOWN_ROWS_PER_PACKAGE",
    "RenderFormat",
    "code_span",
    "escape_markdown",
    "render_apply_report",
    "render_drift",
    "render_drift_json",
    "render_drift_markdown",
    "render_drift_text",
    "render_plan",
    "render_plan_json",
    "render_plan_markdown",
    "render_plan_text",
]

RenderFormat = Literal["text", "json", "markdown"]

# GitHub rejects an issue or pull-request comment longer than this many characters.
GITHUB_COMMENT_LIMIT = 65_536
# What the Markdown view allows itself, leaving room for whatever a CI job wraps around it.
MARKDOWN_BUDGET = 60_000
MARKDOWN_ROWS_PER_PACKAGE = 200
# Warnings and errors listed in the comment before "... and N more".
MARKDOWN_NOTES_LISTED = 50
# Room kept free for the one-line list of packages that get no section, and for the closing line.
_MARKDOWN_LIST_ROOM = 2_000
_MARKDOWN_CLOSING_ROOM = 500

# Most destructive first: what cannot be undone is what a reviewer must see first.
KINDS_BY_HARM = tuple(sorted(ActionKind, key=lambda kind: (not kind.is_destructive, -kind.phase)))
_COUNT_LABELS = {ActionKind.DISPOSE: "dispose", ActionKind.UPDATE_STATUS: "update", ActionKind.COPY: "copy"}
_LEGEND = {
    ActionKind.COPY: "copy from another repository",
    ActionKind.UPDATE_STATUS: "update status",
    ActionKind.DISPOSE: "dispose (irreversible: the assets are deleted)",
}
_STYLES = {ActionKind.COPY: "green", ActionKind.UPDATE_STATUS: "yellow", ActionKind.DISPOSE: "bold red"}
NO_CHANGES = "No changes. Live state matches the manifests."


def render_plan(plan: Plan, format: RenderFormat, summary_only: bool = False, color: bool = False) -> str:
    """The plan in one of the three views; `summary_only` and `color` apply to the text view only."""
    match format:
        case "text":
            return render_plan_text(plan, summary_only=summary_only, color=color)
        case "json":
            return render_plan_json(plan)
        case "markdown":
            return render_plan_markdown(plan)
        case _:
            assert_never(format)


def render_plan_json(plan: Plan) -> str:
    """The machine view: the plan file's own fields, sorted keys, two-space indent; it round-trips."""
    return json.dumps(plan.model_dump(mode="json", by_alias=True), sort_keys=True, indent=2) + "\n"


# -- shared ------------------------------------------------------------------------------------------


@dataclass
class _PackageChanges:
    """One package's changes in plan order, each with the action that makes it."""

    address: PackageAddress
    changes: list[tuple[Action, VersionChange]] = field(default_factory=list)

    def counts(self) -> Counter[ActionKind]:
        return Counter(action.kind for action, _ in self.changes)


def _by_package(plan: Plan) -> list[_PackageChanges]:
    """Changes grouped per package, packages in address order, changes in the order apply makes them."""
    packages: dict[PackageAddress, _PackageChanges] = {}
    for action in plan.actions:
        group = packages.setdefault(action.package, _PackageChanges(action.package))
        group.changes.extend((action, change) for change in action.versions)
    return [packages[address] for address in sorted(packages, key=PackageAddress.sort_key)]


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


def _counts(counts: Mapping[ActionKind, int], zeros: bool = False) -> str:
    """`2 to dispose, 5 to update`: most destructive first, zeros left out unless asked for."""
    return ", ".join(
        f"{counts.get(kind, 0)} to {_COUNT_LABELS[kind]}"
        for kind in KINDS_BY_HARM
        if zeros or counts.get(kind)
    )


def _plan_counts(plan: Plan) -> dict[ActionKind, int]:
    summary = plan.summary
    return {
        ActionKind.DISPOSE: summary.to_dispose,
        ActionKind.UPDATE_STATUS: summary.to_update,
        ActionKind.COPY: summary.to_copy,
    }


def _calls(api_calls: Mapping[str, int]) -> str:
    """`12 ListPackageVersions, 3 DescribePackageVersion calls`, the most used operation first."""
    spent = sorted(((count, name) for name, count in api_calls.items() if count), key=lambda c: (-c[0], c[1]))
    if not spent:
        return "no API calls"
    total = sum(count for count, _ in spent)
    return ", ".join(f"{count} {name}" for count, name in spent) + (" call" if total == 1 else " calls")


def _label(address: PackageAddress) -> str:
    # A domain has one owner in a plan (manifest validation enforces it); the header names it.
    return str(address)


def _transition(action: Action, change: VersionChange, arrow: str) -> str:
    if action.kind is not ActionKind.COPY:
        return f"{change.prior_status} {arrow} {change.after}"
    flags = [
        flag
        for flag, on in (
            ("allow overwrite", action.allow_overwrite),
            ("include from upstream", action.include_from_upstream),
        )
        if on
    ]
    options = f" [{', '.join(flags)}]" if flags else ""
    return f"from {action.source_repository} ({change.prior_status}) {arrow} {change.after}{options}"


# -- text --------------------------------------------------------------------------------------------

_Span = tuple[str, str]  # (text, rich style; "" for none)
_Line = list[_Span]


def render_plan_text(plan: Plan, summary_only: bool = False, color: bool = False) -> str:
    """Terraform's view: target, counts, warnings, errors, then every change grouped by package.

    `summary_only` gives one line per package instead of one per version. Without `color` the text
    holds no escape codes at all.
    """
    lines: list[_Line] = [*_text_header(plan), []]
    packages = _by_package(plan)
    if plan.is_empty and not plan.errors:
        lines += [[(NO_CHANGES, "bold")], []]
    else:
        lines += [_plan_line(plan), []]
    lines += _text_notes(plan)
    if packages:
        lines += _text_summary(packages) if summary_only else _text_changes(packages)
        lines += [_plan_line(plan)]
    while lines and not lines[-1]:
        lines.pop()
    return "".join(_join(line, color) + "\n" for line in lines)


def _text_header(plan: Plan) -> list[_Line]:
    target = plan.target
    domains = ", ".join(f"{domain} (owner {owner})" for domain, owner in sorted(target.domains.items()))
    made = f"Planned {plan.created_at} by reconciler {plan.tool_version}"
    if plan.manifest_files:
        made += f" from {', '.join(plan.manifest_files)}"
    return [
        [("Target: ", "bold"), (f"{target.endpoint} (region {target.region})", "")],
        [("Domains: ", "bold"), (domains or "none", "")],
        [(f"Read with {_calls(plan.api_calls)}", "")],
        [(made, "dim")],
    ]


def _plan_line(plan: Plan) -> _Line:
    summary = plan.summary
    counts = _plan_counts(plan)
    line: _Line = [("Plan: ", "bold")]
    for index, kind in enumerate(KINDS_BY_HARM):
        style = "bold red" if kind.is_destructive and counts[kind] else "bold"
        line += [(", " if index else "", ""), (f"{counts[kind]} to {_COUNT_LABELS[kind]}", style)]
    rest = f" ({summary.unchanged} unchanged, {summary.unmanaged} unmanaged"
    line.append((rest, ""))
    if summary.errors:
        line.append((", " + _plural(summary.errors, "error"), "bold red"))
    line.append((")", ""))
    return line


def _text_notes(plan: Plan) -> list[_Line]:
    lines: list[_Line] = [[("Warning: ", "bold yellow"), (warning, "")] for warning in plan.warnings]
    if plan.warnings:
        lines.append([])
    for problem in plan.errors:
        lines += [
            [("Error: ", "bold red"), (f"{problem.package}@{problem.version}: {problem.message}", "")],
            [(f"  declared at {problem.origin}", "dim")],
        ]
    if plan.errors:
        cannot = f"This plan cannot be applied: {_plural(len(plan.errors), 'version')} cannot converge."
        lines += [[(cannot, "bold red")], []]
    return lines


def _text_summary(packages: list[_PackageChanges]) -> list[_Line]:
    return [[(f"{_label(group.address)}: ", ""), (_counts(group.counts()), "")] for group in packages] + [[]]


def _text_changes(packages: list[_PackageChanges]) -> list[_Line]:
    present = {action.kind for group in packages for action, _ in group.changes}
    lines: list[_Line] = [[("Actions are shown with these symbols:", "")]]
    lines += [
        [(f"  {kind.symbol}", _STYLES[kind]), (f" {_LEGEND[kind]}", "")]
        for kind in ActionKind
        if kind in present
    ]
    lines.append([])
    repository: tuple[str, str | None, str] | None = None
    for group in packages:
        address = group.address
        key = (address.domain, address.domain_owner, address.repository)
        if key != repository:
            repository = key
            lines += [[(f"Repository {address.domain}/{address.repository}:", "bold")], []]
        lines.append([(f"  {address.format} {address.name}", "bold"), (f"  ({_counts(group.counts())})", "")])
        version_width = min(40, max(len(change.version) for _, change in group.changes))
        transitions = [_transition(action, change, "->") for action, change in group.changes]
        transition_width = min(60, max(map(len, transitions)))
        for (action, change), transition in zip(group.changes, transitions, strict=True):
            style = _STYLES[action.kind]
            line: _Line = [
                (f"    {action.kind.symbol} {change.version:<{version_width}}  {transition}", style)
            ]
            if change.reason:
                line += [(" " * (transition_width - len(transition) + 2), ""), (f"# {change.reason}", "dim")]
            lines.append(line)
        lines.append([])
    return lines


def _join(line: _Line, color: bool) -> str:
    if not color:
        return "".join(text for text, _ in line)
    return "".join(
        Style.parse(style).render(text, color_system=ColorSystem.STANDARD) if style else text
        for text, style in line
    )


# -- markdown ----------------------------------------------------------------------------------------

_MD_ESCAPES = str.maketrans(
    {
        "\\": "\\\\", "`": "\\`", "*": "\\*", "_": "\\_", "[": "\\[", "]": "\\]", "~": "\\~", "|": "\\|",
        "&": "&amp;", "<": "&lt;", ">": "&gt;", "\n": " ", "\r": " ",
    }
)  # fmt: skip


def escape_markdown(text: str) -> str:
    """Text that GitHub renders literally, even inside a table cell.

    A zero-width space after `@` and before an issue number keeps `@acme/web-sdk` from notifying a
    team and `#12` from linking an issue, as Renovate's comments do.
    """
    return re.sub(r"@|#(?=\d)", lambda found: found.group() + "&#8203;", text.translate(_MD_ESCAPES))


def code_span(text: str) -> str:
    """`text` as inline code that is safe in a table cell, whatever backticks or pipes it holds."""
    text = text.replace("\n", " ").replace("\r", " ")
    fence = "`" * (max((len(run) for run in re.findall(r"`+", text)), default=0) + 1)
    padded = f" {text} " if text.startswith("`") or text.endswith("`") else text
    return f"{fence}{padded}{fence}".replace("|", "\\|")


def render_plan_markdown(plan: Plan) -> str:
    """A pull-request comment: counts, warnings, errors, and one collapsible section per package.

    It stays under GitHub's comment limit at any plan size: each package shows at most
    `MARKDOWN_ROWS_PER_PACKAGE` changes, most destructive first; packages that no longer fit are
    listed by name with their counts, and those beyond even that are counted.
    """
    blocks = [_md_title(plan), _md_target(plan), _md_table(plan)]
    blocks += _md_notes(
        "WARNING", _plural(len(plan.warnings), "warning"), map(escape_markdown, plan.warnings)
    )
    if plan.errors:
        heading = f"{_plural(len(plan.errors), 'version')} cannot converge, so this plan cannot be applied."
        blocks += _md_notes("CAUTION", heading, map(_md_problem, plan.errors))
    if plan.is_empty and not plan.errors:
        blocks.append(NO_CHANGES)
    packages = _by_package(plan)
    used = sum(len(block) + 2 for block in blocks)
    shown = 0
    for group in packages:
        section = _md_section(group)
        if used + len(section) + 2 > MARKDOWN_BUDGET - _MARKDOWN_LIST_ROOM:
            break
        blocks.append(section)
        used += len(section) + 2
        shown += 1
    rest = packages[shown:]
    if rest:
        listed = []
        for group in rest:
            item = f"- {code_span(_label(group.address))}: {_counts(group.counts())}"
            if used + len(item) + 1 > MARKDOWN_BUDGET - _MARKDOWN_CLOSING_ROOM:
                break
            listed.append(item)
            used += len(item) + 1
        if listed:
            blocks.append("Not expanded, for lack of room in this comment:\n\n" + "\n".join(listed))
        hidden = len(rest) - len(listed)
        if hidden:
            blocks.append(
                f"… {_plural(hidden, 'more package')} not shown; the full plan is in the plan file."
            )
    return "\n\n".join(blocks) + "\n"


def _md_title(plan: Plan) -> str:
    counts = _counts(_plan_counts(plan), zeros=True) if not plan.is_empty else "no changes"
    return f"## Reconciler plan: {counts}"


def _md_target(plan: Plan) -> str:
    target = plan.target
    domains = ", ".join(
        f"{code_span(domain)} (owner {code_span(owner)})" for domain, owner in sorted(target.domains.items())
    )
    made = f"Planned {escape_markdown(plan.created_at)} by reconciler {escape_markdown(plan.tool_version)}"
    if plan.manifest_files:
        made += " from " + ", ".join(code_span(name) for name in plan.manifest_files)
    return (
        f"Target {code_span(target.endpoint)} (region {code_span(target.region)}), "
        f"domains {domains or 'none'}.\nRead with {escape_markdown(_calls(plan.api_calls))}. {made}."
    )


def _md_table(plan: Plan) -> str:
    summary = plan.summary
    columns = {
        "dispose": summary.to_dispose,
        "update": summary.to_update,
        "copy": summary.to_copy,
        "unchanged": summary.unchanged,
        "unmanaged": summary.unmanaged,
        "errors": summary.errors,
    }
    alarming = {"dispose", "errors"}
    cells = [f"**{value}**" if value and name in alarming else str(value) for name, value in columns.items()]
    return f"| {' | '.join(columns)} |\n| {' | '.join('---:' for _ in columns)} |\n| {' | '.join(cells)} |"


def _md_notes(alert: str, heading: str, items: Iterable[str]) -> list[str]:
    listed = list(items)
    if not listed:
        return []
    lines = [f"> [!{alert}]", f"> **{heading}**", ">"]
    lines += [f"> - {item}" for item in listed[:MARKDOWN_NOTES_LISTED]]
    if len(listed) > MARKDOWN_NOTES_LISTED:
        lines.append(
            f"> - … and {len(listed) - MARKDOWN_NOTES_LISTED} more; the full plan is in the plan file."
        )
    return ["\n".join(lines)]


def _md_problem(problem: VersionProblem) -> str:
    return (
        f"{code_span(f'{problem.package}@{problem.version}')}: {escape_markdown(problem.message)}, "
        f"declared at {code_span(problem.origin)}"
    )


def _md_section(group: _PackageChanges) -> str:
    summary = f"<code>{html.escape(_label(group.address))}</code>: {_counts(group.counts())}"
    changes = sorted(group.changes, key=lambda pair: KINDS_BY_HARM.index(pair[0].kind))
    lines = [
        f"<details><summary>{summary}</summary>",
        "",
        "| action | version | status | reason |",
        "| --- | --- | --- | --- |",
    ]
    for action, change in changes[:MARKDOWN_ROWS_PER_PACKAGE]:
        kind = action.kind
        name = f"**{_COUNT_LABELS[kind]}**" if kind.is_destructive else _COUNT_LABELS[kind]
        status = escape_markdown(_transition(action, change, "→"))
        if kind.is_destructive:
            status = f"{escape_markdown(str(change.prior_status))} → **{escape_markdown(str(change.after))}**"
        lines.append(
            f"| {name} | {code_span(change.version)} | {status} | {escape_markdown(change.reason)} |"
        )
    hidden = len(changes) - MARKDOWN_ROWS_PER_PACKAGE
    if hidden > 0:
        lines += [
            "",
            f"… and {_plural(hidden, 'more change')} in this package; the full plan is in the plan file.",
        ]
    return "\n".join([*lines, "", "</details>"])


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


# -- drift -------------------------------------------------------------------------------------------

NO_DRIFT = "No drift. Live state matches the manifests."


def render_drift(report: DriftReport, format: RenderFormat) -> str:
    """A drift report in one of the three views."""
    match format:
        case "text":
            return render_drift_text(report)
        case "json":
            return render_drift_json(report)
        case "markdown":
            return render_drift_markdown(report)
        case _:
            assert_never(format)


def render_drift_json(report: DriftReport) -> str:
    """The report's fields plus `has_drift` and `counts`, sorted keys, two-space indent."""
    data = report.model_dump(mode="json")
    data["has_drift"] = report.has_drift
    data["counts"] = {kind.value: count for kind, count in report.counts().items()}
    return json.dumps(data, sort_keys=True, indent=2) + "\n"


def _drift_headline(report: DriftReport) -> str:
    if not report.has_drift:
        return NO_DRIFT
    kinds = ", ".join(f"{count} {kind.label}" for kind, count in report.counts().items() if count)
    return f"Drift: {_differ(len(report.items))} from the manifests ({kinds})."


def _differ(count: int) -> str:
    return "1 version differs" if count == 1 else f"{count} versions differ"


def _drift_tally(report: DriftReport) -> str:
    tally = f"{report.unchanged} as declared, {report.unmanaged} unmanaged"
    if report.grace_seconds is not None:
        tally += f", {report.within_grace} within grace ({format_duration(report.grace_seconds)})"
    return tally


def _drift_state(item: DriftItem) -> str:
    """What was found against what is declared: `live Published, declared Unlisted`."""
    here = f"live {item.live}" if item.live is not None else f"not in {item.package.repository}"
    match item.kind:
        case DriftKind.STATUS:
            return f"{here}, declared {item.declared}"
        case DriftKind.MISSING:
            return f"missing ({item.source_repository} has it {item.source_status}), declared {item.declared}"
        case DriftKind.CANNOT_CONVERGE:
            return here
        case _:
            assert_never(item.kind)


def render_drift_text(report: DriftReport) -> str:
    """The headline and counts, then one line per drifted version, grouped by repository and package."""
    target = report.target
    domains = ", ".join(f"{domain} (owner {owner})" for domain, owner in sorted(target.domains.items()))
    checked = f"Checked {report.checked_at}"
    if report.manifest_files:
        checked += f" against {', '.join(report.manifest_files)}"
    lines = [
        f"Target: {target.endpoint} (region {target.region})",
        f"Domains: {domains or 'none'}",
        f"Read with {_calls(report.api_calls)}",
        checked,
        "",
        _drift_headline(report),
        f"Versions: {_drift_tally(report)}.",
    ]
    if report.within_grace:
        lines.append(
            f"Left out: {_plural(report.within_grace, 'drifted version')} published in the last "
            f"{format_duration(report.grace_seconds or 0)} (too recent to judge: CodeArtifact can lag "
            "behind a publish)."
        )
    lines.append("")
    repository: tuple[str, str | None, str] | None = None
    for address, items in report.packages():
        key = (address.domain, address.domain_owner, address.repository)
        if key != repository:
            repository = key
            lines += [f"Repository {address.domain}/{address.repository}:", ""]
        counts = Counter(item.kind for item in items)
        summary = ", ".join(f"{counts[kind]} {kind.label}" for kind in DriftKind if counts[kind])
        lines.append(f"  {address.format} {address.name}  ({summary})")
        version_width = min(40, max(len(item.version) for item in items))
        states = [_drift_state(item) for item in items]
        state_width = min(60, max(map(len, states)))
        for item, state in zip(items, states, strict=True):
            lines.append(
                f"    {item.kind.symbol} {item.version:<{version_width}}  {state:<{state_width}}  # {item.reason}"
            )
        lines.append("")
    while lines and not lines[-1]:
        lines.pop()
    return "".join(line + "\n" for line in lines)


def render_drift_markdown(report: DriftReport) -> str:
    """An issue or pull-request comment: the headline, a table of counts, and one collapsible section
    per drifted package; it stays under GitHub's comment limit at any size, like the plan's."""
    target = report.target
    domains = ", ".join(
        f"{code_span(domain)} (owner {code_span(owner)})" for domain, owner in sorted(target.domains.items())
    )
    checked = f"Checked {escape_markdown(report.checked_at)}"
    if report.manifest_files:
        checked += " against " + ", ".join(code_span(name) for name in report.manifest_files)
    title = (
        f"## Reconciler drift: {_differ(len(report.items))} from the manifests"
        if report.has_drift
        else "## Reconciler drift: in sync"
    )
    columns = {kind.label: count for kind, count in report.counts().items()}
    columns.update({"as declared": report.unchanged, "unmanaged": report.unmanaged})
    if report.grace_seconds is not None:
        columns[f"within grace ({format_duration(report.grace_seconds)})"] = report.within_grace
    alarming = {DriftKind.CANNOT_CONVERGE.label}
    cells = [f"**{value}**" if value and name in alarming else str(value) for name, value in columns.items()]
    blocks = [
        title,
        f"Target {code_span(target.endpoint)} (region {code_span(target.region)}), "
        f"domains {domains or 'none'}.\n{checked}.",
        f"| {' | '.join(columns)} |\n| {' | '.join('---:' for _ in columns)} |\n| {' | '.join(cells)} |",
    ]
    if not report.has_drift:
        blocks.append(NO_DRIFT)
    used = sum(len(block) + 2 for block in blocks)
    packages = report.packages()
    shown = 0
    for address, items in packages:
        section = _md_drift_section(address, items)
        if used + len(section) + 2 > MARKDOWN_BUDGET - _MARKDOWN_LIST_ROOM:
            break
        blocks.append(section)
        used += len(section) + 2
        shown += 1
    rest = packages[shown:]
    if rest:
        listed = []
        for address, items in rest:
            entry = f"- {code_span(_label(address))}: {_plural(len(items), 'drifted version')}"
            if used + len(entry) + 1 > MARKDOWN_BUDGET - _MARKDOWN_CLOSING_ROOM:
                break
            listed.append(entry)
            used += len(entry) + 1
        if listed:
            blocks.append("Not expanded, for lack of room in this comment:\n\n" + "\n".join(listed))
        hidden = len(rest) - len(listed)
        if hidden:
            blocks.append(f"… {_plural(hidden, 'more package')} not shown; run `reconciler drift` for all.")
    return "\n\n".join(blocks) + "\n"


def _md_drift_section(address: PackageAddress, items: list[DriftItem]) -> str:
    summary = f"<code>{html.escape(_label(address))}</code>: {_plural(len(items), 'drifted version')}"
    lines = [
        f"<details><summary>{summary}</summary>",
        "",
        "| drift | version | live | declared | reason |",
        "| --- | --- | --- | --- | --- |",
    ]
    for item in items[:MARKDOWN_ROWS_PER_PACKAGE]:
        kind = f"**{item.kind.label}**" if item.kind is DriftKind.CANNOT_CONVERGE else item.kind.label
        if item.live is not None:
            live = escape_markdown(str(item.live))
        elif item.kind is DriftKind.MISSING:
            live = f"missing ({escape_markdown(f'{item.source_repository} has it {item.source_status}')})"
        else:
            live = "missing"
        declared = escape_markdown(str(item.declared)) if item.declared is not None else ""
        lines.append(
            f"| {kind} | {code_span(item.version)} | {live} | {declared} | {escape_markdown(item.reason)} |"
        )
    hidden = len(items) - MARKDOWN_ROWS_PER_PACKAGE
    if hidden > 0:
        lines += ["", f"… and {_plural(hidden, 'more drifted version')} in this package."]
    return "\n".join([*lines, "", "</details>"])
