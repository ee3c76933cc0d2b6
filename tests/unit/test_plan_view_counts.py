"""The plan's views count a package's changes from its actions (a summary of a million changes reads
a few thousand actions): for any plan, the counts are those of its every change, one by one, and
the changes a view lists are every change in the order apply makes them."""

from __future__ import annotations

import dataclasses
from collections import Counter

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reconciler.addresses import PackageRef
from reconciler.codeartifact import Format, Status
from reconciler.plan import Action, ActionKind, Plan, Summary, VersionChange
from reconciler.render import markup, render_plan
from reconciler.render import plan as views
from reconciler.render.comment import CommentContext, provenance_links
from reconciler.text import format_bytes
from tests.refs import package_ref
from tests.unit.test_plan_text import names, plans, statuses, text


def changes_one_by_one(plan: Plan) -> dict[PackageRef, list[tuple[Action, VersionChange]]]:
    """Every change of each package with its action, walked one change at a time."""
    grouped: dict[PackageRef, list[tuple[Action, VersionChange]]] = {}
    for action in plan.actions:
        grouped.setdefault(action.package, []).extend((action, change) for change in action.versions)
    return grouped


@settings(max_examples=60, suppress_health_check=[HealthCheck.too_slow])
@given(plans)
def test_each_packages_counts_are_those_of_its_changes_one_by_one(plan: Plan) -> None:
    expected = changes_one_by_one(plan)

    groups = views._by_package(plan)

    assert [group.address for group in groups] == sorted(expected, key=PackageRef.sort_key)
    for group in groups:
        pairs = expected[group.address]
        assert list(group.changes()) == pairs
        assert group.counts() == Counter(action.kind for action, _ in pairs)


@settings(max_examples=60, suppress_health_check=[HealthCheck.too_slow])
@given(plans)
def test_the_summary_view_gives_each_package_the_counts_of_its_changes(plan: Plan) -> None:
    expected = []
    for package in sorted(grouped := changes_one_by_one(plan), key=PackageRef.sort_key):
        kinds = [action.kind for action, _ in grouped[package]]
        line = f"{markup.label(package)}: {views._counts(Counter(kinds))}"
        if plan.reclaimed_bytes is not None and any(kind.is_destructive for kind in kinds):
            line += f"; reclaims {format_bytes(plan.reclaimed_bytes.get(str(package), 0))}"
        expected.append(line + "\n")

    text = render_plan(plan, "text", summary_only=True, digest="d")

    assert "".join(expected) in text


def test_an_action_without_versions_counts_for_nothing() -> None:
    package = package_ref(domain="d", repository="r", format=Format.NPM, package="p")
    change = VersionChange("1.0.0", Status.PUBLISHED, "rev", Status.ARCHIVED, "rule 1")
    empty = Action(ActionKind.DISPOSE, package, Status.ARCHIVED, Status.DISPOSED, ())
    update = Action(ActionKind.UPDATE_STATUS, package, Status.PUBLISHED, Status.ARCHIVED, (change,))
    plan = Plan("1", "t", 0.0, "m", (), (), (empty, update), Summary(to_update=1), {})

    (group,) = views._by_package(plan)

    assert group.counts() == Counter({ActionKind.UPDATE_STATUS: 1})
    assert list(group.changes()) == [(update, change)]


def change_lines_one_span_list_each(plan: Plan, color: bool) -> list[str]:
    """The text view's change lines as spans joined one line at a time, the straightforward way."""
    lines = []
    for group in views._by_package(plan):
        pairs = list(group.changes())
        version_width = min(40, max(len(change.version) for _, change in pairs))
        transitions = [views._transition(action, change, "->") for action, change in pairs]
        transition_width = min(60, max(map(len, transitions)))
        for (action, change), transition in zip(pairs, transitions, strict=True):
            line: markup.Line = [
                (
                    f"    {action.kind.symbol} {change.version:<{version_width}}  {transition}",
                    views._STYLES[action.kind],
                )
            ]
            if change.reason:
                line += [(" " * (transition_width - len(transition) + 2), ""), (f"# {change.reason}", "dim")]
            lines.append(markup.join_spans(line, color))
    return lines


@settings(max_examples=60, suppress_health_check=[HealthCheck.too_slow])
@given(plans, st.booleans())
def test_the_text_views_change_lines_are_their_spans_joined(plan: Plan, color: bool) -> None:
    expected = change_lines_one_span_list_each(plan, color)

    lines = views._text_changes(views._by_package(plan), plan.reclaimed_bytes, color)

    assert [line for line in lines if isinstance(line, str) and line] == expected


def md_row_made_whole(plan: Plan, action: Action, change: VersionChange, context: CommentContext) -> str:
    """A comment's table row of one change, every cell made for it alone, the straightforward way."""
    kind = action.kind
    name = f"**{views._COUNT_LABELS[kind]}**" if kind.is_destructive else views._COUNT_LABELS[kind]
    status = markup.escape_markdown(views._transition(action, change, "→"))
    if kind.is_destructive:
        prior, after = (
            markup.escape_markdown(str(change.prior_status)),
            markup.escape_markdown(str(change.after)),
        )
        status = f"{prior} → **{after}**"
    reason = change.reason
    if len(reason) > views._REASON_SHOWN:
        reason = reason[: views._REASON_SHOWN - 1] + "…"
    why = provenance_links(reason, plan.manifest_files, context)
    return f"| {name} | {markup.code_span(change.version)} | {status} | {why} |"


# Reasons that name the manifest lines a comment links, or not, long and short.
reasons = st.sampled_from(
    ["pinned at m.yaml:3", "rule 1 (match 1.*) at m.yaml:7 rules[0]", "otherwise: Archived"]
)
linked_changes = st.builds(
    VersionChange, names, statuses, text, statuses, reasons | text | st.just("x at m.yaml:9 " * 90)
)


@settings(max_examples=60, suppress_health_check=[HealthCheck.too_slow])
@given(plans, st.lists(linked_changes, min_size=1, max_size=8))
def test_a_comments_rows_are_those_of_each_change_made_whole(plan: Plan, more: list[VersionChange]) -> None:
    plan = dataclasses.replace(
        plan,
        manifest_files=("m.yaml",),
        actions=tuple(action.with_versions(action.versions + tuple(more)) for action in plan.actions),
    )
    context = CommentContext("https://github.com", "acme/manifests", "abc123", "7", {"m.yaml": "ops/m.yaml"})
    cells = views._MdCells(plan.manifest_files, context)

    for action in plan.actions:
        assert cells.rows(action) == [
            md_row_made_whole(plan, action, change, context) for change in action.versions
        ]
