"""`detect_drift`, `DriftReport.packages`, the text and JSON views, held to their straightforward
readings.

A report of a million drifted versions is gathered per package and written a package at a time
(reconciler/drift.py, reconciler/render/drift.py). Here the reading they replaced, one dictionary
keyed by (package, version), one sort of every item, one list of styled lines, is the reference:
on generated plans (copies and the updates that settle them, disposes, deletes, errors, versions
that tie in their format's order or do not parse, several repositories, a grace period) both give
the same items in the same order, the same count left out, and the same text, with and without
colour; the JSON view is, to the byte, `json.dumps` of the whole document, whatever the strings
hold; and the Markdown comment is the one written a row at a time.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import replace
from unittest import mock

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import reconciler.drift as drift_module
import reconciler.render.drift as render_module
from reconciler.addresses import PackageRef, RepositoryRef
from reconciler.codeartifact import Format, Status
from reconciler.drift import (
    DriftItem,
    DriftKind,
    DriftReport,
    PackageDrift,
    _problem_item,
    _published_after,
    detect_drift,
)
from reconciler.plan import (
    AcceptedVersion,
    Action,
    ActionKind,
    Plan,
    Summary,
    TargetIdentity,
    VersionChange,
    VersionProblem,
)
from reconciler.planfile import package_json, targets_json
from reconciler.render.comment import Block, CommentContext, provenance_links
from reconciler.render.drift import (
    _STYLES,
    _drift_headline,
    _drift_state,
    _drift_tally,
    _text_header,
    counts_json,
    drift_comment,
    drift_json_chunks,
    drift_text_chunks,
    render_drift_json,
    render_drift_markdown,
    render_drift_text,
)
from reconciler.render.markup import (
    Line,
    accepted_lines,
    code_span,
    escape_markdown,
    html_code,
    join_spans,
    label,
)
from reconciler.state import LiveState, PackageState, VersionState
from reconciler.text import format_duration, plural
from reconciler.versioning import version_sort_key
from reconciler.workflows.notifying import drift_states

NOW = 1_800_000_000.0
GRACE = 3600.0
# Versions that sort in npm's order, two that tie in it (build metadata), and one that does not parse.
VERSIONS = ("1.0.0", "1.0.0+build.1", "1.0.0+build.2", "1.2.0-rc.1", "1.10.0", "2.0.0", "not-a-version")
PACKAGES = tuple(
    PackageRef(RepositoryRef("acme", repository), Format.NPM, namespace, name)
    for repository in ("prod", "beta")
    for namespace, name in ((None, "web"), ("acme", "cli"), (None, "a"))
)
STATUSES = (Status.PUBLISHED, Status.UNLISTED, Status.ARCHIVED)
KINDS = (ActionKind.COPY, ActionKind.UPDATE_STATUS, ActionKind.DISPOSE, ActionKind.DELETE)


# -- the reference: the reading before drift was gathered per package ---------------------------------


def reference_detect(
    plan: Plan, live: LiveState | None, grace_seconds: float | None
) -> tuple[list[DriftItem], int]:
    found: dict[tuple[PackageRef, str], DriftItem] = {}
    for action in sorted(plan.actions, key=lambda action: action.kind.phase):
        for change in action.versions:
            key = (action.package, change.version)
            if action.kind is ActionKind.COPY:
                found[key] = DriftItem(
                    DriftKind.MISSING, action.package, change.version, None, change.after, change.reason,
                    action.source_repository, change.prior_status,
                )  # fmt: skip
            elif key in found and found[key].kind is DriftKind.MISSING:
                found[key] = found[key]._replace(declared=change.after)
            else:
                found[key] = DriftItem(
                    DriftKind.STATUS, action.package, change.version, change.prior_status, change.after, change.reason
                )  # fmt: skip
    for problem in plan.errors:
        found[(problem.package, problem.version)] = _problem_item(problem, live)
    threshold = live.now - grace_seconds if live is not None and grace_seconds is not None else None
    items, within_grace = [], 0
    for item in found.values():
        if live is not None and threshold is not None and _published_after(item, live, threshold):
            within_grace += 1
        else:
            items.append(item)
    items.sort(
        key=lambda item: (item.package.sort_key(), version_sort_key(item.package.format, item.version))
    )
    return items, within_grace


def reference_packages(items: tuple[DriftItem, ...]) -> list[tuple[PackageRef, list[DriftItem]]]:
    grouped: dict[PackageRef, list[DriftItem]] = {}
    for item in items:
        grouped.setdefault(item.package, []).append(item)
    return [(package, grouped[package]) for package in sorted(grouped, key=PackageRef.sort_key)]


def reference_text(report: DriftReport, color: bool, show_accepted: bool) -> str:
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
    lines.append([])
    repository: RepositoryRef | None = None
    for address, items in reference_packages(report.items):
        if address.repository != repository:
            repository = address.repository
            lines += [[(f"Repository {address.repository}:", "bold")], []]
        counts = Counter(item.kind for item in items)
        summary = ", ".join(f"{counts[kind]} {kind.label}" for kind in DriftKind if counts[kind])
        lines.append([(f"  {address.format} {address.name}", "bold"), (f"  ({summary})", "")])
        version_width = min(40, max(len(item.version) for item in items))
        states = [_drift_state(item) for item in items]
        state_width = min(60, max(map(len, states)))
        for item, state in zip(items, states, strict=True):
            style = "bold magenta" if item.declared is Status.DELETED else _STYLES[item.kind]
            text = f"    {item.kind.symbol} {item.version:<{version_width}}  {state:<{state_width}}"
            lines.append([(text, style), (f"  # {item.reason}", "dim")])
        lines.append([])
    if show_accepted:
        lines += accepted_lines(report.accepted)
    while lines and not lines[-1]:
        lines.pop()
    return "".join(join_spans(line, color) + "\n" for line in lines)


def reference_json(report: DriftReport) -> str:
    def item_json(item: DriftItem) -> dict[str, object]:
        return {
            "kind": item.kind.value,
            "package": package_json(item.package),
            "version": item.version,
            "live": item.live.value if item.live is not None else None,
            "declared": item.declared.value if item.declared is not None else None,
            "reason": item.reason,
            "source_repository": item.source_repository,
            "source_status": item.source_status.value if item.source_status is not None else None,
        }

    data = {
        "checked_at": report.checked_at,
        **targets_json(report.targets),
        "manifest_files": list(report.manifest_files),
        "items": [item_json(item) for item in report.items],
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
        "has_drift": report.has_drift,
        "counts": counts_json(report),
    }
    return json.dumps(data, sort_keys=True, indent=2) + "\n"


def reference_md_section(drift: PackageDrift, files: tuple[str, ...], context: CommentContext) -> Block:
    address, items = drift.package, list(drift.items())
    summary = f"{html_code(label(address))}: {plural(len(items), 'drifted version')}"
    header = ("| drift | version | live | declared | reason |", "| --- | --- | --- | --- | --- |")
    rows = []
    for item in items:
        kind = f"**{item.kind.label}**" if item.kind is DriftKind.CANNOT_CONVERGE else item.kind.label
        if item.live is not None:
            live = escape_markdown(str(item.live))
        elif item.kind is DriftKind.MISSING:
            live = f"missing ({escape_markdown(f'{item.source_repository} has it {item.source_status}')})"
        else:
            live = "missing"
        declared = escape_markdown(str(item.declared)) if item.declared is not None else ""
        if item.declared is Status.DELETED:
            declared = f"**{declared}**"
        reason = provenance_links(item.reason, files, context)
        rows.append(f"| {kind} | {code_span(item.version)} | {live} | {declared} | {reason} |")
    return Block(
        (f"<details><summary>{summary}</summary>", "", *header),
        tuple(rows),
        ("", "</details>"),
        continued=(f"<details><summary>{summary} (continued)</summary>", "", *header),
        label=label(address),
    )


# -- generated plans -----------------------------------------------------------------------------------

changes = st.lists(
    st.tuples(
        st.sampled_from(KINDS),
        st.sampled_from(PACKAGES),
        st.sampled_from(VERSIONS),
        st.sampled_from(STATUSES),
        st.sampled_from((*STATUSES, Status.DISPOSED, Status.DELETED)),
    ),
    max_size=40,
)
problems = st.lists(st.tuples(st.sampled_from(PACKAGES), st.sampled_from(VERSIONS)), max_size=4)


def plan_of(
    planned: list[tuple[ActionKind, PackageRef, str, Status, Status]],
    errors: list[tuple[PackageRef, str]],
    in_order: bool = False,
) -> Plan:
    # One version once per action kind and package, as the planner batches them; actions in the
    # order drawn (not by phase), each of at most 3 versions; with `in_order`, a batch's versions in
    # their format's order, as the planner lists them.
    batches: dict[tuple[ActionKind, PackageRef], dict[str, VersionChange]] = {}
    for kind, package, version, prior, after in planned:
        reason = f"rule {kind.value} {version}, declared at m.yaml:{len(batches) + 1}"
        batches.setdefault((kind, package), {})[version] = VersionChange(version, prior, "rev", after, reason)
    actions = []
    for (kind, package), by_version in batches.items():
        versions = list(by_version.values())
        if in_order:
            versions.sort(key=lambda change: version_sort_key(package.format, change.version))
        for start in range(0, len(versions), 3):
            batch = tuple(versions[start : start + 3])
            source = "staging" if kind is ActionKind.COPY else None
            actions.append(Action(kind, package, batch[0].prior_status, batch[0].after, batch, source))
    return Plan(
        tool_version="0.1.0",
        created_at="2027-01-15T08:00:00+00:00",
        evaluated_at=NOW,
        manifest_digest="sha256:test",
        manifest_files=("m.yaml",),
        targets=(TargetIdentity("local:test.db", "us-east-1", {"acme": "111122223333"}),),
        actions=tuple(actions),
        errors=tuple(
            VersionProblem(package, version, "cannot converge: Disposed is final", "m.yaml:3")
            for package, version in errors
        ),
        summary=Summary(unchanged=3, unmanaged=2, errors=len(errors)),
        api_calls={"ListPackageVersions": 7},
        accepted=(
            AcceptedVersion(PACKAGES[0], "0.9.0", Status.UNLISTED, Status.PUBLISHED, "accept at m.yaml:4"),
        ),
    )


def live_of(recent: int) -> LiveState:
    """Every package of both repositories and of `staging`, listed newest first, the `recent` newest
    published within the grace period; `not-a-version` was not read by time."""
    live = LiveState(now=NOW)
    for package in {*PACKAGES, *(package.in_repository("staging") for package in PACKAGES)}:
        versions = {
            version: VersionState(
                version, "rev", Status.PUBLISHED, time_rank=None if version == "not-a-version" else rank
            )
            for rank, version in enumerate(reversed(VERSIONS))
        }
        live.packages[package] = PackageState(package, versions, None, True, {NOW - GRACE: recent})
    return live


@settings(max_examples=200, deadline=None)
@given(changes, problems, st.sampled_from((None, 0, 2, 5)), st.booleans(), st.sampled_from((0, 1 << 14)))
def test_detect_drift_gives_the_reference_items_in_the_reference_order(
    planned: list[tuple[ActionKind, PackageRef, str, Status, Status]],
    errors: list[tuple[PackageRef, str]],
    recent: int | None,
    in_order: bool,
    merge_above: int,
) -> None:
    plan = plan_of(planned, errors, in_order)
    live = live_of(recent or 0) if recent is not None else None
    grace = GRACE if recent is not None else None

    # Merging a large package's batches in order (here: every package's) gives what a sort gives.
    with mock.patch("reconciler.drift._MERGE_ABOVE", merge_above):
        report = detect_drift(plan, live, grace)

    items, within_grace = reference_detect(plan, live, grace)
    assert list(report.items) == items
    assert report.items == tuple(items)
    assert len(report.items) == len(items)
    assert report.counts() == {kind: sum(item.kind is kind for item in items) for kind in DriftKind}
    assert report.within_grace == within_grace
    assert report.packages() == reference_packages(tuple(items))


def test_a_large_package_is_merged_from_its_batches_as_a_sort_would_order_it() -> None:
    # Two batch keys, as the planner makes them: each key's versions in order across its batches of
    # 100, the two interleaved, with versions that tie in npm's order (build metadata), and more
    # versions than a sort would take.
    package = PACKAGES[0]
    versions = [
        f"{major}.{minor}.0{build}" for major in range(9) for minor in range(1_000) for build in ("", "+b")
    ]
    actions = []
    for after, reason in (
        (Status.ARCHIVED, "otherwise at m.yaml:9"),
        (Status.UNLISTED, "rule 1 at m.yaml:5"),
    ):
        changes = [
            VersionChange(version, Status.PUBLISHED, "rev", after, reason)
            for index, version in enumerate(versions)
            if (index % 3 == 0) == (after is Status.UNLISTED)
        ]
        actions += [
            Action(
                ActionKind.UPDATE_STATUS,
                package,
                Status.PUBLISHED,
                after,
                tuple(changes[start : start + 100]),
            )
            for start in range(0, len(changes), 100)
        ]
    plan = replace(plan_of([], []), actions=tuple(actions))

    report = detect_drift(plan)

    assert len(versions) > drift_module._MERGE_ABOVE
    (drift,) = report.items.packages  # type: ignore[attr-defined]
    assert drift_module._merged_updates(package, actions) == drift
    assert list(report.items) == reference_detect(plan, None, None)[0]
    assert len({id(cell) for cell in drift.cells}) == 2  # a cell per way of drifting, not per version


def test_a_merge_gives_way_to_the_sort_for_a_batch_out_of_order_or_a_version_changed_twice() -> None:
    package = PACKAGES[0]
    ordered = [
        VersionChange(v, Status.PUBLISHED, "rev", Status.ARCHIVED, "r")
        for v in ("1.0.0", "1.2.0-rc.1", "2.0.0")
    ]
    unlisted = [change._replace(after=Status.UNLISTED) for change in ordered]
    out_of_order = Action(
        ActionKind.UPDATE_STATUS, package, Status.PUBLISHED, Status.ARCHIVED, tuple(reversed(ordered))
    )
    first = Action(ActionKind.UPDATE_STATUS, package, Status.PUBLISHED, Status.ARCHIVED, tuple(ordered))
    again = Action(ActionKind.DISPOSE, package, Status.PUBLISHED, Status.UNLISTED, tuple(unlisted[1:]))

    assert drift_module._merged_updates(package, [out_of_order]) is None
    assert drift_module._merged_updates(package, [first, again]) is None
    merged = drift_module._merged_updates(package, [first])
    assert merged is not None and merged.versions == ["1.0.0", "1.2.0-rc.1", "2.0.0"]


def test_the_items_of_a_report_are_a_sequence_equal_to_the_same_items() -> None:
    planned = [
        (ActionKind.UPDATE_STATUS, package, version, Status.PUBLISHED, Status.ARCHIVED)
        for package in PACKAGES[:2]
        for version in VERSIONS[:3]
    ]
    report = detect_drift(plan_of(planned, []))
    items = tuple(reference_detect(plan_of(planned, []), None, None)[0])

    assert len(report.items) == 6
    assert [report.items[index] for index in range(6)] == list(items)
    assert report.items[-1] == items[-1] and report.items[-6] == items[0]
    assert report.items[1:4] == items[1:4]
    assert report.items == items and items == report.items and report.items == list(items)
    assert report.items != items[:-1] and report.items != "items"
    assert report == replace(report, items=items)
    for index in (6, -7):
        with pytest.raises(IndexError):
            report.items[index]


@settings(max_examples=100, deadline=None)
@given(changes, problems, st.booleans(), st.booleans(), st.booleans())
def test_the_text_view_is_the_reference_text_with_and_without_colour(
    planned: list[tuple[ActionKind, PackageRef, str, Status, Status]],
    errors: list[tuple[PackageRef, str]],
    with_grace: bool,
    color: bool,
    show_accepted: bool,
) -> None:
    report = detect_drift(
        plan_of(planned, errors), live_of(1) if with_grace else None, GRACE if with_grace else None
    )
    report = replace(report, warnings=("entry `nope-*` matches no package (m.yaml:9)",))

    # Written a few rows at a time (here two), as a package of thousands is.
    with mock.patch("reconciler.render.drift._ROWS_PER_CHUNK", 2):
        text = render_drift_text(report, color=color, show_accepted=show_accepted)

    assert text == reference_text(report, color, show_accepted)
    assert color or "\x1b" not in text


def test_items_in_another_order_are_grouped_by_package_as_before() -> None:
    plan = plan_of(
        [
            (ActionKind.UPDATE_STATUS, package, "1.0.0", Status.PUBLISHED, Status.UNLISTED)
            for package in PACKAGES
        ],
        [],
    )
    report = detect_drift(plan)
    shuffled = report.with_items(tuple(reversed(report.items)))

    assert shuffled.packages() == reference_packages(shuffled.items)
    assert [package for package, _ in shuffled.packages()] == sorted(PACKAGES, key=PackageRef.sort_key)


def test_a_large_package_is_written_a_few_thousand_lines_at_a_time() -> None:
    planned = [
        (ActionKind.UPDATE_STATUS, PACKAGES[0], f"1.{minor}.0", Status.PUBLISHED, Status.ARCHIVED)
        for minor in range(10_000)
    ]
    report = detect_drift(plan_of(planned, [], in_order=True))

    text, json_text = list(drift_text_chunks(report)), list(drift_json_chunks(report))

    # The head, then the package in three pieces; the JSON view's head and end around them.
    assert len(text) == 4 and len(json_text) == 5
    assert "".join(text) == reference_text(report, color=False, show_accepted=False)
    assert "".join(json_text) == reference_json(report)


def test_the_text_view_is_written_a_package_at_a_time() -> None:
    planned = [
        (ActionKind.UPDATE_STATUS, package, version, Status.PUBLISHED, Status.ARCHIVED)
        for package in PACKAGES
        for version in VERSIONS
    ]
    report = detect_drift(plan_of(planned, []))

    chunks = list(drift_text_chunks(report))

    assert len(chunks) == 1 + len(PACKAGES)  # the head, then one a package
    assert "".join(chunks) == reference_text(report, color=False, show_accepted=False)


texts = st.text(st.characters(codec="utf-8"), max_size=12)


@settings(max_examples=60, deadline=None)
@given(changes, problems, st.booleans(), texts, texts, texts, st.sampled_from((None, "eu-west-1")))
def test_the_json_view_is_json_dumps_of_the_whole_document(
    planned: list[tuple[ActionKind, PackageRef, str, Status, Status]],
    errors: list[tuple[PackageRef, str]],
    with_grace: bool,
    reason: str,
    version: str,
    name: str,
    region: str | None,
) -> None:
    report = detect_drift(
        plan_of(planned, errors), live_of(1) if with_grace else None, GRACE if with_grace else None
    )
    # Any text where the report has text: quotes, backslashes, line breaks, control and non-ASCII
    # characters, and a package of another Region, owner and namespace.
    odd = PackageRef(
        RepositoryRef(name or "d", "prod", "111122223333", region), Format.NPM, name or None, name
    )
    items = (
        *report.items,
        DriftItem(DriftKind.STATUS, odd, version, Status.PUBLISHED, Status.DELETED, reason),
    )
    report = replace(report, items=items, warnings=(reason,), manifest_files=(name,))

    with mock.patch("reconciler.render.drift._ROWS_PER_CHUNK", 2):
        assert render_drift_json(report) == reference_json(report)
    assert render_drift_json(report) == reference_json(report)
    assert json.loads(render_drift_json(report))["items"][-1]["reason"] == reason


def test_the_json_view_of_no_drift_and_of_drift_is_json_dumps_written_a_package_at_a_time() -> None:
    planned = [
        (ActionKind.UPDATE_STATUS, package, version, Status.PUBLISHED, Status.ARCHIVED)
        for package in PACKAGES
        for version in VERSIONS
    ]
    report = detect_drift(plan_of(planned, []))
    in_sync = detect_drift(plan_of([], []))

    chunks = list(drift_json_chunks(report))

    assert len(chunks) == 2 + len(PACKAGES)  # up to the items, one a package, the rest
    assert "".join(chunks) == reference_json(report)
    assert render_drift_json(in_sync) == reference_json(in_sync)


@settings(max_examples=60, deadline=None)
@given(changes, problems, texts, texts, st.sampled_from((2_000, 65_536)))
def test_the_markdown_comment_is_the_one_written_a_row_at_a_time(
    planned: list[tuple[ActionKind, PackageRef, str, Status, Status]],
    errors: list[tuple[PackageRef, str]],
    reason: str,
    version: str,
    limit: int,
) -> None:
    report = detect_drift(plan_of(planned, errors))
    odd = DriftItem(
        DriftKind.MISSING, PACKAGES[0], version, None, Status.DELETED, f"{reason} m.yaml:3", reason
    )
    report = replace(report, items=(*report.items, odd))
    context = CommentContext("https://github.com", "acme/repo", "abc123", "7", {"m.yaml": "manifests/m.yaml"})

    parts = drift_comment(report, context, limit)

    with mock.patch("reconciler.render.drift._md_drift_section", reference_md_section):
        assert parts == drift_comment(report, context, limit)


@settings(max_examples=30, deadline=None)
@given(changes, problems)
def test_each_repositorys_issue_holds_the_items_of_that_repository_as_listed(
    planned: list[tuple[ActionKind, PackageRef, str, Status, Status]],
    errors: list[tuple[PackageRef, str]],
) -> None:
    report = detect_drift(plan_of(planned, errors))
    repositories = sorted({package.repository for package in PACKAGES}, key=str)

    states = drift_states(report, repositories, {})

    for repository, state in zip(repositories, states, strict=True):
        items = tuple(item for item in report.items if item.package.repository == repository)
        expected = render_drift_markdown(report.with_items(items)) if items else None
        assert state.body == expected


@pytest.mark.parametrize("as_detected", [True, False])
def test_each_view_makes_the_text_of_a_way_of_drifting_once_not_once_a_version(as_detected: bool) -> None:
    package = PACKAGES[0]
    changes = [
        VersionChange(f"1.{minor}.0", Status.PUBLISHED, "rev", after, f"rule for {after} at m.yaml:3")
        for minor in range(3_000)
        for after in ((Status.ARCHIVED,) if minor % 2 else (Status.UNLISTED,))
    ]
    actions = tuple(
        Action(
            ActionKind.UPDATE_STATUS,
            package,
            Status.PUBLISHED,
            after,
            tuple(c for c in changes if c.after is after),
        )
        for after in (Status.ARCHIVED, Status.UNLISTED)
    )
    detected = detect_drift(replace(plan_of([], []), actions=actions))
    # As `detect_drift` gives them, and as a plain tuple of items (a report of one repository's).
    report = detected if as_detected else detected.with_items(tuple(detected.items))
    made: Counter[str] = Counter()

    def counted(name: str) -> object:
        made_by = getattr(render_module, name)

        def count(*args: object) -> object:
            made[name] += 1
            return made_by(*args)

        return mock.patch.object(render_module, name, count)

    with counted("_drift_state"), counted("_item_head"), counted("_md_cells"):
        text, json_text, markdown = (
            render_drift_text(report),
            render_drift_json(report),
            render_drift_markdown(report),
        )

    assert made == {"_drift_state": 2, "_item_head": 2, "_md_cells": 2}
    assert text == reference_text(report, color=False, show_accepted=False)
    assert json_text == reference_json(report)
    assert markdown.count("| wrong status | `1.") == 3_000
