"""Views of a plan: Terraform-like text, a pull-request comment in Markdown, and canonical JSON.

Every view is a pure function of the plan that returns a string, and the same plan always renders to
the same bytes. Counts are listed most destructive first, so a reviewer reads the deletes and disposes
before anything else. Deletes are counted only in a plan that has some: a plan without deletes reads
as it always did.
"""

from __future__ import annotations

import shlex
from collections import Counter
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import assert_never

from reconciler.addresses import PackageRef, RepositoryRef
from reconciler.codeartifact import Status
from reconciler.plan import Action, ActionKind, Plan, VersionChange, VersionProblem
from reconciler.planfile import plan_digest, plan_json
from reconciler.render.comment import (
    Block,
    CommentContext,
    join_parts,
    md_accepted,
    provenance_links,
    run_line,
    split_comment,
    targets_id,
)
from reconciler.render.markup import (
    GITHUB_COMMENT_LIMIT,
    Line,
    RenderFormat,
    accepted_lines,
    calls_phrase,
    code_span,
    escape_markdown,
    html_code,
    join_spans,
    label,
    markdown_targets,
    style_codes,
    target_lines,
)
from reconciler.text import format_bytes, plural

# Most destructive first: what cannot be undone is what a reviewer must see first.
KINDS_BY_HARM = tuple(sorted(ActionKind, key=lambda kind: (not kind.is_destructive, -kind.phase)))
_COUNT_LABELS = {
    ActionKind.DELETE: "delete",
    ActionKind.DISPOSE: "dispose",
    ActionKind.UPDATE_STATUS: "update",
    ActionKind.COPY: "copy",
}
_LEGEND = {
    ActionKind.COPY: "copy from another repository",
    ActionKind.UPDATE_STATUS: "update status",
    ActionKind.DISPOSE: "dispose (irreversible: the assets are deleted)",
    ActionKind.DELETE: "delete (irreversible: the version and its assets are removed from the repository)",
}
# What a destructive kind does that cannot be undone, as the caution block says it.
_HARM = {
    ActionKind.DELETE: "A deleted version is removed from the repository with its assets, for good "
    "(the same version can then be published again).",
    ActionKind.DISPOSE: "A disposed version's assets are deleted for good.",
}
_STYLES = {
    ActionKind.COPY: "green",
    ActionKind.UPDATE_STATUS: "yellow",
    ActionKind.DISPOSE: "bold red",
    ActionKind.DELETE: "bold magenta",
}
NO_CHANGES = "No changes. Live state matches the manifests."
DIGEST_LABEL = "Plan digest (SHA-256)"


def render_plan(
    plan: Plan,
    format: RenderFormat,
    summary_only: bool = False,
    color: bool = False,
    digest: str | None = None,
    context: CommentContext | None = None,
    show_accepted: bool = False,
) -> str:
    """The plan in one of the three views; `summary_only` and `color` apply to the text view only,
    `context` (links to the commit, the run and the manifest lines) to the Markdown view only.
    `digest` is the plan's (`planfile.plan_digest`), computed when not given."""
    match format:
        case "text":
            return render_plan_text(
                plan, summary_only=summary_only, color=color, digest=digest, show_accepted=show_accepted
            )
        case "json":
            return render_plan_json(plan)
        case "markdown":
            return render_plan_markdown(plan, digest=digest, context=context)
        case _:
            assert_never(format)


def render_plan_json(plan: Plan) -> str:
    """The machine view: the plan file's own fields, sorted keys, two-space indent; it round-trips."""
    return plan_json(plan)


# -- shared ------------------------------------------------------------------------------------------


@dataclass
class _PackageChanges:
    """One package's actions in plan order. A view that counts reads the actions alone (a summary of a
    million changes counts a few thousand actions); one that lists every change walks `changes()`."""

    address: PackageRef
    actions: list[Action] = field(default_factory=list)

    def counts(self) -> Counter[ActionKind]:
        """Changes per kind; a kind with none is not there."""
        counts: Counter[ActionKind] = Counter()
        for action in self.actions:
            if action.versions:
                counts[action.kind] += len(action.versions)
        return counts

    def changes(self) -> Iterator[tuple[Action, VersionChange]]:
        """Every change in the order apply makes them, each with the action that makes it."""
        return ((action, change) for action in self.actions for change in action.versions)


def _by_package(plan: Plan) -> list[_PackageChanges]:
    """Actions grouped per package, packages in address order, actions in the order apply runs them."""
    packages: dict[PackageRef, _PackageChanges] = {}
    for action in plan.actions:
        group = packages.get(action.package)
        if group is None:
            group = packages[action.package] = _PackageChanges(action.package)
        group.actions.append(action)
    return [packages[address] for address in sorted(packages, key=PackageRef.sort_key)]


def _counts(counts: Mapping[ActionKind, int], zeros: bool = False) -> str:
    """`2 to dispose, 5 to update`: most destructive first, zeros left out unless asked for (a zero
    count of deletes is always left out: deleting is opt-in, and rare)."""
    return ", ".join(
        f"{counts.get(kind, 0)} to {_COUNT_LABELS[kind]}" for kind in _shown_kinds(counts, zeros)
    )


def _shown_kinds(counts: Mapping[ActionKind, int], zeros: bool = True) -> list[ActionKind]:
    """The kinds a count lists, most destructive first: with `zeros`, every kind but a delete the
    plan does not make."""
    return [kind for kind in KINDS_BY_HARM if counts.get(kind) or (zeros and kind is not ActionKind.DELETE)]


def _plan_counts(plan: Plan) -> dict[ActionKind, int]:
    summary = plan.summary
    return {
        ActionKind.DELETE: summary.to_delete,
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
    plan: Plan,
    summary_only: bool = False,
    color: bool = False,
    digest: str | None = None,
    show_accepted: bool = False,
) -> str:
    """Terraform's view: target, counts, warnings, errors, then every change grouped by package, and
    the plan's digest last (`apply --expect-digest` checks it).

    `summary_only` gives one line per package instead of one per version; `show_accepted` lists the
    versions left in a live status the manifests accept. Without `color` the text holds no escape
    codes at all.
    """
    # A line is spans to join, or text already joined (a change's: see `_text_changes`).
    lines: list[Line | str] = [*_text_header(plan), []]
    packages = _by_package(plan)
    if plan.is_empty and not plan.errors:
        lines += [[(NO_CHANGES, "bold")], *_text_accepted_count(plan), []]
    else:
        lines += [_plan_line(plan), *_text_reclaimed(plan), []]
    lines += _text_notes(plan)
    if packages:
        sizes = plan.reclaimed_bytes
        lines += _text_summary(packages, sizes) if summary_only else _text_changes(packages, sizes, color)
        lines += [_plan_line(plan)]
    if show_accepted:
        while lines and not lines[-1]:
            lines.pop()
        lines += [[], *accepted_lines(plan.accepted)]
    while lines and not lines[-1]:
        lines.pop()
    lines += [[], [(f"{DIGEST_LABEL}: {digest or plan_digest(plan)}", "dim")]]
    return "".join((line if isinstance(line, str) else join_spans(line, color)) + "\n" for line in lines)


def _text_accepted_count(plan: Plan) -> list[Line]:
    """Under "No changes": the versions left in a live status the manifests accept, when any."""
    count = plan.summary.accepted
    if not count:
        return []
    one = count == 1
    accepted = f"{plural(count, 'version')} accepted as {'it is' if one else 'they are'}"
    return [[(f"{accepted} (--show-accepted lists {'it' if one else 'them'}).", "")]]


def _text_header(plan: Plan) -> list[Line]:
    made = f"Planned {plan.created_at} by reconciler {plan.tool_version}"
    if plan.manifest_files:
        made += f" from {', '.join(plan.manifest_files)}"
    return target_lines(plan.targets, plan.api_calls, made)


def _plan_line(plan: Plan) -> Line:
    summary = plan.summary
    counts = _plan_counts(plan)
    line: Line = [("Plan: ", "bold")]
    for index, kind in enumerate(_shown_kinds(counts)):
        style = "bold red" if kind.is_destructive and counts[kind] else "bold"
        line += [(", " if index else "", ""), (f"{counts[kind]} to {_COUNT_LABELS[kind]}", style)]
    accepted = f", {summary.accepted} accepted" if summary.accepted else ""
    rest = f" ({summary.unchanged} as declared{accepted}, {summary.unmanaged} unmanaged"
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


def reclaimed_phrase(plan: Plan) -> str | None:
    """`The disposes reclaim 1.2 MB of assets (1,234,567 bytes).` when the plan was made with
    `--estimate-size`, else None."""
    if plan.reclaimed_bytes is None:
        return None
    total = sum(plan.reclaimed_bytes.values())
    # The sum holds the assets of the versions deleted too (`estimate_reclaimed`).
    which = "disposes and deletes" if plan.summary.to_delete else "disposes"
    return f"The {which} reclaim {format_bytes(total)} of assets ({total:,} bytes)."


def _text_reclaimed(plan: Plan) -> list[Line]:
    phrase = reclaimed_phrase(plan)
    return [[(phrase, "")]] if phrase else []


def _package_counts(group: _PackageChanges, sizes: Mapping[str, int] | None) -> str:
    """`2 to dispose, 3 to update`, and what the disposes reclaim when the plan was sized."""
    counts = group.counts()
    phrase = _counts(counts)
    if sizes is not None and any(kind.is_destructive for kind in counts):
        phrase += f"; reclaims {format_bytes(sizes.get(str(group.address), 0))}"
    return phrase


def _text_summary(packages: list[_PackageChanges], sizes: Mapping[str, int] | None) -> list[Line]:
    return [
        [(f"{label(group.address)}: ", ""), (_package_counts(group, sizes), "")] for group in packages
    ] + [[]]


def _text_changes(
    packages: list[_PackageChanges], sizes: Mapping[str, int] | None, color: bool
) -> list[Line | str]:
    """The legend, then every package and its changes. A change's line is the line a plan of a
    million changes writes a million times: it is made whole, as text (`join_spans` would make it
    the same), with each style's codes looked up once."""
    codes = style_codes(color)
    present = {action.kind for group in packages for action in group.actions if action.versions}
    lines: list[Line | str] = [[("Actions are shown with these symbols:", "")]]
    lines += [
        [(f"  {kind.symbol}", _STYLES[kind]), (f" {_LEGEND[kind]}", "")]
        for kind in ActionKind
        if kind in present
    ]
    lines.append([])
    by_kind = {kind: (kind.symbol, *codes(_STYLES[kind])) for kind in ActionKind}
    dim_on, dim_off = codes("dim")
    repository: RepositoryRef | None = None
    for group in packages:
        address = group.address
        key = address.repository
        if key != repository:
            repository = key
            lines += [[(f"Repository {address.repository}:", "bold")], []]
        lines.append(
            [(f"  {address.format} {address.name}", "bold"), (f"  ({_package_counts(group, sizes)})", "")]
        )
        changes = list(group.changes())
        version_width = min(40, max(len(change.version) for _, change in changes))
        transitions = [_transition(action, change, "->") for action, change in changes]
        transition_width = min(60, max(map(len, transitions)))
        for (action, change), transition in zip(changes, transitions, strict=True):
            symbol, on, off = by_kind[action.kind]
            line = f"{on}    {symbol} {change.version:<{version_width}}  {transition}{off}"
            if change.reason:
                padding = " " * (transition_width - len(transition) + 2)
                line = f"{line}{padding}{dim_on}# {change.reason}{dim_off}"
            lines.append(line)
        lines.append([])
    return lines


def render_plan_markdown(plan: Plan, digest: str | None = None, context: CommentContext | None = None) -> str:
    """The pull-request comment, every part in order (`plan_comment`), as `--output markdown` prints it."""
    return join_parts(plan_comment(plan, digest, context))


def plan_comment(
    plan: Plan,
    digest: str | None = None,
    context: CommentContext | None = None,
    limit: int = GITHUB_COMMENT_LIMIT,
) -> list[str]:
    """A pull-request comment in parts of at most `limit` characters, each opening with the marker.

    Part 1 holds, in this order: the counts; a caution, never collapsed, naming every package with
    destructive changes and how many; the plan's digest with the commit and the run; the next step;
    the target; warnings and errors; an index of the parts when there are several. Then every
    package: its non-destructive changes in a collapsed section, its destructive ones in a table
    always shown. Nothing is cut: what does not fit goes on in the next part. A plan without changes
    is one line. `digest` is the plan's (`planfile.plan_digest`), computed when not given.
    """
    context = context or CommentContext()
    digest = digest or plan_digest(plan)
    digest_line = _md_digest(digest)
    files = plan.manifest_files
    notes = _md_notes("WARNING", "warning", [provenance_links(w, files, context) for w in plan.warnings])
    if plan.is_empty and not plan.errors:
        summary = plan.summary
        accepted = f", {summary.accepted} accepted" if summary.accepted else ""
        line = (
            "**Reconciler plan: no changes.** Live state matches the manifests "
            f"({summary.unchanged} as declared{accepted}, {summary.unmanaged} unmanaged). "
            f"{run_line(digest_line, context)}"
        )
        accepted_blocks = md_accepted(plan.accepted, files, context)
        return split_comment(
            "plan", targets_id(plan.targets), [Block((line,)), *notes], accepted_blocks, _md_continued, limit
        )
    top = [Block((_md_title(plan),)), Block((_md_table(plan),))]
    top += _md_caution(plan)
    top += [Block((run_line(digest_line, context),)), Block((_md_next_step(plan, digest, context),))]
    top += [Block((_md_target(plan),)), *notes]
    if plan.errors:
        problems = [_md_problem(problem, files, context) for problem in plan.errors]
        top += _md_notes("CAUTION", "version", problems, "cannot converge, so this plan cannot be applied")
    cells = _MdCells(plan.manifest_files, context)
    body = [block for group in _by_package(plan) for block in _md_package(plan, group, cells)]
    body += md_accepted(plan.accepted, files, context)
    return split_comment("plan", targets_id(plan.targets), top, body, _md_continued, limit)


def _md_continued(part: int, parts: int) -> str:
    return f"### Reconciler plan, part {part} of {parts} (continued)"


def _md_title(plan: Plan) -> str:
    counts = _counts(_plan_counts(plan), zeros=True) if not plan.is_empty else "no changes"
    return f"## Reconciler plan: {counts}"


def _md_target(plan: Plan) -> str:
    made = f"Planned {escape_markdown(plan.created_at)} by reconciler {escape_markdown(plan.tool_version)}"
    if plan.manifest_files:
        made += " from " + ", ".join(code_span(name) for name in plan.manifest_files)
    return f"{markdown_targets(plan.targets)}.\nRead with {escape_markdown(calls_phrase(plan.api_calls))}. {made}."


def _md_digest(digest: str) -> str:
    """The line the apply job reads back (docs/ci.md): the digest the reviewed plan file must have."""
    return f"{DIGEST_LABEL}: `{digest}`"


def _md_next_step(plan: Plan, digest: str, context: CommentContext) -> str:
    if not plan.applyable:
        return (
            "**Next step:** this plan cannot be applied: fix the versions that cannot converge (below), "
            "then plan again."
        )
    command = f"reconciler apply {shlex.quote(context.plan_path or 'PLAN')} --expect-digest {digest}"
    step = (
        f"**Next step:** review, then merge to apply. The apply job runs {code_span(command)}, which "
        "refuses any plan file but this one."
    )
    if plan.summary.to_delete:
        # Deletes are opt-in at apply: say so before the merge, not when the apply job refuses.
        step += (
            " This plan deletes versions: the apply job refuses it unless given `--allow-delete` "
            "(the action's `allow-delete: true`)."
        )
    return step


def _md_table(plan: Plan) -> str:
    summary = plan.summary
    columns = {
        **({"to delete": summary.to_delete} if summary.to_delete else {}),
        "to dispose": summary.to_dispose,
        "to update": summary.to_update,
        "to copy": summary.to_copy,
        "as declared": summary.unchanged,
        **({"accepted": summary.accepted} if summary.accepted else {}),
        "unmanaged": summary.unmanaged,
        "cannot converge": summary.errors,
    }
    alarming = {"to delete", "to dispose", "cannot converge"}
    cells = [f"**{value}**" if value and name in alarming else str(value) for name, value in columns.items()]
    table = f"| {' | '.join(columns)} |\n| {' | '.join('---:' for _ in columns)} |\n| {' | '.join(cells)} |"
    phrase = reclaimed_phrase(plan)
    return f"{table}\n\n{phrase}" if phrase else table


def _md_caution(plan: Plan) -> list[Block]:
    """Every package with destructive changes and their counts, never collapsed. Which kinds are
    destructive is the plan model's word (`ActionKind.is_destructive`), not this view's."""
    destructive = [kind for kind in KINDS_BY_HARM if kind.is_destructive]
    rows = []
    totals: Counter[ActionKind] = Counter()
    for group in _by_package(plan):
        counts = Counter({kind: count for kind, count in group.counts().items() if kind.is_destructive})
        if not counts:
            continue
        totals += counts
        rows.append(f"> - {code_span(label(group.address))}: {_counts(counts)}{_md_size(plan, group)}")
    if not rows:
        return []
    heading = f"Irreversible: {_counts(totals)} in {plural(len(rows), 'package')}"
    if plan.reclaimed_bytes is not None:
        heading += f", {format_bytes(sum(plan.reclaimed_bytes.values()))} of assets"
    meaning = " ".join(_HARM.get(kind, "It cannot be undone.") for kind in destructive if totals[kind])
    head = ("> [!CAUTION]", f"> **{heading}.** {meaning}", ">")
    continued = ("> [!CAUTION]", f"> **{heading} (continued).**", ">")
    return [Block(head, tuple(rows), continued=continued)]


def _md_size(plan: Plan, group: _PackageChanges) -> str:
    if plan.reclaimed_bytes is None:
        return ""
    return f"; reclaims {format_bytes(plan.reclaimed_bytes.get(str(group.address), 0))}"


def _md_notes(alert: str, noun: str, items: list[str], verb: str = "") -> list[Block]:
    if not items:
        return []
    heading = f"{plural(len(items), noun)}{f' {verb}' if verb else ''}"
    head = (f"> [!{alert}]", f"> **{heading}**", ">")
    continued = (f"> [!{alert}]", f"> **{heading} (continued)**", ">")
    return [Block(head, tuple(f"> - {item}" for item in items), continued=continued)]


def _md_problem(problem: VersionProblem, files: tuple[str, ...], context: CommentContext) -> str:
    return (
        f"{code_span(f'{problem.package}@{problem.version}')}: {escape_markdown(problem.message)}, "
        f"declared at {provenance_links(problem.origin, files, context)}"
    )


_TABLE_HEAD = ("| action | version | status | reason |", "| --- | --- | --- | --- |")
# A reason quoting a long pattern is shortened to this many characters in the comment (the plan file
# has it whole); the manifest line it links to has it all.
_REASON_SHOWN = 1_000


def _md_package(plan: Plan, group: _PackageChanges, cells: _MdCells) -> list[Block]:
    """A package's blocks: its non-destructive changes collapsed, its destructive ones shown."""
    name = label(group.address)
    others: list[str] = []
    harmful: list[str] = []
    for action in group.actions:
        (harmful if action.kind.is_destructive else others).extend(cells.rows(action))
    counts = _package_counts(group, plan.reclaimed_bytes)
    blocks = []
    if harmful:
        heading = f"#### {code_span(name)}: {counts}"
        blocks.append(Block((heading,), label=name))
    if others:
        other_counts = _counts(
            Counter({kind: n for kind, n in group.counts().items() if not kind.is_destructive})
        )
        summary = f"{html_code(name)}: {other_counts if harmful else counts}"
        blocks.append(
            Block(
                (f"<details><summary>{summary}</summary>", "", *_TABLE_HEAD),
                tuple(others),
                ("", "</details>"),
                continued=(f"<details><summary>{summary} (continued)</summary>", "", *_TABLE_HEAD),
                label=name,
            )
        )
    if harmful:
        blocks.append(
            Block(
                _TABLE_HEAD,
                tuple(harmful),
                continued=(f"#### {code_span(name)} (continued)", "", *_TABLE_HEAD),
                label=name,
            )
        )
    return blocks


class _MdCells:
    """The table rows of a comment's changes. A plan of a million changes has a few distinct reasons
    and status changes: each one's cell (escaped, its manifest lines linked) is made once a comment."""

    def __init__(self, files: tuple[str, ...], context: CommentContext) -> None:
        self.files = files
        self.context = context
        self.reasons: dict[str, str] = {}

    def rows(self, action: Action) -> list[str]:
        """A row per change of `action`, in its order."""
        kind = action.kind
        name = f"**{_COUNT_LABELS[kind]}**" if kind.is_destructive else _COUNT_LABELS[kind]
        statuses: dict[tuple[Status, Status], str] = {}
        rows = []
        for change in action.versions:
            pair = (change.prior_status, change.after)
            status = statuses.get(pair)
            if status is None:
                status = statuses[pair] = _md_status(action, change)
            why = self.reasons.get(change.reason)
            if why is None:
                why = self.reasons[change.reason] = self._reason(change.reason)
            rows.append(f"| {name} | {code_span(change.version)} | {status} | {why} |")
        return rows

    def _reason(self, reason: str) -> str:
        if len(reason) > _REASON_SHOWN:
            reason = reason[: _REASON_SHOWN - 1] + "…"
        return provenance_links(reason, self.files, self.context)


def _md_status(action: Action, change: VersionChange) -> str:
    """A change's status cell: what becomes of the version (a destructive change's end in bold)."""
    if action.kind.is_destructive:
        return f"{escape_markdown(str(change.prior_status))} → **{escape_markdown(str(change.after))}**"
    return escape_markdown(_transition(action, change, "→"))
