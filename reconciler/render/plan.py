"""Views of a plan: Terraform-like text, a pull-request comment in Markdown, and canonical JSON.

Every view is a pure function of the plan that returns a string, and the same plan always renders to
the same bytes. Counts are listed most destructive first, so a reviewer reads the disposes before
anything else.
"""

from __future__ import annotations

import html
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import assert_never

from reconciler.addresses import PackageRef, RepositoryRef
from reconciler.plan import Action, ActionKind, Plan, VersionChange, VersionProblem
from reconciler.planfile import plan_digest, plan_json
from reconciler.render.markup import (
    MARKDOWN_NOTES_LISTED,
    MARKDOWN_ROWS_PER_PACKAGE,
    Line,
    RenderFormat,
    calls_phrase,
    code_span,
    escape_markdown,
    fit_markdown,
    join_spans,
    label,
    target_lines,
)
from reconciler.text import plural

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
DIGEST_LABEL = "Plan digest (SHA-256)"


def render_plan(
    plan: Plan,
    format: RenderFormat,
    summary_only: bool = False,
    color: bool = False,
    digest: str | None = None,
) -> str:
    """The plan in one of the three views; `summary_only` and `color` apply to the text view only.
    `digest` is the plan's (`planfile.plan_digest`), computed when not given."""
    match format:
        case "text":
            return render_plan_text(plan, summary_only=summary_only, color=color, digest=digest)
        case "json":
            return render_plan_json(plan)
        case "markdown":
            return render_plan_markdown(plan, digest=digest)
        case _:
            assert_never(format)


def render_plan_json(plan: Plan) -> str:
    """The machine view: the plan file's own fields, sorted keys, two-space indent; it round-trips."""
    return plan_json(plan)


# -- shared ------------------------------------------------------------------------------------------


@dataclass
class _PackageChanges:
    """One package's changes in plan order, each with the action that makes it."""

    address: PackageRef
    changes: list[tuple[Action, VersionChange]] = field(default_factory=list)

    def counts(self) -> Counter[ActionKind]:
        return Counter(action.kind for action, _ in self.changes)


def _by_package(plan: Plan) -> list[_PackageChanges]:
    """Changes grouped per package, packages in address order, changes in the order apply makes them."""
    packages: dict[PackageRef, _PackageChanges] = {}
    for action in plan.actions:
        group = packages.setdefault(action.package, _PackageChanges(action.package))
        group.changes.extend((action, change) for change in action.versions)
    return [packages[address] for address in sorted(packages, key=PackageRef.sort_key)]


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


def render_plan_text(
    plan: Plan, summary_only: bool = False, color: bool = False, digest: str | None = None
) -> str:
    """Terraform's view: target, counts, warnings, errors, then every change grouped by package, and
    the plan's digest last (`apply --expect-digest` checks it).

    `summary_only` gives one line per package instead of one per version. Without `color` the text
    holds no escape codes at all.
    """
    lines: list[Line] = [*_text_header(plan), []]
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
    lines += [[], [(f"{DIGEST_LABEL}: {digest or plan_digest(plan)}", "dim")]]
    return "".join(join_spans(line, color) + "\n" for line in lines)


def _text_header(plan: Plan) -> list[Line]:
    made = f"Planned {plan.created_at} by reconciler {plan.tool_version}"
    if plan.manifest_files:
        made += f" from {', '.join(plan.manifest_files)}"
    return target_lines(plan.target, plan.api_calls, made)


def _plan_line(plan: Plan) -> Line:
    summary = plan.summary
    counts = _plan_counts(plan)
    line: Line = [("Plan: ", "bold")]
    for index, kind in enumerate(KINDS_BY_HARM):
        style = "bold red" if kind.is_destructive and counts[kind] else "bold"
        line += [(", " if index else "", ""), (f"{counts[kind]} to {_COUNT_LABELS[kind]}", style)]
    rest = f" ({summary.unchanged} as declared, {summary.unmanaged} unmanaged"
    line.append((rest, ""))
    if summary.errors:
        line.append((f", {summary.errors} cannot converge", "bold red"))
    line.append((")", ""))
    return line


def _text_notes(plan: Plan) -> list[Line]:
    lines: list[Line] = [[("Warning: ", "bold yellow"), (warning, "")] for warning in plan.warnings]
    if plan.warnings:
        lines.append([])
    for problem in plan.errors:
        lines += [
            [("Error: ", "bold red"), (f"{problem.package}@{problem.version}: {problem.message}", "")],
            [(f"  declared at {problem.origin}", "dim")],
        ]
    if plan.errors:
        cannot = f"This plan cannot be applied: {plural(len(plan.errors), 'version')} cannot converge."
        lines += [[(cannot, "bold red")], []]
    return lines


def _text_summary(packages: list[_PackageChanges]) -> list[Line]:
    return [[(f"{label(group.address)}: ", ""), (_counts(group.counts()), "")] for group in packages] + [[]]


def _text_changes(packages: list[_PackageChanges]) -> list[Line]:
    present = {action.kind for group in packages for action, _ in group.changes}
    lines: list[Line] = [[("Actions are shown with these symbols:", "")]]
    lines += [
        [(f"  {kind.symbol}", _STYLES[kind]), (f" {_LEGEND[kind]}", "")]
        for kind in ActionKind
        if kind in present
    ]
    lines.append([])
    repository: RepositoryRef | None = None
    for group in packages:
        address = group.address
        key = address.repository
        if key != repository:
            repository = key
            lines += [[(f"Repository {address.repository}:", "bold")], []]
        lines.append([(f"  {address.format} {address.name}", "bold"), (f"  ({_counts(group.counts())})", "")])
        version_width = min(40, max(len(change.version) for _, change in group.changes))
        transitions = [_transition(action, change, "->") for action, change in group.changes]
        transition_width = min(60, max(map(len, transitions)))
        for (action, change), transition in zip(group.changes, transitions, strict=True):
            style = _STYLES[action.kind]
            line: Line = [
                (f"    {action.kind.symbol} {change.version:<{version_width}}  {transition}", style)
            ]
            if change.reason:
                line += [(" " * (transition_width - len(transition) + 2), ""), (f"# {change.reason}", "dim")]
            lines.append(line)
        lines.append([])
    return lines


def render_plan_markdown(plan: Plan, digest: str | None = None) -> str:
    """A pull-request comment: counts, the plan's digest, warnings, errors, and one collapsible
    section per package.

    It stays under GitHub's comment limit at any plan size: each package shows at most
    `MARKDOWN_ROWS_PER_PACKAGE` changes, most destructive first; packages that no longer fit are
    listed by name with their counts, and those beyond even that are counted.
    """
    blocks = [_md_title(plan), _md_target(plan), _md_table(plan), _md_digest(digest or plan_digest(plan))]
    blocks += _md_notes("WARNING", plural(len(plan.warnings), "warning"), map(escape_markdown, plan.warnings))
    if plan.errors:
        heading = f"{plural(len(plan.errors), 'version')} cannot converge, so this plan cannot be applied."
        blocks += _md_notes("CAUTION", heading, map(_md_problem, plan.errors))
    if plan.is_empty and not plan.errors:
        blocks.append(NO_CHANGES)
    sections = [
        (_md_section(group), f"- {code_span(label(group.address))}: {_counts(group.counts())}")
        for group in _by_package(plan)
    ]
    return fit_markdown(blocks, sections, "the full plan is in the plan file")


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
        f"domains {domains or 'none'}.\nRead with {escape_markdown(calls_phrase(plan.api_calls))}. {made}."
    )


def _md_digest(digest: str) -> str:
    """The line the apply job reads back (docs/ci.md): the digest the reviewed plan file must have."""
    return f"{DIGEST_LABEL}: `{digest}` (`reconciler apply PLAN --expect-digest` checks it)"


def _md_table(plan: Plan) -> str:
    summary = plan.summary
    columns = {
        "to dispose": summary.to_dispose,
        "to update": summary.to_update,
        "to copy": summary.to_copy,
        "as declared": summary.unchanged,
        "unmanaged": summary.unmanaged,
        "cannot converge": summary.errors,
    }
    alarming = {"to dispose", "cannot converge"}
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
    summary = f"<code>{html.escape(label(group.address))}</code>: {_counts(group.counts())}"
    changes = _shown_rows(group.changes)
    lines = [
        f"<details><summary>{summary}</summary>",
        "",
        "| action | version | status | reason |",
        "| --- | --- | --- | --- |",
    ]
    for action, change in changes:
        kind = action.kind
        name = f"**{_COUNT_LABELS[kind]}**" if kind.is_destructive else _COUNT_LABELS[kind]
        status = escape_markdown(_transition(action, change, "→"))
        if kind.is_destructive:
            status = f"{escape_markdown(str(change.prior_status))} → **{escape_markdown(str(change.after))}**"
        lines.append(
            f"| {name} | {code_span(change.version)} | {status} | {escape_markdown(change.reason)} |"
        )
    hidden = len(group.changes) - len(changes)
    if hidden > 0:
        lines += [
            "",
            f"… and {plural(hidden, 'more change')} in this package; the full plan is in the plan file.",
        ]
    return "\n".join([*lines, "", "</details>"])


def _shown_rows(changes: list[tuple[Action, VersionChange]]) -> list[tuple[Action, VersionChange]]:
    """The rows a package's section shows, in the text view's order (copies, updates, disposes, as
    apply makes them). When they do not all fit, the most destructive are the ones kept."""
    if len(changes) <= MARKDOWN_ROWS_PER_PACKAGE:
        return changes
    by_harm = sorted(range(len(changes)), key=lambda index: KINDS_BY_HARM.index(changes[index][0].kind))
    kept = sorted(by_harm[:MARKDOWN_ROWS_PER_PACKAGE])
    return [changes[index] for index in kept]
