"""Views of a drift report: text, Markdown for an issue or PR comment, and JSON."""

from __future__ import annotations

import functools
import json
from collections.abc import Iterator
from json.encoder import encode_basestring_ascii
from typing import assert_never

from reconciler.addresses import PackageRef, RepositoryRef
from reconciler.codeartifact import Status
from reconciler.drift import DriftItem, DriftKind, DriftReport, PackageDrift
from reconciler.planfile import package_json, targets_json
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
    StyleCodes,
    accepted_lines,
    code_span,
    escape_markdown,
    html_code,
    join_spans,
    label,
    markdown_targets,
    paint,
    style_codes,
    target_lines,
)
from reconciler.text import format_duration, plural

NO_DRIFT = "No drift. Live state matches the manifests."
# As the plan's text view styles the changes that would repair each kind of drift.
_STYLES = {DriftKind.CANNOT_CONVERGE: "bold red", DriftKind.STATUS: "yellow", DriftKind.MISSING: "green"}
# A version declared Deleted that is still there stands out, as its delete does in the plan.
_DELETED_STYLE = "bold magenta"


def render_drift(
    report: DriftReport,
    format: RenderFormat,
    color: bool = False,
    context: CommentContext | None = None,
    show_accepted: bool = False,
) -> str:
    """A drift report in one of the three views; `color` and `show_accepted` apply to the text view
    only, `context` (links to the run and the manifest lines) to the Markdown view only."""
    return "".join(render_drift_chunks(report, format, color, context, show_accepted))


def render_drift_chunks(
    report: DriftReport,
    format: RenderFormat,
    color: bool = False,
    context: CommentContext | None = None,
    show_accepted: bool = False,
) -> Iterator[str]:
    """`render_drift` in pieces to write one after another: the text and JSON views a package at a
    time (a report of a million versions is tens or hundreds of MB of text, never held whole)."""
    match format:
        case "text":
            return drift_text_chunks(report, color=color, show_accepted=show_accepted)
        case "json":
            return drift_json_chunks(report)
        case "markdown":
            return iter((render_drift_markdown(report, context),))
        case _:
            assert_never(format)


def render_drift_json(report: DriftReport) -> str:
    """The report's fields plus `has_drift` and `counts`, sorted keys, two-space indent."""
    return "".join(drift_json_chunks(report))


def drift_json_chunks(report: DriftReport) -> Iterator[str]:
    """`render_drift_json` a package at a time: the document with no items, split where its `items`
    list is, and the items written in between as `json.dumps(..., sort_keys=True, indent=2)` writes
    them (held to it by tests/unit/test_drift_reference.py). json's indenting encoder is pure Python,
    tens of microseconds a drifted version; the items' few fields are written here with its C string
    encoder."""
    document = _json_document(report)
    if not report.items:
        yield document
        return
    head, marker, tail = document.partition(_EMPTY_ITEMS)
    if not marker:
        raise RuntimeError("the drift document has no top-level items list")
    yield head + '\n  "items": ['
    separator = "\n"
    for drift in report.packages_as_listed():  # in the items' order, as json.dumps writes them
        package = _package_lines(drift.package)
        # An item's text up to its version, made once per cell (the version is its last field).
        heads = {key: _item_head(cell, package) for key, cell in _distinct(drift.cells).items()}
        for start in range(0, len(drift.versions), _ROWS_PER_CHUNK):
            stop = start + _ROWS_PER_CHUNK
            cells = map(heads.__getitem__, map(id, drift.cells[start:stop]))
            rows = [
                f"{head}{encode_basestring_ascii(version)}\n    }}"
                for version, head in zip(drift.versions[start:stop], cells, strict=True)
            ]
            yield separator + ",\n".join(rows)
            separator = ",\n"
    yield "\n  ]" + tail


def _distinct(cells: list[DriftItem]) -> dict[int, DriftItem]:
    """A package's cells, each once, by identity (rows that drifted the same way share one)."""
    return dict(zip(map(id, cells), cells, strict=True))


# Rows written at a time: a package of 100,000 drifted versions is written in pieces, never held whole.
_ROWS_PER_CHUNK = 4096

# Top-level keys are indented by two spaces, and no JSON string holds a raw line break: this text
# is the empty `items` list of the document, wherever it is in it.
_EMPTY_ITEMS = '\n  "items": []'


def _json_document(report: DriftReport) -> str:
    data = {
        "checked_at": report.checked_at,
        **targets_json(report.targets),
        "manifest_files": list(report.manifest_files),
        "items": [],
        "as_declared": report.unchanged,
        "unmanaged": report.unmanaged,
        "within_grace": report.within_grace,
        "grace_seconds": report.grace_seconds,
        "api_calls": dict(report.api_calls),
        "warnings": list(report.warnings),
        "accepted": [
            {
                "package": package_json(item.package),
                "version": item.version,
                "live": item.live.value,
                "declared": item.declared.value,
                "reason": item.reason,
            }
            for item in report.accepted
        ],
    }
    data["has_drift"] = report.has_drift
    data["counts"] = counts_json(report)
    return json.dumps(data, sort_keys=True, indent=2) + "\n"


def _package_lines(package: PackageRef) -> str:
    """A package's object as an item's `package` value, indented as at that depth (three levels)."""
    return json.dumps(package_json(package), sort_keys=True, indent=2).replace("\n", "\n      ")


def _json_string(value: str | None) -> str:
    return "null" if value is None else encode_basestring_ascii(value)


def _item_head(cell: DriftItem, package: str) -> str:
    """An item as an element of the top-level `items` list up to its version, its last field: its
    fields by name, the statuses and kind as their values, keys sorted."""
    return (
        "    {\n"
        f'      "declared": {_json_string(cell.declared)},\n'
        f'      "kind": {_json_string(cell.kind)},\n'
        f'      "live": {_json_string(cell.live)},\n'
        f'      "package": {package},\n'
        f'      "reason": {_json_string(cell.reason)},\n'
        f'      "source_repository": {_json_string(cell.source_repository)},\n'
        f'      "source_status": {_json_string(cell.source_status)},\n'
        '      "version": '
    )


def counts_json(report: DriftReport) -> dict[str, int]:
    """Every count the text and Markdown views show, keyed by its label (`wrong status` is
    `wrong_status`), so the three views speak of the same things in the same words."""
    counts = {_key(kind.label): count for kind, count in report.counts().items()}
    counts["as_declared"] = report.unchanged
    if report.accepted:  # as the other views: only when there are any
        counts["accepted"] = len(report.accepted)
    counts.update(unmanaged=report.unmanaged, within_grace=report.within_grace)
    return counts


def _key(label: str) -> str:
    return label.replace(" ", "_")


def _drift_headline(report: DriftReport) -> str:
    if not report.has_drift:
        return NO_DRIFT
    kinds = ", ".join(f"{count} {kind.label}" for kind, count in report.counts().items() if count)
    return f"Drift: {_differ(len(report.items))} from the manifests ({kinds})."


def _differ(count: int) -> str:
    return "1 version differs" if count == 1 else f"{count} versions differ"


def _drift_tally(report: DriftReport) -> str:
    accepted = f", {len(report.accepted)} accepted" if report.accepted else ""
    tally = f"{report.unchanged} as declared{accepted}, {report.unmanaged} unmanaged"
    if report.grace_seconds is not None:
        tally += f", {report.within_grace} within grace ({format_duration(report.grace_seconds)})"
    return tally


def _drift_state(item: DriftItem) -> str:
    """What was found against what is declared: `live Published, declared Unlisted`."""
    here = f"live {item.live}" if item.live is not None else f"not in {item.package.repository.repository}"
    match item.kind:
        case DriftKind.STATUS:
            return f"{here}, declared {item.declared}"
        case DriftKind.MISSING:
            return f"missing ({item.source_repository} has it {item.source_status}), declared {item.declared}"
        case DriftKind.CANNOT_CONVERGE:
            return here
        case _:
            assert_never(item.kind)


def render_drift_text(report: DriftReport, color: bool = False, show_accepted: bool = False) -> str:
    """The headline and counts, then one line per drifted version, grouped by repository and package
    (and with `show_accepted`, the versions left in a live status the manifests accept).

    Without `color` the text holds no escape codes at all; with it, styled as the plan's text view.
    """
    return "".join(drift_text_chunks(report, color=color, show_accepted=show_accepted))


def drift_text_chunks(report: DriftReport, color: bool = False, show_accepted: bool = False) -> Iterator[str]:
    """`render_drift_text` a package at a time, so that a report of a million versions is written as
    it is rendered instead of being held whole, a second time, as one string."""
    # Blank lines are held back until a line follows them: the text ends with its last line.
    blanks = 0
    for block in _text_blocks(report, color, show_accepted):
        end = len(block)
        while end and not block[end - 1]:
            end -= 1
        if end:
            yield "\n" * blanks + "\n".join(block[:end]) + "\n"
            blanks = 0
        blanks += len(block) - end


def _text_blocks(report: DriftReport, color: bool, show_accepted: bool) -> Iterator[list[str]]:
    """The text view's lines ("" for a blank one): the head, then each package, then the accepted."""
    lines: list[Line] = [*_text_header(report), []]
    lines.append([(_drift_headline(report), "bold" if report.has_drift else "bold green")])
    lines.append([("Versions: ", "bold"), (f"{_drift_tally(report)}.", "")])
    lines += [[("Warning: ", "bold yellow"), (warning, "")] for warning in report.warnings]
    if report.within_grace:
        left_out = (
            f"Left out: {plural(report.within_grace, 'drifted version')} published in the last "
            f"{format_duration(report.grace_seconds or 0)} (too recent to judge: CodeArtifact can lag "
            "behind a publish)."
        )
        lines.append([(left_out, "yellow")])
    yield [join_spans(line, color) for line in lines]
    codes = style_codes(color)
    repository: RepositoryRef | None = None
    for drift in report.drifted():
        head = [""]
        if drift.package.repository != repository:
            repository = drift.package.repository
            head += [paint(f"Repository {repository}:", "bold", codes), ""]
        yield from _text_package(drift, codes, head)
    if show_accepted:
        yield ["", *(join_spans(line, color) for line in accepted_lines(report.accepted))]


def _text_header(report: DriftReport) -> list[Line]:
    checked = f"Checked {report.checked_at}"
    if report.manifest_files:
        checked += f" against {', '.join(report.manifest_files)}"
    return target_lines(report.targets, report.api_calls, checked)


def _text_package(drift: PackageDrift, codes: StyleCodes, head: list[str]) -> Iterator[list[str]]:
    """`head`, the package's line and a line per drifted version, a few thousand lines at a time: the
    line that a million-version report writes a million times is its cell's text around the version,
    made once per cell."""
    address, kinds = drift.package, drift.kinds
    summary = ", ".join(f"{kinds[kind]} {kind.label}" for kind in DriftKind if kinds[kind])
    head.append(paint(f"  {address.format} {address.name}", "bold", codes) + f"  ({summary})")
    version_width = min(40, max(map(len, drift.versions)))
    distinct = _distinct(drift.cells)
    states = {key: _drift_state(cell) for key, cell in distinct.items()}
    state_width = min(60, max(map(len, states.values())))
    by_kind = {kind: (kind.symbol, *codes(_STYLES[kind])) for kind in DriftKind}
    deleted_on, deleted_off = codes(_DELETED_STYLE)
    dim_on, dim_off = codes("dim")
    around: dict[int, tuple[str, str]] = {}
    for key, cell in distinct.items():
        symbol, on, off = by_kind[cell.kind]
        if cell.declared is Status.DELETED:
            on, off = deleted_on, deleted_off
        around[key] = (
            f"{on}    {symbol} ",
            f"  {states[key]:<{state_width}}{off}{dim_on}  # {cell.reason}{dim_off}",
        )
    block = head
    for start in range(0, len(drift.versions), _ROWS_PER_CHUNK):
        stop = start + _ROWS_PER_CHUNK
        parts = map(around.__getitem__, map(id, drift.cells[start:stop]))
        block += [
            f"{before}{version.ljust(version_width)}{after}"  # ljust: 3x faster than a format spec
            for version, (before, after) in zip(drift.versions[start:stop], parts, strict=True)
        ]
        yield block
        block = []


def render_drift_markdown(report: DriftReport, context: CommentContext | None = None) -> str:
    """The issue or pull-request comment, every part in order (`drift_comment`)."""
    return join_parts(drift_comment(report, context))


def drift_comment(
    report: DriftReport, context: CommentContext | None = None, limit: int = GITHUB_COMMENT_LIMIT
) -> list[str]:
    """An issue or pull-request comment in parts, as the plan's: the headline, a table of counts,
    warnings, then one collapsible section per drifted package; each part opens with the marker
    `<!-- reconciler:drift targets=ID part=I/N -->` and nothing is cut."""
    context = context or CommentContext()
    files = report.manifest_files
    checked = f"Checked {escape_markdown(report.checked_at)}"
    if report.manifest_files:
        checked += " against " + ", ".join(code_span(name) for name in report.manifest_files)
    title = (
        f"## Reconciler drift: {_differ(len(report.items))} from the manifests"
        if report.has_drift
        else "## Reconciler drift: in sync"
    )
    columns = {kind.label: count for kind, count in report.counts().items()}
    columns["as declared"] = report.unchanged
    if report.accepted:
        columns["accepted"] = len(report.accepted)
    columns["unmanaged"] = report.unmanaged
    if report.grace_seconds is not None:
        columns[f"within grace ({format_duration(report.grace_seconds)})"] = report.within_grace
    alarming = {DriftKind.CANNOT_CONVERGE.label}
    cells = [f"**{value}**" if value and name in alarming else str(value) for name, value in columns.items()]
    top = [
        Block((title,)),
        Block((f"{markdown_targets(report.targets)}.\n{checked}.",)),
        Block(
            (
                f"| {' | '.join(columns)} |\n| {' | '.join('---:' for _ in columns)} |\n| {' | '.join(cells)} |",
            )
        ),
    ]
    ran = run_line(None, context)
    if ran:
        top.append(Block((ran,)))
    if report.warnings:  # as the plan's Markdown words them
        heading = plural(len(report.warnings), "warning")
        top.append(
            Block(
                ("> [!WARNING]", f"> **{heading}**", ">"),
                tuple(f"> - {provenance_links(warning, files, context)}" for warning in report.warnings),
                continued=("> [!WARNING]", f"> **{heading} (continued)**", ">"),
            )
        )
    if not report.has_drift:
        top.append(Block((NO_DRIFT,)))
    body = [_md_drift_section(drift, files, context) for drift in report.drifted()]
    body += md_accepted(report.accepted, files, context)
    return split_comment("drift", targets_id(report.targets), top, body, _md_continued, limit)


def _md_continued(part: int, parts: int) -> str:
    return f"### Reconciler drift, part {part} of {parts} (continued)"


def _md_drift_section(drift: PackageDrift, files: tuple[str, ...], context: CommentContext) -> Block:
    address = drift.package
    summary = f"{html_code(label(address))}: {plural(len(drift.versions), 'drifted version')}"
    header = ("| drift | version | live | declared | reason |", "| --- | --- | --- | --- | --- |")
    # A package's rows repeat a few ways of drifting (its cells): the cells around the version are
    # escaped once for each, not once a row (a million rows in a large report).
    around = {key: _md_cells(cell, files, context) for key, cell in _distinct(drift.cells).items()}
    rows = tuple(
        f"{before}{_version_cell(version)}{after}"
        for version, (before, after) in zip(
            drift.versions, map(around.__getitem__, map(id, drift.cells)), strict=True
        )
    )
    return Block(
        (f"<details><summary>{summary}</summary>", "", *header),
        rows,
        ("", "</details>"),
        continued=(f"<details><summary>{summary} (continued)</summary>", "", *header),
        label=label(address),
    )


def _md_cells(item: DriftItem, files: tuple[str, ...], context: CommentContext) -> tuple[str, str]:
    """A row of the drift table up to its version cell, and after it."""
    kind = f"**{item.kind.label}**" if item.kind is DriftKind.CANNOT_CONVERGE else item.kind.label
    if item.live is not None:
        live = escape_markdown(str(item.live))
    elif item.kind is DriftKind.MISSING:
        live = f"missing ({escape_markdown(f'{item.source_repository} has it {item.source_status}')})"
    else:
        live = "missing"
    declared = escape_markdown(str(item.declared)) if item.declared is not None else ""
    if item.declared is Status.DELETED:
        declared = f"**{declared}**"  # what apply will remove for good
    reason = provenance_links(item.reason, files, context)
    return f"| {kind} | ", f" | {live} | {declared} | {reason} |"


# The same version strings recur across packages (a few thousand in a repository of a million).
_version_cell = functools.lru_cache(maxsize=1 << 14)(code_span)
